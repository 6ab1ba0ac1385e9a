"""Vacuum gradient therapy on the three-channel simulated board (sim_multi):
each chamber held at its own level (judged by each chamber's ground truth),
a fault on one channel makes every channel safe, and the program is refused
where it cannot run."""
from __future__ import annotations

import json

import pytest

from vacuumctl.errors import DeviceError
from vacuumctl.telemetry import parse_fields

pytestmark = pytest.mark.usefixtures("needs_sim")

LEVELS = (40_000, 30_000, 20_000)  # target=40kPa step=10kPa
# Channel columns of the truth CSV: (true vacuum, pump duty, vent opening).
COLUMNS = (("true_vacuum_pa", "pump_duty", "valve_duty"),
           ("ch2_true_vacuum_pa", "ch2_pump_duty", "ch2_valve_duty"),
           ("ch3_true_vacuum_pa", "ch3_pump_duty", "ch3_valve_duty"))


def _band(level: int) -> int:
    return max(1_333, level // 20)  # the session's at-target band (docs/programs.md)


def test_gradient_holds_each_channel_at_its_level(open_device):
    dev = open_device("multi_3cups")
    dev.request("tel on 10Hz")
    reply = dev.request("start gradient target=40kPa step=10kPa duration=10s")
    assert "step_pa=10000" in reply
    tel = dev.telemetry_until(lambda f: f["state"] == "run" and int(f["remaining_ms"]) < 1_000, 20_000)
    t_end = int(tel[-1]["t_ms"])
    truth = dev.truth.wait_until(t_end)
    start = next(int(r["t_ms"]) for r in truth if int(r["pump_duty"]) > 0)
    # From 4 s after the start (a 60 mL cup reaches 40 kPa in < 3 s) to the end.
    held = [r for r in truth if start + 4_000 <= int(r["t_ms"]) <= t_end]
    assert len(held) > 300
    for level, (vac, pump, vent) in zip(LEVELS, COLUMNS):
        values = [int(r[vac]) for r in held]
        mean = sum(values) / len(values)
        worst = max(abs(v - level) for v in values)
        print("channel level %d Pa: true mean %.0f Pa, worst %d Pa off" % (level, mean, worst))
        assert abs(mean - level) < 300, (vac, mean)
        assert worst <= _band(level), (vac, worst)
        assert any(int(r[pump]) > 0 for r in held)  # each channel's own pump holds it
    # The device sees the same: every channel in telemetry and status.
    last = tel[-1]["ch_vacuum_pa"].split(",")
    assert [abs(int(v) - lvl) < _band(lvl) for v, lvl in zip(last, LEVELS)] == [True] * 3, last
    st = parse_fields(dev.request("status"))
    assert st["channels"] == 3 and st["ch_alarms"] == "2:none,3:none", st
    assert st["overruns"] == 0, st
    # The session ends releasing every chamber.
    idle = dev.telemetry_until(lambda f: f["state"] == "idle", 20_000)
    end = dev.truth.wait_until(int(idle[-1]["t_ms"]))
    assert all(int(end[-1][v]) < 1_000 for v, _, _ in COLUMNS), end[-1]
    row = parse_fields(dev.request("log 0"))
    assert row["program"] == "gradient" and "step:10000" in row["params"] and row["end"] == "completed"


def test_pause_and_stop_cut_every_channels_pump_in_the_pass_that_takes_them(open_device):
    # As on one channel (test_session.py): the command's own pass stops the
    # extra channels' pumps too, not the control tick after it (20 ms on this
    # board). Paused during the pull-down, while every pump runs; the ground
    # truth (a row every 10 ms) shows each pump from the pass on.
    dev = open_device("multi_3cups")
    hz = parse_fields(dev.request("version"))["control_hz"]
    dev.request("tel on %sHz" % hz)
    for cmd, state in (("pause", "pause"), ("stop", "release")):
        dev.request("start gradient target=40kPa step=10kPa duration=60s")
        dev.telemetry_until(lambda f: f["state"] == "run" and f["vacuum_pa"] > 5_000, 20_000)
        assert dev.request(cmd).startswith(cmd[:4])
        t = int(dev.telemetry_until(lambda f: f["state"] == state, 2_000)[-1]["t_ms"])
        rows = [r for r in dev.truth.wait_until(t + 40) if t <= int(r["t_ms"]) <= t + 40]
        assert len(rows) >= 3
        for r in rows:
            assert [int(r[pump]) for _, pump, _ in COLUMNS] == [0, 0, 0], (cmd, t, r)
        dev.request("stop")
        dev.telemetry_until(lambda f: f["state"] == "idle", 20_000)


def test_a_sensor_fault_on_one_channel_makes_every_channel_safe(open_device, tmp_path):
    scn = tmp_path / "ch3_sensor.json"
    scn.write_text(json.dumps({"description": "channel 3's sensor disconnects 4.5 s into the session", "board": "sim_multi",
                               "events": [{"after_pump_on_ms": 4_500, "fault": "sensor_disconnect", "channel": 3}]}))
    dev = open_device(str(scn))
    dev.request("tel on 20Hz")
    dev.request("start gradient target=40kPa step=10kPa duration=60s")
    alarm = dev.wait_message(lambda m: m.kind == "alarm")
    assert "sensor" in alarm.text, alarm.text
    st = parse_fields(dev.request("status"))
    assert st["state"] == "fault" and st["ch_alarms"] == "2:none,3:sensor", st
    tel = dev.telemetry_until(lambda f: f["state"] == "fault", 2_000)
    truth = dev.truth.wait_until(int(tel[-1]["t_ms"]) + 2_000)
    cut = next(int(r["t_ms"]) for r in truth if "ch3:sensor_disconnect" in r["event"])
    before = [r for r in truth if cut - 1_000 <= int(r["t_ms"]) < cut]
    assert all(int(r["ch2_pump_duty"]) > 0 or int(r["pump_duty"]) > 0 for r in before[-10:])  # was regulating
    # Within 50 ms (4 failed samples = 20 ms, plus a tick) every pump is off
    # and every vent open, and they stay so.
    after = [r for r in truth if int(r["t_ms"]) >= cut + 50]
    assert after
    for _, pump, vent in COLUMNS:
        assert all(int(r[pump]) == 0 and int(r[vent]) == 65535 for r in after), (pump, vent)
    assert all(int(after[-1][v]) < 1_000 for v, _, _ in COLUMNS[:2])  # chambers 1, 2 vented
    # The therapy log names the alarm; a new session is refused until cleared.
    with pytest.raises(DeviceError) as e:
        dev.request("start gradient target=40kPa step=10kPa")
    assert e.value.code == "E_STATE"
    row = parse_fields(dev.request("log 0"))
    assert row["end"] == "alarm" and "sensor" in row["alarms"], row


def test_gradient_is_refused_where_it_cannot_run(device, open_device):
    with pytest.raises(DeviceError) as e:
        device.request("start gradient target=40kPa")
    assert e.value.code == "E_RANGE" and "several pump/vent/sensor channels; this one has 1" in str(e.value)
    multi = open_device("multi_3cups")
    with pytest.raises(DeviceError) as e:
        multi.request("start gradient target=20kPa step=10kPa")
    assert e.value.code == "E_RANGE" and "would get 0kPa" in str(e.value), str(e.value)
    assert parse_fields(multi.request("status"))["state"] == "idle"
