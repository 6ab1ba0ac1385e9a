"""Program `intermittent`: alternating on (target) and off (floor) phases,
judged from telemetry in device time."""
from __future__ import annotations

import pytest

from vacuumctl.errors import DeviceError

ON_MS = 3_000
OFF_MS = 2_000
DURATION_MS = 12_000
BOUNDARY_TOL_MS = 100


def _phases(t0: int) -> list[tuple[str, int, int]]:
    """(phase, start, end) in device time for a session started at t0."""
    out = []
    t = t0
    while t < t0 + DURATION_MS:
        out.append(("on", t, min(t + ON_MS, t0 + DURATION_MS)))
        t += ON_MS
        if t >= t0 + DURATION_MS:
            break
        out.append(("off", t, min(t + OFF_MS, t0 + DURATION_MS)))
        t += OFF_MS
    return out


def _boundaries(run: list[dict], target_pa: int) -> list[tuple[str, int]]:
    """Observed phase changes: the setpoint leaves the target (off) and
    returns to it (on)."""
    out = []
    on = None  # the first line may come before the first controller update
    for f in run:
        at_target = int(f["setpoint_pa"]) == target_pa
        if on is None:
            on = True if at_target else None
        elif on and not at_target:
            out.append(("off", int(f["t_ms"])))
            on = False
        elif not on and at_target:
            out.append(("on", int(f["t_ms"])))
            on = True
    return out


def _second_half(run: list[dict], start: int, end: int, length: int) -> list[int]:
    """Vacuum in the second half of a phase of nominal length (the last on
    phase is cut short by the session's duration: judged from the same mid)."""
    mid = start + length // 2
    return [int(f["vacuum_pa"]) for f in run if mid <= int(f["t_ms"]) < end - 20]


def _check_intermittent(device, floor_pa: int) -> float:
    target = 20_000
    line = "start intermittent target=20kPa on=3s off=2s duration=12s"
    if floor_pa:
        line += " floor=%dPa" % floor_pa
    tel = device.run_to_end(line, DURATION_MS + 10_000)
    assert all(f["alarms"] == "none" for f in tel), {f["alarms"] for f in tel}
    run = [f for f in tel if f["state"] == "run"]
    assert run, "never ran"
    t0 = int(run[0]["t_ms"])
    t_end = int(run[-1]["t_ms"])
    # The session ends by itself after its duration.
    assert abs(t_end - (t0 + DURATION_MS)) <= BOUNDARY_TOL_MS, t_end - t0
    phases = _phases(t0)
    # Phase boundaries at the expected device times.
    expected = [(name, start) for name, start, _ in phases[1:]]
    observed = _boundaries(run, target)
    assert [n for n, _ in observed] == [n for n, _ in expected], [(n, t - t0) for n, t in observed]
    for (_, want), (_, got) in zip(expected, observed):
        assert abs(got - want) <= BOUNDARY_TOL_MS, (got - t0, want - t0)
    errors = []
    for name, start, end in phases:
        v = _second_half(run, start, end, ON_MS if name == "on" else OFF_MS)
        assert v, "no telemetry in the second half of %s phase at %d ms" % (name, start - t0)
        if name == "on":
            bad = [x for x in v if abs(x - target) > target * 5 // 100]
            assert not bad, "on phase at %d ms: %s" % (start - t0, bad[:5])
        elif floor_pa == 0:
            assert max(v) < 1_000, "off phase at %d ms: max %d Pa" % (start - t0, max(v))
        else:
            bad = [x for x in v if abs(x - floor_pa) > floor_pa // 10]
            assert not bad, "off phase at %d ms: %s" % (start - t0, bad[:5])
    # Tracking in the on phases (after the first 20 % of each).
    for name, start, end in phases:
        if name == "on":
            settle = start + (end - start) // 5
            errors += [abs(int(f["vacuum_pa"]) - target) for f in run if settle <= int(f["t_ms"]) < end]
    return sum(errors) / len(errors)


def test_intermittent_vents_between_on_phases(device):
    mae = _check_intermittent(device, 0)
    print("intermittent floor=0: mean abs error in on phases %.0f Pa" % mae)


def test_intermittent_holds_floor_between_on_phases(device):
    mae = _check_intermittent(device, 5_000)
    print("intermittent floor=5kPa: mean abs error in on phases %.0f Pa" % mae)


@pytest.mark.parametrize(
    "line, code",
    [
        ("start intermittent target=20kPa floor=25kPa", "E_RANGE"),
        ("start intermittent target=20kPa floor=20kPa", "E_RANGE"),
        ("start intermittent target=20kPa on=0s", "E_RANGE"),
        ("start intermittent target=20kPa on=3", "E_UNIT"),
        ("start intermittent floor=5kPa", "E_ARG"),
    ],
)
def test_intermittent_rejects_bad_arguments(device, line, code):
    with pytest.raises(DeviceError) as e:
        device.request(line)
    assert e.value.code == code, e.value
    st = device.request("status")
    assert "state=idle" in st and "program=none" in st and "pump_duty=0" in st, st
