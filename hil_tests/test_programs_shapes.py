"""Programs dynamic, dotted and pulse, the gentle start (ramp) and pause:
their shapes asserted in device time against the simulated plant's ground
truth (what the chamber really did), not only against telemetry."""
from __future__ import annotations

import pytest

from vacuumctl.telemetry import Message


def _truth(device, t_from: int, t_to: int) -> list[tuple[int, int]]:
    rows = device.truth.wait_until(t_to)
    return [(int(r["t_ms"]), int(r["true_vacuum_pa"])) for r in rows if t_from <= int(r["t_ms"]) <= t_to]


def _run_span(tel: list[dict]) -> tuple[int, int]:
    run = [f for f in tel if f["state"] == "run"]
    assert run, "never ran"
    return int(run[0]["t_ms"]), int(run[-1]["t_ms"])


def test_dynamic_cycles_between_floor_and_target_never_to_zero(device, needs_sim):
    target, floor = 20_000, 8_000
    tel = device.run_to_end("start dynamic target=20kPa floor=8kPa rise=2s fall=2s duration=10s", 20_000)
    assert all(f["alarms"] == "none" for f in tel)
    t0, t_end = _run_span(tel)
    assert abs(t_end - t0 - 10_000) <= 100
    # Setpoint: a triangle floor -> target (2 s) -> floor (2 s) ...
    for k, want in ((2_000, target), (4_000, floor), (6_000, target), (3_000, (target + floor) // 2)):
        f = min(tel, key=lambda f: abs(int(f["t_ms"]) - (t0 + k)))
        assert abs(int(f["setpoint_pa"]) - want) <= 600, (k, f["setpoint_pa"])
    # The chamber, once it first reached the floor, never fell below it
    # (tolerance: the 60 mL cup tracks a 6 kPa/s ramp within a few hundred Pa).
    truth = _truth(device, t0, t_end)
    first = next(t for t, v in truth if v >= floor)
    after = [v for t, v in truth if t >= first]
    assert min(after) >= floor - 800, min(after)
    assert max(after) <= target + 1_000, max(after)
    # Tracking error of the measured vacuum against the setpoint.
    err = [abs(int(f["vacuum_pa"]) - int(f["setpoint_pa"])) for f in tel if f["state"] == "run" and int(f["t_ms"]) >= first]
    mae = sum(err) / len(err)
    print("dynamic 8..20 kPa, 2 s/2 s on the 60 mL cup: mean abs tracking error %.0f Pa, min %d Pa" % (mae, min(after)))
    # The PI controller lags a 6 kPa/s ramp (no feed-forward): a figure to
    # improve in the controller, bounded here so a regression shows.
    assert mae < 2_500


def _dots(truth: list[tuple[int, int]], level: int) -> list[tuple[int, int]]:
    """Intervals (start, end) in which the true vacuum is at or above level."""
    out, start = [], None
    for t, v in truth:
        if v >= level and start is None:
            start = t
        elif v < level and start is not None:
            out.append((start, t))
            start = None
    return out


def test_face_dotted_holds_releases_fully_and_waits_for_the_operator(open_device, needs_sim):
    device = open_device("face_cup_5ml")
    device.request("tel on 50Hz")
    reply = device.request("start face_dotted target=30kPa hold=3s duration=60s")
    assert "hold_ms=3000" in reply and "wait_ms=0" in reply, reply
    done: list[Message] = []

    def note(m: Message) -> None:
        if m.kind == "event" and "dot_done" in m.text:
            done.append(m)

    device.telemetry_until(lambda f: bool(done), 10_000, on_msg=note)
    # Waiting for the operator: vented, no new dot for 2 s of device time.
    wait = device.telemetry_until(lambda f: False, 2_000)
    assert all(f["phase"] == "wait" and f["pump_duty"] == 0 and f["valve_duty"] == 65535 for f in wait), wait[-1]
    t_next = int(wait[-1]["t_ms"])
    assert device.request("next") == "next dot"
    done.clear()
    tel = device.telemetry_until(lambda f: bool(done), 10_000, on_msg=note)
    t_last = int(tel[-1]["t_ms"])
    device.request("stop")
    truth = _truth(device, 0, t_last)
    dots = _dots(truth, 28_500)  # 95 % of target
    assert len(dots) == 2, dots
    for start, end in dots:
        assert 2_950 <= end - start <= 3_300, (start, end)  # hold 3 s (face: 3-5 s)
    # Released fully between the dots, and stayed at ambient until 'next'.
    between = [v for t, v in truth if dots[0][1] + 500 <= t <= t_next]
    assert between and max(between) < 500, max(between)
    assert dots[1][0] > t_next
    print("face_dotted 30 kPa: dots at target %s ms" % [e - s for s, e in dots])


@pytest.mark.parametrize("bad", ["target=60kPa", "target=5kPa", "hold=6s", "hold=2s", "duration=20min"])
def test_face_dotted_limits(device, bad):
    from vacuumctl.errors import DeviceError

    with pytest.raises(DeviceError) as e:
        device.request("start face_dotted " + bad)
    assert e.value.code == "E_RANGE", e.value


def _cycle_swings(truth: list[tuple[int, int]], t0: int, period: int, n: int) -> list[int]:
    out = []
    for k in range(n):
        vs = [v for t, v in truth if t0 + k * period <= t < t0 + (k + 1) * period]
        out.append(max(vs) - min(vs))
    return out


@pytest.mark.parametrize("rate_hz, period_ms", [(0.5, 2_000), (5, 200)])
def test_pulse_reports_the_swing_the_plant_achieved(device, needs_sim, rate_hz, period_ms):
    events: list[Message] = []

    def note(m: Message) -> None:
        if m.kind == "event" and "pulse_achieved" in m.text:
            events.append(m)

    device.request("tel on 50Hz")
    device.request("start pulse target=20kPa freq=%gHz duration=30s" % rate_hz)
    tel = device.telemetry_until(lambda f: bool(events), 10_000, on_msg=note)
    t0 = int(next(f for f in tel if f["state"] == "run")["t_ms"])
    ev = events[0].fields
    assert ev["cycles"] == 3 and ev["freq_mhz"] == int(rate_hz * 1000) and ev["wanted_swing_pa"] == 20_000
    device.request("stop")
    # The device's report against the chamber: the third cycle's swing.
    truth = _truth(device, t0 - 20, t0 + 4 * period_ms)
    swing_true = _cycle_swings(truth, t0, period_ms, 3)[2]
    assert abs(int(ev["swing_pa"]) - swing_true) <= max(400, swing_true // 10), (ev, swing_true)
    print("pulse 20 kPa at %.1f Hz on the 60 mL cup: device swing %d Pa (%d %%), true %d Pa" % (rate_hz, ev["swing_pa"], ev["depth_pct"], swing_true))
    if rate_hz < 1:
        assert ev["depth_pct"] >= 85  # slow pulses reach (nearly) full depth
    else:
        assert ev["depth_pct"] < 60  # fast pulses cannot: reported, not pretended


def test_ramp_reaches_target_after_the_ramp_time(device, needs_sim):
    tel = device.run_to_end("start continuous target=30kPa ramp=4s duration=7s", 15_000)
    t0, t_end = _run_span(tel)
    half = min(tel, key=lambda f: abs(int(f["t_ms"]) - (t0 + 2_000)))
    assert abs(int(half["setpoint_pa"]) - 15_000) <= 600, half
    truth = _truth(device, t0, t_end)
    # Gentle: the chamber follows the ramp line, never jumping ahead of it.
    ahead = [v - 30_000 * (t - t0) // 4_000 for t, v in truth if t <= t0 + 4_000]
    assert max(ahead) < 1_500, max(ahead)
    at = [v for t, v in truth if t0 + 4_500 <= t <= t_end]
    # Within 7 %: the PI controller overshoots a little at the ramp's end.
    assert at and all(abs(v - 30_000) < 2_100 for v in at), (min(at), max(at))
    print("continuous 30 kPa ramp 4 s: after the ramp %d..%d Pa" % (min(at), max(at)))


def test_pulse_ramp_raises_the_depth_gradually(device, needs_sim):
    device.request("tel on 50Hz")
    device.request("start pulse target=20kPa freq=0.5Hz ramp=6s duration=30s")
    tel = device.telemetry_until(lambda f: int(f.get("remaining_ms", 0)) and int(f["remaining_ms"]) < 21_000, 15_000)
    device.request("stop")
    t0 = int(next(f for f in tel if f["state"] == "run")["t_ms"])
    truth = _truth(device, t0, t0 + 8_000)
    peaks = [max(v for t, v in truth if t0 + k * 2_000 <= t < t0 + k * 2_000 + 1_000) for k in range(4)]
    assert peaks[0] < peaks[1] < peaks[2] <= peaks[3] + 500, peaks
    assert peaks[0] < 20_000 * 1 // 3 + 1_000 and peaks[3] > 17_000, peaks


def test_pause_vents_and_freezes_the_timer(device, needs_sim):
    device.request("tel on 50Hz")
    device.request("start continuous target=30kPa duration=8s")
    device.telemetry_until(lambda f: f["vacuum_pa"] >= 29_000, 10_000)
    rep = device.request("pause")
    assert rep.startswith("paused remaining_ms="), rep
    rem = int(rep.split("=")[1].split()[0])
    paused = device.telemetry_until(lambda f: False, 3_000)
    paused = [f for f in paused if f["state"] == "pause"]
    assert paused and all(int(f["remaining_ms"]) == rem for f in paused)
    assert paused[-1]["pump_duty"] == 0 and paused[-1]["valve_duty"] == 65535
    t_p0, t_p1 = int(paused[0]["t_ms"]), int(paused[-1]["t_ms"])
    assert max(v for t, v in _truth(device, t_p0 + 1_000, t_p1)) < 500
    with pytest.raises(Exception):
        device.request("pause")  # already paused
    assert device.request("resume").startswith("resumed remaining_ms=%d" % rem)
    ended: list[Message] = []
    tel = device.telemetry_until(lambda f: bool(ended) and f["state"] == "idle", 15_000,
                                 on_msg=lambda m: ended.append(m) if m.kind == "event" and "session_end" in m.text else None)
    run = [f for f in tel if f["state"] == "run"]
    # The session ran its remaining time after the resume.
    assert abs(int(run[-1]["t_ms"]) - int(run[0]["t_ms"]) - rem) <= 100
    assert any(f["vacuum_pa"] >= 29_000 for f in run)
    assert "reason=completed" in ended[0].text
