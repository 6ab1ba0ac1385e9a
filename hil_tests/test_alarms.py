"""The alarm model over the serial link: events the moment an alarm is
raised, acknowledged, silenced or cleared; the `alarms` list and log; the
buzzer and LED patterns (observed on the simulated board's pins through the
ground truth); host heartbeat; control-loop overrun; reset cause at boot."""
from __future__ import annotations

from pathlib import Path

import pytest

from vacuumctl.errors import DeviceError
from vacuumctl.link import DeviceLink
from vacuumctl.telemetry import parse_fields

BOOT_MS = 0  # on the first boot the truth's t_ms equals the firmware's uptime (measured: first pump duty at 1080 ms in both)


def _event(dev, words: str):
    return dev.wait_message(lambda m: m.kind == "alarm" and m.text.startswith(words))


def _pulses(rows, t0, t1, col):
    """Rising edges of a 0/1 truth column within [t0, t1) (truth time); an
    edge on the window's first row counts (the row before it is read)."""
    before = [int(r[col]) for r in rows if int(r["t_ms"]) < t0][-1:]
    vals = before + [int(r[col]) for r in rows if t0 <= int(r["t_ms"]) < t1]
    return sum(1 for a, b in zip(vals, vals[1:]) if not a and b)


def _first_edge(rows, t0, col):
    """Truth time of the first rising edge of a 0/1 column at or after t0."""
    prev = None
    for r in rows:
        v = int(r[col])
        if int(r["t_ms"]) >= t0 and prev == 0 and v:
            return int(r["t_ms"])
        prev = v
    raise AssertionError("no %s pulse after %d ms" % (col, t0))


def test_raise_silence_ack_clear_with_events_log_and_signals(device, needs_sim):
    device.request("tel on 50Hz")
    device.request("start continuous target=20kPa duration=60s")
    device.telemetry_until(lambda f: f["vacuum_pa"] >= 15_000, 10_000)
    device.unlock()
    device.request("selftest exception")
    raised = _event(device, "alarm raise internal")
    assert "priority=high" in raised.text and "latching=1" in raised.text
    t_raise = int(raised.fields["t_ms"])
    st = device.request("alarms")
    assert "internal=high,latched,unacked,stops" in st and "active=1" in st, st
    with pytest.raises(DeviceError) as e:
        device.request("start continuous target=20kPa")
    assert e.value.code == "E_STATE"
    # High priority: 10 pulses per 3.2 s cycle, LED flashing at 2.5 Hz.
    rows = device.truth.wait_until(t_raise + BOOT_MS + 6_500)
    t0 = t_raise + BOOT_MS + 100
    # One cycle from a pulse's edge, less 50 ms: the edge that opens the next
    # cycle stays out whatever the pattern's phase and a background pass's jitter.
    edge = _first_edge(rows, t0, "buzzer")
    assert _pulses(rows, edge, edge + 3_150, "buzzer") == 10
    assert 7 <= _pulses(rows, t0, t0 + 3_200, "alarm_led") <= 9
    # Time-limited silence: quiet for 2 s of device time, then sounds again.
    with pytest.raises(DeviceError) as e:
        device.request("silence 3min")
    assert e.value.code == "E_RANGE"
    assert device.request("silence 2s").startswith("silenced 2000ms")
    sil = _event(device, "alarm silence ms=2000")
    t_sil = int(sil.fields["t_ms"]) + BOOT_MS
    rows = device.truth.wait_until(t_sil + 5_500)
    assert _pulses(rows, t_sil + 50, t_sil + 1_950, "buzzer") == 0
    assert _pulses(rows, t_sil + 1_950, t_sil + 5_500, "buzzer") >= 5
    assert _pulses(rows, t_sil + 50, t_sil + 1_950, "alarm_led") >= 4  # the LED never pauses
    # Acknowledge: sound stops for good, the alarm stays latched.
    assert device.request("ack") == "acked internal"
    ack = _event(device, "alarm ack internal")
    t_ack = int(ack.fields["t_ms"]) + BOOT_MS
    rows = device.truth.wait_until(t_ack + 4_000)
    assert _pulses(rows, t_ack + 50, t_ack + 4_000, "buzzer") == 0
    assert _pulses(rows, t_ack + 50, t_ack + 4_000, "alarm_led") >= 8
    assert "internal=high,latched,acked" in device.request("alarms")
    # Only `clear` ends it, and says so.
    assert device.request("clear") == "cleared internal"
    _event(device, "alarm clear internal")
    assert device.request("alarms").startswith("active=0")
    log = device.request("alarms log")
    order = [w for w in ("raise internal", "silence -", "ack internal", "clear internal") if w in log]
    assert order == ["raise internal", "silence -", "ack internal", "clear internal"], log
    assert log.index("raise internal") < log.index("silence -") < log.index("ack internal") < log.index("clear internal")


def test_heartbeat_lost_ends_the_session_safe(device):
    device.request("tel on 50Hz")
    reply = device.request("start continuous target=20kPa duration=60s heartbeat=1s")
    assert "heartbeat_ms=1000" in reply
    # A wide window (the heartbeat's timing is judged below, from t_ms).
    tel = device.telemetry_until(lambda f: f["state"] == "fault", 30_000)
    last = tel[-1]
    assert "host" in last["alarms"].split(",") and last["pump_duty"] == 0 and last["valve_duty"] == 65535
    started = next(int(f["t_ms"]) for f in tel if f["state"] == "run")
    assert 900 <= int(last["t_ms"]) - started <= 1_150


@pytest.mark.whole_machine
def test_heartbeat_kept_by_commands(port, tmp_path: Path, needs_sim):
    # Real time (speed 1), so the host can keep its heartbeat going.
    link = DeviceLink.open("sim:default", speed="1")
    try:
        link.request("start continuous target=20kPa duration=3s heartbeat=700ms")
        import time

        # Heartbeats every 0.25 s (real time: the sim is paced) until the
        # 3 s session has ended and released by itself.
        deadline = time.monotonic() + 30
        while True:
            time.sleep(0.25)  # a host's heartbeat period in real time
            st = link.request("status")
            if "state=idle" in st:
                break
            assert time.monotonic() < deadline, st
            assert link.request("hb").startswith("hb t_ms=")
        assert "alarms=none" in st and "remaining_ms=0" in st, st
        assert int(st.split("elapsed_ms=")[1].split()[0]) >= 3000  # it ran its whole time
    finally:
        link.close()


def test_heartbeat_argument_checked(device):
    for bad, code in (("heartbeat=100ms", "E_RANGE"), ("heartbeat=2", "E_UNIT"), ("heartbeat=1s heartbeat=2s", "E_ARG")):
        with pytest.raises(DeviceError) as e:
            device.request("start continuous target=20kPa " + bad)
        assert e.value.code == code, bad
    assert "state=idle" in device.request("status")


def test_overrun_is_a_low_non_latching_alarm_that_does_not_stop(device):
    device.request("tel on 50Hz")
    device.request("start continuous target=20kPa duration=30s")
    device.telemetry_until(lambda f: f["vacuum_pa"] >= 15_000, 10_000)
    device.unlock()
    before = parse_fields(device.request("status"))["overruns"]  # since boot: a board that keeps running has some
    device.request("selftest stall 60ms")
    raised = _event(device, "alarm raise overrun")
    assert "priority=low latching=0" in raised.text
    st = device.request("status")
    assert "state=run" in st and parse_fields(st)["overruns"] == before + 1, st
    end = _event(device, "alarm end overrun")
    assert 9_900 <= int(end.fields["t_ms"]) - int(raised.fields["t_ms"]) <= 10_100
    assert "state=run" in device.request("status")


def test_program_limits_cannot_be_raised_over_the_link(device):
    device.unlock()  # not even in the service role
    with pytest.raises(DeviceError) as e:
        device.request("start continuous target=20kPa duration=169h")
    assert e.value.code == "E_RANGE"
    for p in ("ceiling", "trip"):
        with pytest.raises(DeviceError) as e:
            device.request("set %s 80kPa" % p)
        assert e.value.code == "E_READONLY"
