"""Every board definition and every sensor driver on the simulated board:
the firmware loads the board file, talks to the emulated part at byte level,
zeroes absolute sensors at boot, regulates a session (judged by the physics'
ground truth) and raises the sensor alarm on a disconnect or a frozen output."""
from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest


TARGET_PA = 20_000


def _scenario(tmp_path: Path, name: str, **kw) -> str:
    path = tmp_path / ("%s.json" % name)
    path.write_text(json.dumps(dict(description=name, **kw)))
    return str(path)


def _regulates(dev) -> None:
    dev.request("tel on 50Hz")
    dev.link.start("start continuous target=20kPa duration=4s")  # after an absolute sensor's boot zero
    tel = dev.telemetry_until(lambda f: int(f["remaining_ms"]) <= 500 and f["state"] == "run", 20_000)
    t_end = int(tel[-1]["t_ms"])
    assert tel[-1]["alarms"] == "none"
    rows = dev.truth.wait_until(t_end)
    late = [int(r["true_vacuum_pa"]) for r in rows if int(r["t_ms"]) > t_end - 1500]
    assert late and all(abs(v - TARGET_PA) <= 1_500 for v in late), (min(late), max(late))


@pytest.mark.parametrize("board,sensor", [
    ("pico", "mprls"), ("pico", "bmp280"), ("pico2", None), ("esp32_devkitc", None),
])
def test_session_per_board_and_sensor(open_device, tmp_path, board, sensor):
    kw = {"board": board} if sensor is None else {"board": board, "sensor": sensor}
    dev = open_device(_scenario(tmp_path, "%s_%s" % (board, sensor), **kw))
    banner = dev.request("status")
    assert "alarms=none" in banner
    _regulates(dev)


@pytest.mark.parametrize("sensor", ["mprls", "bmp280"])
@pytest.mark.parametrize("fault", ["sensor_disconnect", "sensor_stuck"])
def test_sensor_faults_per_sensor(open_device, tmp_path, sensor, fault):
    dev = open_device(_scenario(tmp_path, "%s_%s" % (sensor, fault), sensor=sensor,
                                events=[{"t_ms": 8000, "fault": fault}]))
    dev.request("tel on 50Hz")
    dev.link.start("start continuous target=30kPa duration=60s")  # after the boot zero
    tel = dev.telemetry_until(lambda f: f["alarms"] != "none", 20_000)
    last = tel[-1]
    assert {"sensor", "stuck"} & set(last["alarms"].split(",")), last["alarms"]  # stuck output has its own alarm
    assert last["pump_duty"] == 0 and last["valve_duty"] == 65535 and last["state"] == "fault"
    # fault at 8 s sim time (as in the fault_* scenarios; boot 250 ms): detected within 1.5 s
    # of it, or of the session's start if the host's 'start' reached the
    # full-speed board after the fault (a loaded machine): a stuck reading is
    # judged while the device regulates.
    fault_at = 8000 - 250
    started = min((int(f["t_ms"]) for f in tel if f["state"] == "run"), default=fault_at)
    assert 0 < int(last["t_ms"]) - max(fault_at, started) <= 1_500, (last["t_ms"], started)


def test_absolute_sensor_zeroes_at_altitude(open_device, tmp_path):
    # Ambient 85 kPa (about 1500 m): the boot zero makes gauge 0 there.
    dev = open_device(_scenario(tmp_path, "alt", sensor="bmp280", plant={"ambient_kpa": 85.0}))
    dev.request("tel on 50Hz")
    tel = dev.telemetry_until(lambda f: False, 500)
    assert all(abs(int(f["vacuum_pa"])) <= 100 for f in tel[5:]), [f["vacuum_pa"] for f in tel]
    _regulates(dev)



@pytest.mark.parametrize("board,sensor", [("pico2", None), ("esp32_devkitc", None), ("pico", "mprls")])
def test_no_session_starts_before_an_absolute_sensor_has_its_zero(needs_sim, tmp_path, board, sensor):
    """A session started while an absolute sensor takes its boot zero would
    pump during the zero: the whole session would read low by what it had
    pumped (found when the host got fast: a 20 kPa session held 22.2 kPa of
    true vacuum). The device refuses until the zero is taken, by ground truth."""
    import time as wall

    from vacuumctl.errors import DeviceError
    from vacuumctl.link import DeviceLink

    kw = {"board": board} if sensor is None else {"board": board, "sensor": sensor}
    truth = tmp_path / "truth.csv"
    # Real time: the start arrives a few ms of device time after the boot.
    with DeviceLink.open("sim:%s" % _scenario(tmp_path, "zero", **kw), speed="1", truth_csv=str(truth)) as link:
        with pytest.raises(DeviceError) as e:
            link.request("start continuous target=20kPa duration=3s")
        assert e.value.code == "E_STATE" and "still taking its zero" in e.value.message
        assert link.start("start continuous target=20kPa duration=3s").startswith("started continuous")
        deadline = wall.monotonic() + 30
        while "state=idle" not in link.request("status"):
            assert wall.monotonic() < deadline
    # The controller held the measured vacuum at 20 kPa: the true one is
    # there too, so the zero is right (it was 22.2 kPa with a zero taken while pumping).
    rows = list(csv.DictReader(open(truth, newline="")))
    held = [int(r["true_vacuum_pa"]) for r in rows if 1500 <= int(r["t_ms"]) <= 2500]
    assert held and all(abs(v - TARGET_PA) <= 500 for v in held), (min(held), max(held))
