# The fast Plant against the reference integrator (plant_reference.py, the
# integrator as it was before it was made fast), on every named scenario's
# plant, through every regime of the model: pull-down at full drive, a
# controller-like PWM dither, vent and pump together, blockage and its
# release, extra leak, pump failure, pump stuck on, vent stuck closed, and
# release to ambient. Both run the simulated board's grid (1 ms steps from
# the start of each wait, the last step of a wait ending at its deadline);
# the Plant in one call per wait (advance_us), the reference one call per
# step. Tolerance: TOL_PA on the chamber and on the line vacuum, at the end
# of every wait and at every step the plant's trace records.
#
#   micropython tools/testing/mpy_unittest.py boards/sim/tests/test_plant_reference.py
#   micropython boards/sim/tests/test_plant_reference.py     (prints the table)
import os
import sys

_here = __file__.rsplit("/", 1)[0] if "/" in __file__ else "."
if _here not in sys.path:
    sys.path.insert(0, _here)  # plant_reference.py
if __name__ == "__main__":
    sys.path.insert(0, _here + "/..")

import scenario as scenario_mod
from plant import STEP_US, TRACE_STEPS, Plant
from plant_reference import ReferencePlant

TOL_PA = 0.01  # stated tolerance: a hundredth of a pascal
_SCEN_DIR = __file__.rsplit("/tests/", 1)[0] + "/scenarios"
_MASK = TRACE_STEPS - 1


def _scenarios():
    return sorted(n[:-5] for n in os.listdir(_SCEN_DIR) if n.endswith(".json"))


def _schedule(t_ms, rnd):
    """(pump drive, vent opening, faults) at t_ms: a fixed tour of every
    regime; rnd() gives the dither (a fixed LCG)."""
    f = {"blocked": False, "extra_leak": 0.0, "pump_failed": False, "pump_stuck_on": False, "vent_stuck_closed": False}
    if t_ms < 2000:
        return 1.0, 0.0, f
    if t_ms < 6000:
        return rnd(), 0.0, f  # a controller holding: new duty every wait
    if t_ms < 7000:
        return 0.3, 0.25, f
    if t_ms < 8000:
        f["blocked"] = True
        return 0.5, 0.1 if t_ms >= 7500 else 0.0, f
    if t_ms < 9000:
        f["extra_leak"] = 1.5
        return 1.0, 0.0, f
    if t_ms < 9500:
        f["pump_failed"] = True
        return 1.0, 0.0, f
    if t_ms < 10000:
        f["pump_stuck_on"] = True
        return 0.0, 1.0, f
    if t_ms < 10500:
        f["vent_stuck_closed"] = True
        return 0.0, 1.0, f
    return 0.0, 1.0, f  # release to ambient


def _apply(p, f):
    p.blocked = f["blocked"]
    p.extra_leak_l_min_at_10kpa = f["extra_leak"]
    p.pump_failed = f["pump_failed"]
    p.pump_stuck_on = f["pump_stuck_on"]
    p.vent_stuck_closed = f["vent_stuck_closed"]


# Imperfect plants (issue 17) beside the named ones: a curved pump, a vent
# with a dead zone, tubing; validated as a scenario file would be.
IMPERFECT = {
    "npwt_tubing": {"volume_ml": 400, "compliance_ml_per_kpa": 2.0, "leak_l_min_at_10kpa": 1.0,
                    "pump_curve": [[0, 1], [20, 0.8], [50, 0.35], [65, 0]],
                    "vent_curve": [[0, 0], [0.3, 0], [0.6, 0.85], [1, 1]],
                    "tube_length_m": 1.8, "tube_inner_diameter_mm": 3},
    "face_convex": {"volume_ml": 5, "compliance_ml_per_kpa": 0.05, "pump_free_flow_l_min": 1.3,
                    "pump_curve": [[0, 1], [30, 0.5], [60, 0.2], [75, 0]],
                    "vent_curve": [[0, 0], [0.25, 0], [1, 1]]},
}


def compare(name, end_ms=12000):
    """Max |difference| (Pa) between Plant and the reference on one
    scenario's plant: (chamber, line, waits compared)."""
    if name in IMPERFECT:
        params = scenario_mod.validate_scenario({"plant": IMPERFECT[name]})["plant"]
    else:
        params = scenario_mod.load_scenario(name, _SCEN_DIR)["plant"]
    fast = Plant(params)
    ref = ReferencePlant(params)
    seed = [12345]

    def rnd():
        seed[0] = (seed[0] * 1103515245 + 12345) & 0x7FFFFFFF
        return (seed[0] >> 8) / float(1 << 23)

    t = 0
    n = 0
    worst_v = 0.0
    worst_l = 0.0
    while t < end_ms * 1000:
        # Waits of the board: mostly 5 ms, some split by a bus transfer's
        # time (off the 1 ms grid), some long (boot, a stall).
        k = n % 23
        wait = 15000 if k == 0 else 2360 if k == 7 else 2640 if k == 8 else 5000
        u, w, f = _schedule(t // 1000, rnd)
        _apply(fast, f)
        _apply(ref, f)
        fast.pump_scale = ref.pump_scale = 0.8 if 4000 <= t // 1000 < 5000 else 1.0  # a sagging supply
        fast.advance_us(wait, u, w)
        done = 0
        i = 0
        while done < wait:
            step = STEP_US if wait - done >= STEP_US else wait - done
            ref.step(step * 1e-6, u, w)
            done += step
            d = abs(fast.trace[i & _MASK] - ref.line_vacuum_pa)
            if d > worst_l:
                worst_l = d
            i += 1
        dv = abs(fast.vacuum_pa - ref.vacuum_pa)
        dl = abs(fast.line_vacuum_pa - ref.line_vacuum_pa)
        if dv > worst_v:
            worst_v = dv
        if dl > worst_l:
            worst_l = dl
        t += wait
        n += 1
    return worst_v, worst_l, n


def test_every_named_scenario_matches_the_reference_integrator():
    for name in _scenarios():
        dv, dl, n = compare(name)
        assert dv <= TOL_PA and dl <= TOL_PA, "%s: chamber %.3g Pa, line %.3g Pa off the reference" % (name, dv, dl)


def test_imperfect_plants_match_the_reference_integrator():
    for name in IMPERFECT:
        dv, dl, n = compare(name)
        assert dv <= TOL_PA and dl <= TOL_PA, "%s: chamber %.3g Pa, line %.3g Pa off the reference" % (name, dv, dl)


def test_a_single_step_is_the_reference_step():
    params = scenario_mod.load_scenario("face_cup_5ml", _SCEN_DIR)["plant"]
    fast = Plant(params)
    ref = ReferencePlant(params)
    for i in range(300):
        fast.step(0.001, 1.0 if i < 200 else 0.0, 0.0 if i < 200 else 0.5)
        ref.step(0.001, 1.0 if i < 200 else 0.0, 0.0 if i < 200 else 0.5)
        assert abs(fast.vacuum_pa - ref.vacuum_pa) <= TOL_PA, (i, fast.vacuum_pa, ref.vacuum_pa)


if __name__ == "__main__":
    print("Plant vs reference integrator (%.0f s tour per plant; tolerance %g Pa)" % (12, TOL_PA))
    print("%-26s %14s %14s %8s" % ("scenario", "max |dv| Pa", "max |dline| Pa", "waits"))
    for name in _scenarios() + list(IMPERFECT):
        dv, dl, n = compare(name)
        print("%-26s %14.3g %14.3g %8d  %s" % (name, dv, dl, n, "ok" if dv <= TOL_PA and dl <= TOL_PA else "OVER"))
