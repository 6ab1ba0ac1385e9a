"""A seeded subset of the robustness campaign (tools/bench/robustness.py,
make robustness): one random honest plant per program (pump 40 % either side
of its declaration on any curve, vent dead zone, tubing, sensor errors,
drift), each running that program's whole session with no fault injected,
and one fault matrix cell per fault kind of the vacuum on a random plant
each. The healthy devices are commissioned on their bench first
(docs/commissioning.md), the faulty ones are not (the device that knows
least must still catch the fault). Judged by the physics: a healthy plant raises no alarm and meets the
control targets of docs/control.md (an alarm or a missed target accepted
only where the plant makes it physically impossible; a `rise` on a plant
that rises faster than the rule's limit at full drive is a FAIL since the
controller governs its approach: issue 17); every injected fault is detected by an expected alarm
within its deadline and contained (a leak that leaves the plant flat near
ambient at full pump may be answered by `pump`: one sensor sees a dead
pump), except the listed findings (robustness.KNOWN_FAULT_FINDINGS), which
must stay contained."""
from __future__ import annotations


import pytest

import fault_matrix  # tools/bench (pytest.ini pythonpath)
import robustness  # tools/bench (pytest.ini pythonpath)

pytestmark = pytest.mark.usefixtures("needs_sim")
PROGRAMS = sorted(robustness.sessions.PROGRAMS)
SEED = 5


def test_random_honest_plants_raise_no_false_alarm_and_meet_the_control_targets():
    res = robustness.campaign(len(PROGRAMS), seed=SEED, jobs=1, cross=False, programs=PROGRAMS, commissioned=True)
    assert sorted(r["program"] for r in res) == PROGRAMS
    # Each device was commissioned on its bench, and its flash carried the record into the session.
    assert sum(robustness.commissionable(r["scn"]) for r in res) == len(PROGRAMS) - 1  # (the leg chamber's blower: its board declares another pump)
    for r in res:
        if robustness.commissionable(r["scn"]):
            assert r["summary"]["commissioning"] == "" and r["summary"]["record"]["commissioned"] == 1, (r["program"], r["summary"])
    bad = [(r["program"], r["summary"]["alarms"], r["summary"]["session_end"], r["summary"]["errors"][:1], r["scn"])
           for r in res if r["verdict"] == "FAIL"]
    assert not bad, bad
    passed = sum(1 for r in res if r["verdict"] == "PASS")
    print("robustness subset: %d of %d plants healthy, %s" % (passed, len(res), {r["program"]: r["verdict"] for r in res}))
    assert passed >= len(res) - 3  # the exceptions are physically explained, and few
    control = {r["program"]: r["control"] for r in res if r["control"] is not None}
    print("control: %s" % {p: (c["verdict"], c["missed"] or c["impossible"]) for p, c in control.items()})
    # The campaign's one known residual (docs/simulation.md, "Robustness
    # campaign"): an NPWT hold the pump can only just make (its mean drive
    # over the hold 90 % or more, by ground truth) ripples above the RMS
    # target as the controller's P term dips the saturated pump on the
    # sensor's noise. Counted MISSED by the campaign; here at most one such,
    # and nothing else.
    saturated = {p: c["missed"] for p, c in control.items()
                 if c["verdict"] == "MISSED" and p.startswith("npwt_") and c["hold_pump_max"] >= 0.9}
    print("known residual (NPWT hold at pump saturation): %s" % saturated)
    missed = {p: c["missed"] for p, c in control.items() if c["verdict"] == "MISSED" and p not in saturated}
    assert not missed and len(saturated) <= 1, (missed, saturated)
    # Judged, not waved through: the step programs' approach and the holds.
    met = [p for p, c in control.items() if c["verdict"] == "MET"]
    assert len(met) >= 8, control
    assert all(control[p]["settle_s"] is not None for p in ("continuous", "intermittent", "dotted") if p in met)


def test_faults_on_random_plants_are_detected_and_contained():
    cells = [c for c in robustness.fault_cells() if c[0] not in fault_matrix.LASER_FAULTS][:len(fault_matrix.FAULTS) - len(fault_matrix.LASER_FAULTS)]
    assert sorted(f for f, _ in cells) == sorted(f for f in fault_matrix.FAULTS if f not in fault_matrix.LASER_FAULTS)
    # Uncommissioned: the device that knows least of its parts must still catch every fault.
    res = robustness.fault_campaign(len(cells), seed=SEED, jobs=1, only=cells, commissioned=False)
    print({r["key"]: (r["verdict"], r["result"]["alarm"], r["result"]["detect_ms"], r["result"]["problems"]) for r in res})
    failed = [(r["key"], r["result"]["problems"], r["scn"]) for r in res if r["verdict"] == "FAIL"]
    assert not failed, failed
    for r in res:
        if r["verdict"] == "ACCEPTED":  # judged by the physics of the plant
            assert r["fault"] == "leak" and r["result"]["alarm"] == "pump" and robustness.leak_looks_like_a_dead_pump(r["scn"]), r
    # Every listed finding of this subset is still one (remove it when fixed),
    # and stays contained: safe after the alarm, true vacuum within its limit.
    listed = {k for k in robustness.KNOWN_FAULT_FINDINGS if k.startswith("%d:" % SEED)}
    assert {r["key"] for r in res if r["verdict"] == "FINDING"} == listed
    for r in res:
        assert r["result"]["peak_true_pa"] is not None and r["result"]["peak_true_pa"] <= fault_matrix.HARD_LIMIT_PA, r


def test_the_draw_is_deterministic_and_valid():
    rng1 = robustness.random.Random("5:0:continuous")
    rng2 = robustness.random.Random("5:0:continuous")
    s1 = robustness.draw_plant(rng1, "continuous")
    assert s1 == robustness.draw_plant(rng2, "continuous")
    for i, prog in enumerate(PROGRAMS * 5):
        scn = robustness.draw_plant(robustness.random.Random(i), prog)
        p = robustness.scenario_mod.validate_scenario(scn)["plant"]  # raises on a bad draw
        free = 40.0 if prog == "interval_legs" else 2.0
        assert 0.6 * free * 0.99 <= p["pump_free_flow_l_min"] <= 1.4 * free * 1.01, p
    for fault, prog in robustness.fault_cells():
        scn = robustness.draw_fault_plant(robustness.random.Random(robustness.fault_key(5, 0, fault, prog)), prog)
        robustness.scenario_mod.validate_scenario(scn)
        assert scn["board"] == fault_matrix.BOARD_OF.get(prog, ("pico",))[0]


def test_the_sensor_port_level_inverts_the_emulated_part():
    scn = {"board": "pico", "sensor": "xgzp6897d", "plant": {"sensor_offset_pa": 200, "sensor_gain_error_ppm": 20_000}}
    # reading = vacuum x 1.02 - 200 Pa: the part reads 30 kPa at (30 000 + 200) / 1.02
    assert robustness.sensor_port_level_pa(scn, 30_000) == pytest.approx(30_200 / 1.02)
    scn["sensor"] = "mprls"  # an absolute part: its boot zero takes the offset out
    assert robustness.sensor_port_level_pa(scn, 30_000) == pytest.approx(30_000 / 1.02)
    # The fault matrix allows what the same sensor, reading low, hides.
    assert fault_matrix.sensor_reads_low_pa({"sensor": "xgzp6897d", "plant": {"sensor_offset_pa": 200, "sensor_gain_error_ppm": -20_000}},
                                            50_000) == 1_200
    assert fault_matrix.sensor_reads_low_pa(None, 50_000) == 0


def test_a_leak_is_a_dead_pump_to_one_sensor_only_where_the_physics_says_so():
    weak = {"board": "pico", "plant": {"volume_ml": 60, "pump_free_flow_l_min": 1.5, "leak_l_min_at_10kpa": 0.04}}
    strong = {"board": "pico", "plant": {"volume_ml": 60, "pump_free_flow_l_min": 20.0, "leak_l_min_at_10kpa": 0.04}}
    assert robustness.leak_looks_like_a_dead_pump(weak)
    assert not robustness.leak_looks_like_a_dead_pump(strong)
    assert robustness.firmware_constant("safety", "_PUMP_LOW_PA") == 2_000


def test_the_control_judgement_misses_a_ripple_and_a_slow_approach():
    """judge_control on made-up ground truth (no simulation): a hold that
    ripples 400 Pa, then an approach far slower than the plant allows."""
    scn = {"board": "pico", "sensor": "xgzp6897d", "plant": {"volume_ml": 60, "pump_free_flow_l_min": 2.0}}
    limit = robustness.plant_mod.Plant(robustness.scenario_mod.validate_scenario(scn)["plant"]).full_duty_rise_time_s(30_000)
    tel = [(t, 0 if t < 300 else 30_000) for t in range(0, 10_001, 100)]

    def session(vacuum_at):
        truth = [(t, vacuum_at(t), vacuum_at(t), 65535 if t >= 300 else 0) for t in range(0, 10_001, 10)]
        return {"truth": truth, "tel": tel}

    def approach(t, rise_s):  # a straight ramp to the level, then held exactly
        return 0 if t < 300 else min(30_000, int(30_000 * (t - 300) / 1000.0 / rise_s))

    good = robustness.judge_control("continuous", scn, session(lambda t: approach(t, limit)))
    assert good["verdict"] == "MET", good
    ripple = robustness.judge_control("continuous", scn, session(lambda t: approach(t, limit) + (400 if (t // 10) % 2 else -400) * (t > 3000)))
    assert ripple["verdict"] == "MISSED" and any("hold RMS" in m for m in ripple["missed"]), ripple
    slow = robustness.judge_control("continuous", scn, session(lambda t: approach(t, 2 * limit)))
    assert slow["verdict"] == "MISSED" and any(m.startswith("settle") for m in slow["missed"]), slow
