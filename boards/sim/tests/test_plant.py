# Tests of boards/sim/plant.py, run inside MicroPython:
#   .venv/bin/micropython tools/testing/mpy_unittest.py boards/sim/tests/test_plant.py
# (also plain CPython-compatible: no pytest features, only assert).
import math

from plant import LINE_VOLUME_ML, Plant
from plantcase import params

FACE_3LPM = {"volume_ml": 5.0, "compliance_ml_per_kpa": 0.05, "pump_free_flow_l_min": 3.0, "vent_l_min_at_10kpa": 1.0}
LEG = {
    "volume_ml": 15000.0,
    "compliance_ml_per_kpa": 50.0,
    "pump_free_flow_l_min": 40.0,
    "pump_max_vacuum_kpa": 30.0,
    "leak_l_min_at_10kpa": 2.0,
    "vent_l_min_at_10kpa": 200.0,
}


def _run(plant, seconds, drive, vent, dt=0.001):
    for _ in range(int(seconds / dt + 0.5)):
        plant.step(dt, drive, vent)


def _pull_to(plant, target_pa, drive=1.0, limit_s=120.0):
    """Step at 1 ms until the chamber vacuum reaches target; return seconds."""
    n = 0
    while plant.vacuum_pa < target_pa:
        plant.step(0.001, drive, 0.0)
        n += 1
        assert n < limit_s * 1000, "target %r not reached" % target_pa
    return n * 0.001


def _line_rise_time(plant, v_from, v_to):
    n = 0
    assert plant.line_vacuum_pa >= v_from
    while plant.line_vacuum_pa < v_to:
        plant.step(0.001, 1.0, 0.0)
        n += 1
        assert n < 600000
    return n * 0.001


# ------------------------------------------------ independent reference model
# Straight transcription of the domain model (lumped node = chamber + 2 mL
# line), integrated with explicit Euler at a tiny step. Used to check the
# plant's 1 ms implicit step for accuracy.
def _ref_rate(P, v, u, w):
    pa = P["ambient_kpa"] * 1000.0
    p = pa - v
    v0 = P["volume_ml"] * 1e-6
    c = P["compliance_ml_per_kpa"] * 1e-9
    vol = v0 - c * v
    if vol > 0.2 * v0:
        cap = vol + p * c
    else:
        cap = 0.2 * v0
    cap += LINE_VOLUME_ML * 1e-6
    q_pump = u * P["pump_free_flow_l_min"] / 60000.0 * max(0.0, 1.0 - v / (P["pump_max_vacuum_kpa"] * 1000.0))
    lmin10 = P["leak_l_min_at_10kpa"] + w * P["vent_l_min_at_10kpa"]
    if v > 100.0:
        f = math.sqrt(v / 10000.0)
    else:
        f = v / 100.0 * math.sqrt(100.0 / 10000.0)
    q_in = lmin10 / 60000.0 * f
    return (p * q_pump - pa * q_in) / cap


def _ref_trajectory(P, u, w, v_start, times, h=5e-6):
    """Vacuum at each of the (increasing) times, from v_start."""
    out = []
    v = v_start
    t = 0.0
    for tt in times:
        while t < tt - 1e-12:
            v += h * _ref_rate(P, v, u, w)
            if v < 0.0:
                v = 0.0
            t += h
        out.append(v)
    return out


def _ref_crossing(P, target, h):
    v = 0.0
    t = 0.0
    while v < target:
        prev = v
        v += h * _ref_rate(P, v, 1.0, 0.0)
        t += h
        assert t < 600.0
    return t - h + h * (target - prev) / (v - prev)


# ------------------------------------------------------------------- tests
def test_starts_at_ambient_with_no_flow():
    p = Plant(params())
    assert p.vacuum_pa == 0.0 and p.line_vacuum_pa == 0.0
    assert p.pump_flow_l_min == 0.0 and p.vent_flow_l_min == 0.0 and p.leak_flow_l_min == 0.0
    p.step(0.001, 0.0, 1.0)
    assert p.vacuum_pa == 0.0


def test_sealed_chamber_keeps_its_vacuum():
    p = Plant(params(leak_l_min_at_10kpa=0.0))
    _pull_to(p, 30000.0)
    v = p.vacuum_pa
    _run(p, 20.0, 0.0, 0.0)
    assert p.vacuum_pa == v, (p.vacuum_pa, v)
    assert p.pump_flow_l_min == 0.0 and p.vent_flow_l_min == 0.0 and p.leak_flow_l_min == 0.0


def test_gas_is_conserved_across_blockage_and_clearing():
    P = params(leak_l_min_at_10kpa=0.0)
    pa = P["ambient_kpa"] * 1000.0
    v0 = P["volume_ml"] * 1e-6
    c = P["compliance_ml_per_kpa"] * 1e-9
    vl_vol = LINE_VOLUME_ML * 1e-6

    def chamber_vol(v):
        return max(0.2 * v0, v0 - c * v)

    p = Plant(P)
    _pull_to(p, 20000.0)
    p.blocked = True
    _run(p, 0.05, 1.0, 0.0)  # line only: pumped much deeper
    assert p.line_vacuum_pa > p.vacuum_pa + 10000.0
    gas = (pa - p.line_vacuum_pa) * vl_vol + (pa - p.vacuum_pa) * chamber_vol(p.vacuum_pa)
    p.blocked = False
    p.step(0.001, 0.0, 0.0)
    v = p.vacuum_pa
    assert p.line_vacuum_pa == v
    gas_after = (pa - v) * (vl_vol + chamber_vol(v))
    assert abs(gas_after - gas) < 1e-9 * gas, (gas, gas_after)
    assert 20000.0 < v < 21000.0  # 2 mL of deeper vacuum shared with 62 mL


def test_pulldown_is_monotonic_and_approaches_pump_max_vacuum():
    P = params(leak_l_min_at_10kpa=0.0)
    p = Plant(P)
    vmax = P["pump_max_vacuum_kpa"] * 1000.0
    prev = 0.0
    for _ in range(120000):
        p.step(0.001, 1.0, 0.0)
        v = p.vacuum_pa
        assert v >= prev
        assert v <= vmax
        prev = v
    assert v > 0.99 * vmax, v
    assert p.pump_flow_l_min < 0.01 * P["pump_free_flow_l_min"]


def test_partial_drive_reaches_same_max_but_slower():
    P = params(leak_l_min_at_10kpa=0.0)
    t_full = _pull_to(Plant(P), 40000.0, 1.0)
    t_half = _pull_to(Plant(P), 40000.0, 0.5)
    assert 1.9 * t_full < t_half < 2.1 * t_full, (t_full, t_half)


def test_leak_lowers_the_equilibrium_and_balances_mass_flow():
    P0 = params(leak_l_min_at_10kpa=0.0)
    P1 = params(leak_l_min_at_10kpa=0.5)
    a = Plant(P0)
    b = Plant(P1)
    _run(a, 60.0, 1.0, 0.0)
    _run(b, 60.0, 1.0, 0.0)
    assert b.vacuum_pa < a.vacuum_pa - 20000.0, (a.vacuum_pa, b.vacuum_pa)
    eq = b.equilibrium_vacuum_pa(1.0, 0.0)
    assert abs(b.vacuum_pa - eq) < 0.001 * eq, (b.vacuum_pa, eq)
    # at equilibrium, gas removed (chamber conditions) == gas leaking in (ambient)
    pa = P1["ambient_kpa"] * 1000.0
    out = b.pump_flow_l_min * (pa - b.vacuum_pa)
    inn = b.leak_flow_l_min * pa
    assert abs(out - inn) < 0.005 * inn, (out, inn)
    # leak read-out follows the orifice law
    expect = 0.5 * math.sqrt(b.vacuum_pa / 10000.0)
    assert abs(b.leak_flow_l_min - expect) < 1e-9, (b.leak_flow_l_min, expect)


def test_vent_releases_to_ambient_in_expected_time():
    # No compliance, no leak: constant capacitance, so with the sqrt orifice
    # t(v0 -> v1) = 2 * Cap * (sqrt(v0) - sqrt(v1)) / (p_atm * k).
    P = params(compliance_ml_per_kpa=0.0, leak_l_min_at_10kpa=0.0)
    p = Plant(P)
    _pull_to(p, 50000.0)
    v0 = p.vacuum_pa
    n = 0
    while p.vacuum_pa > 0.01 * v0:
        p.step(0.001, 0.0, 1.0)
        assert p.vacuum_pa >= 0.0
        n += 1
        assert n < 100000
    t = n * 0.001
    cap = (P["volume_ml"] + LINE_VOLUME_ML) * 1e-6
    k = P["vent_l_min_at_10kpa"] / 60000.0 / 100.0
    pa = P["ambient_kpa"] * 1000.0
    expect = 2.0 * cap * (math.sqrt(v0) - math.sqrt(0.01 * v0)) / (pa * k)
    assert abs(t - expect) < 0.03 * expect + 0.002, (t, expect)
    # ... and all the way back to ambient shortly after, never below it
    _run(p, 0.5, 0.0, 1.0)
    assert 0.0 <= p.vacuum_pa < 1.0, p.vacuum_pa


def test_every_named_plant_vents_from_working_vacuum_within_3_s():
    for over, start in (
        ({}, 50000.0),
        ({"volume_ml": 5.0, "compliance_ml_per_kpa": 0.05, "pump_free_flow_l_min": 1.0, "vent_l_min_at_10kpa": 1.0}, 50000.0),
        ({"volume_ml": 250.0, "compliance_ml_per_kpa": 1.0, "pump_free_flow_l_min": 3.0, "vent_l_min_at_10kpa": 15.0}, 50000.0),
        ({"volume_ml": 400.0, "compliance_ml_per_kpa": 2.0, "pump_free_flow_l_min": 3.0, "leak_l_min_at_10kpa": 1.0, "vent_l_min_at_10kpa": 10.0}, 16700.0),
        (LEG, 20000.0),
    ):
        p = Plant(params(over))
        _pull_to(p, start)
        n = 0
        while p.vacuum_pa > 0.01 * start:
            p.step(0.001, 0.0, 1.0)
            n += 1
        assert n < 3000, (over, n)


def test_vent_flow_matches_its_rating_at_10kpa():
    P = params()
    p = Plant(P)
    _pull_to(p, 10000.0)
    p.step(0.001, 0.0, 1.0)
    v = p.line_vacuum_pa
    expect = P["vent_l_min_at_10kpa"] * math.sqrt(v / 10000.0)
    assert abs(p.vent_flow_l_min - expect) < 1e-9 * expect, (p.vent_flow_l_min, expect)
    p.step(0.001, 0.0, 0.25)
    v = p.line_vacuum_pa
    expect = 0.25 * P["vent_l_min_at_10kpa"] * math.sqrt(v / 10000.0)
    assert abs(p.vent_flow_l_min - expect) < 1e-9 * expect
    # pump read-out: free flow times the linear drop with vacuum
    p.step(0.001, 0.5, 0.0)
    v = p.line_vacuum_pa
    expect = 0.5 * P["pump_free_flow_l_min"] * (1.0 - v / 80000.0)
    assert abs(p.pump_flow_l_min - expect) < 1e-9


def test_orifice_is_linear_near_ambient_and_decays_smoothly():
    P = params(compliance_ml_per_kpa=0.0, leak_l_min_at_10kpa=0.0)
    p = Plant(P)
    _pull_to(p, 80.0)
    p.step(0.001, 0.0, 1.0)
    v = p.vacuum_pa
    assert 0.0 < v < 100.0
    expect = P["vent_l_min_at_10kpa"] * (v / 100.0) * 0.1  # 0.1 = sqrt(100/10000)
    assert abs(p.vent_flow_l_min - expect) < 1e-9
    prev = v
    for _ in range(200):
        p.step(0.001, 0.0, 1.0)
        assert 0.0 <= p.vacuum_pa <= prev
        prev = p.vacuum_pa


def test_compliance_slows_pulldown():
    stiff = _pull_to(Plant(params(compliance_ml_per_kpa=0.0)), 40000.0)
    soft = _pull_to(Plant(params(compliance_ml_per_kpa=0.3)), 40000.0)
    softer = _pull_to(Plant(params(compliance_ml_per_kpa=1.0)), 40000.0)
    assert stiff < soft < softer, (stiff, soft, softer)
    assert soft > 1.15 * stiff  # effective capacitance V + p*C: +30 mL at ambient


def test_compliance_volume_floor_keeps_model_sane():
    # 10 mL/kPa on a 60 mL cup would shrink it to nothing by 6 kPa; floored at 20 %
    p = Plant(params(compliance_ml_per_kpa=10.0, leak_l_min_at_10kpa=0.0))
    prev = 0.0
    for _ in range(60000):
        p.step(0.001, 1.0, 0.0)
        assert p.vacuum_pa >= prev
        prev = p.vacuum_pa
    assert p.vacuum_pa > 70000.0


def test_blockage_line_rises_much_faster_and_chamber_does_not_follow():
    P = params()
    free = Plant(P)
    _pull_to(free, 20000.0)
    t_free = _line_rise_time(free, 20000.0, 40000.0)

    p = Plant(P)
    _pull_to(p, 20000.0)
    v_chamber = p.vacuum_pa
    p.blocked = True
    t_blocked = _line_rise_time(p, 20000.0, 40000.0)
    assert t_blocked * 10.0 < t_free, (t_blocked, t_free)
    # The cup is cut off: while the line is pumped it only loses vacuum through
    # its leak, like a sealed cup left alone (the twin, pump off, vent shut;
    # its extra 2 mL of line volume makes it decay a little slower).
    twin = Plant(P)
    _pull_to(twin, 20000.0)
    _run(p, 2.0, 1.0, 0.0)
    _run(twin, 2.0 + t_blocked, 0.0, 0.0)
    assert p.line_vacuum_pa > 70000.0
    assert p.vacuum_pa < v_chamber
    assert 0.95 * twin.vacuum_pa < p.vacuum_pa < twin.vacuum_pa, (p.vacuum_pa, twin.vacuum_pa)
    # venting the line does not release the cup either
    v_chamber = p.vacuum_pa
    _run(p, 1.0, 0.0, 1.0)
    assert p.line_vacuum_pa < 100.0
    assert 0.8 * v_chamber < p.vacuum_pa < v_chamber
    assert p.leak_flow_l_min > 0.0


def test_blocked_chamber_loses_vacuum_through_leak_only():
    p = Plant(params(leak_l_min_at_10kpa=0.5))
    _pull_to(p, 20000.0)
    p.blocked = True
    v1 = p.vacuum_pa
    _run(p, 1.0, 1.0, 0.0)
    v2 = p.vacuum_pa
    _run(p, 1.0, 1.0, 0.0)
    v3 = p.vacuum_pa
    assert v1 > v2 > v3 > 0.0, (v1, v2, v3)
    q = Plant(params(leak_l_min_at_10kpa=0.0))
    _pull_to(q, 20000.0)
    q.blocked = True
    v = q.vacuum_pa
    _run(q, 2.0, 1.0, 1.0)
    assert q.vacuum_pa == v


def test_pump_failed_gives_no_flow():
    p = Plant(params())
    p.pump_failed = True
    _run(p, 1.0, 1.0, 0.0)
    assert p.vacuum_pa == 0.0 and p.pump_flow_l_min == 0.0
    p.pump_stuck_on = True  # a dead pump cannot be stuck on
    _run(p, 0.1, 0.0, 0.0)
    assert p.vacuum_pa == 0.0
    p.pump_failed = False
    p.pump_stuck_on = False
    _run(p, 0.5, 1.0, 0.0)
    assert p.vacuum_pa > 10000.0


def test_pump_stuck_on_runs_at_full_drive():
    ref = Plant(params())
    _run(ref, 1.0, 1.0, 0.0)
    p = Plant(params())
    p.pump_stuck_on = True
    _run(p, 1.0, 0.0, 0.0)
    assert p.vacuum_pa == ref.vacuum_pa
    assert p.pump_flow_l_min > 0.0
    # venting can still hold it down (that is the safety response)
    _run(p, 5.0, 0.0, 1.0)
    assert p.vacuum_pa < 0.6 * ref.vacuum_pa


def test_vent_stuck_closed_admits_no_air():
    p = Plant(params(leak_l_min_at_10kpa=0.0))
    _pull_to(p, 30000.0)
    v = p.vacuum_pa
    p.vent_stuck_closed = True
    _run(p, 2.0, 0.0, 1.0)
    assert p.vacuum_pa == v
    assert p.vent_flow_l_min == 0.0
    p.vent_stuck_closed = False
    _run(p, 2.0, 0.0, 1.0)
    assert p.vacuum_pa < 0.01 * v


def test_extra_leak_fault_lowers_equilibrium_and_can_be_cleared():
    p = Plant(params())
    _run(p, 30.0, 1.0, 0.0)
    v_ok = p.vacuum_pa
    leak_ok = p.leak_flow_l_min
    p.extra_leak_l_min_at_10kpa = 1.5
    _run(p, 30.0, 1.0, 0.0)
    assert p.vacuum_pa < 0.25 * v_ok, (p.vacuum_pa, v_ok)
    assert p.leak_flow_l_min > 5.0 * leak_ok
    expect = 1.55 * math.sqrt(p.vacuum_pa / 10000.0)
    assert abs(p.leak_flow_l_min - expect) < 1e-9
    p.extra_leak_l_min_at_10kpa = 0.0
    _run(p, 30.0, 1.0, 0.0)
    assert abs(p.vacuum_pa - v_ok) < 0.001 * v_ok


def test_commands_are_clamped_to_0_1():
    a = Plant(params())
    b = Plant(params())
    _run(a, 0.5, 1.0, 0.0)
    _run(b, 0.5, 5.0, -3.0)
    assert a.vacuum_pa == b.vacuum_pa
    _run(b, 0.5, -1.0, 2.0)
    _run(a, 0.5, 0.0, 1.0)
    assert a.vacuum_pa == b.vacuum_pa


def test_large_steps_are_substepped():
    a = Plant(params())
    b = Plant(params())
    for _ in range(100):
        a.step(0.01, 0.7, 0.1)
    _run(b, 1.0, 0.7, 0.1)
    assert abs(a.vacuum_pa - b.vacuum_pa) < 1e-6 * b.vacuum_pa, (a.vacuum_pa, b.vacuum_pa)
    c = Plant(params())
    c.step(0.0, 1.0, 0.0)
    c.step(-1.0, 1.0, 0.0)
    assert c.vacuum_pa == 0.0


def test_stable_and_bounded_on_extreme_plants():
    cases = (
        # 1 mL cup, huge pump and vent, low ambient (pump max above ambient)
        {"volume_ml": 1.0, "compliance_ml_per_kpa": 0.0, "pump_free_flow_l_min": 100.0,
         "pump_max_vacuum_kpa": 101.0, "vent_l_min_at_10kpa": 500.0, "ambient_kpa": 50.0},
        # 5 mL cup with a 3 L/min pump
        FACE_3LPM,
        # 15 L chamber
        LEG,
        # blown-open NPWT dressing
        {"volume_ml": 400.0, "compliance_ml_per_kpa": 1000.0, "leak_l_min_at_10kpa": 50.0,
         "pump_free_flow_l_min": 3.0},
    )
    seed = 12345
    for over in cases:
        P = params(over)
        p = Plant(P)
        top = min(P["pump_max_vacuum_kpa"], P["ambient_kpa"]) * 1000.0
        for i in range(20000):
            if i % 50 == 0:
                seed = (seed * 1103515245 + 12345) & 0x7FFFFFFF
                drive = (seed & 0xFF) / 255.0
                vent = ((seed >> 8) & 0xFF) / 255.0 if (seed >> 16) & 1 else 0.0
                p.blocked = ((seed >> 17) & 7) == 0
            p.step(0.001, drive, vent)
            v = p.vacuum_pa
            lv = p.line_vacuum_pa
            assert v == v and lv == lv  # not NaN
            assert 0.0 <= v <= top and 0.0 <= lv <= top, (over, v, lv)
        # steady state at full drive never beyond the pump's max vacuum
        p.blocked = False
        _run(p, 5.0, 1.0, 0.0)
        assert p.vacuum_pa <= top


def _assert_follows(p, u, w, times, ref, rel, slack=0.0):
    """Step p at 1 ms with drive u and vent w, from now to each of the
    (increasing) times in s: its vacuum within rel * ref + slack of ref."""
    t = 0
    for tt, vr in zip(times, ref):
        while t < int(tt * 1000 + 0.5):
            p.step(0.001, u, w)
            t += 1
        assert abs(p.vacuum_pa - vr) < rel * vr + slack, (tt, p.vacuum_pa, vr)


def test_1ms_step_is_accurate_on_5ml_cup_with_3lpm_pump():
    P = params(FACE_3LPM)
    times = (0.02, 0.05, 0.1, 0.2, 0.4)
    p = Plant(P)
    _assert_follows(p, 1.0, 0.0, times, _ref_trajectory(P, 1.0, 0.0, 0.0, times), 0.01)
    # venting from there
    times = (0.02, 0.05, 0.1)
    _assert_follows(p, 0.0, 1.0, times, _ref_trajectory(P, 0.0, 1.0, p.vacuum_pa, times), 0.02, 50.0)


def test_1ms_step_is_accurate_on_15l_chamber():
    P = params(LEG)
    times = (0.5, 1.0, 3.0)
    p = Plant(P)
    _assert_follows(p, 1.0, 0.0, times, _ref_trajectory(P, 1.0, 0.0, 0.0, times, h=1e-4), 0.005)


def _rise_time_matches_reference(P, target_pa, h, rel):
    """(plant, its full-duty rise time to target_pa) for a plant of P: the
    time within rel of the reference's crossing of 98 % of target_pa."""
    p = Plant(P)
    t = p.full_duty_rise_time_s(target_pa)
    ref = _ref_crossing(P, target_pa * 0.98, h)
    assert abs(t - ref) < rel * ref, (t, ref)
    return p, t


def test_full_duty_rise_time_on_5ml_cup():
    P = params(FACE_3LPM)
    p, t30 = _rise_time_matches_reference(P, 30000.0, 2e-6, 0.02)
    # physical lower bound: whole free flow at ambient pressure, smallest capacitance
    cap_min = (P["volume_ml"] + LINE_VOLUME_ML) * 1e-6
    qf = P["pump_free_flow_l_min"] / 60000.0
    assert t30 > 29400.0 * cap_min / (101325.0 * qf)
    assert 0.03 < t30 < 0.2, t30
    t10 = p.full_duty_rise_time_s(10000.0)
    t50 = p.full_duty_rise_time_s(50000.0)
    assert 0.0 < t10 < t30 < t50
    assert p.full_duty_rise_time_s(30000.0, tol_frac=0.0) > t30
    assert p.full_duty_rise_time_s(0.0) == 0.0
    assert p.full_duty_rise_time_s(80000.0) is None  # beyond the pump


def test_full_duty_rise_time_on_15l_chamber():
    p, t4 = _rise_time_matches_reference(params(LEG), 4000.0, 1e-4, 0.01)
    assert 0.5 < t4 < 3.0, t4
    assert p.full_duty_rise_time_s(30000.0) is None  # pump max is 30 kPa, leak too
    eq = p.equilibrium_vacuum_pa()
    assert p.full_duty_rise_time_s(eq * 1.1) is None
    t = p.full_duty_rise_time_s(eq * 0.95, tol_frac=0.0)
    assert t is not None and t > 10.0 * t4


def test_full_duty_rise_time_uses_a_fresh_fault_free_copy():
    p = Plant(params())
    t = p.full_duty_rise_time_s(30000.0)
    _run(p, 1.0, 0.3, 0.0)
    p.pump_failed = True
    p.blocked = True
    p.extra_leak_l_min_at_10kpa = 5.0
    v = p.vacuum_pa
    assert p.full_duty_rise_time_s(30000.0) == t
    assert p.vacuum_pa == v and p.pump_failed and p.blocked
