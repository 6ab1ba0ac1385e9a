# The plant's and the world's imperfections (issue 17): a pump that follows
# its own curve, a vent with a dead zone, tubing between the device and the
# patient, a sensor with offset and gain error, ambient drift, a sagging
# supply and a wearing pump. Each is checked against a figure computed here
# independently of the code under test.
#   .venv/bin/micropython tools/testing/mpy_unittest.py boards/sim/tests/test_imperfections.py
import math

import scenario
from plant import AIR_VISCOSITY_PA_S, Plant, interp
from plantcase import BASE, params
from world import World

CONCAVE = [[0.0, 1.0], [30.0, 0.85], [55.0, 0.45], [70.0, 0.0]]


def _run(plant, seconds, drive, vent):
    plant.advance_us(int(seconds * 1e6), drive, vent)


def _equilibrium(curve_kpa, free_l_min, leak_l_min_at_10kpa, pa=101325.0):
    """Independent bisection: pump removal (curve) = leak inflow, lumped."""
    xs = [c[0] * 1000.0 for c in curve_kpa]
    ys = [c[1] for c in curve_kpa]
    lo, hi = 0.0, xs[-1]
    for _ in range(80):
        v = 0.5 * (lo + hi)
        pump = (pa - v) * free_l_min * interp(xs, ys, v)
        leak = pa * leak_l_min_at_10kpa * math.sqrt(v / 10000.0)
        if pump > leak:
            lo = v
        else:
            hi = v
    return 0.5 * (lo + hi)


def test_the_straight_line_as_a_curve_is_the_default_pump_bit_for_bit():
    a = Plant(BASE)
    b = Plant(params(pump_curve=[[0.0, 1.0], [80.0, 0.0]]))
    for i in range(3000):
        u = 1.0 if i < 1500 else 0.37
        a.step(0.001, u, 0.0)
        b.step(0.001, u, 0.0)
        assert a.vacuum_pa == b.vacuum_pa, (i, a.vacuum_pa, b.vacuum_pa)


def test_a_curved_pump_settles_where_its_curve_meets_the_leak():
    p = Plant(params(pump_curve=CONCAVE, pump_max_vacuum_kpa=70.0))
    _run(p, 60.0, 1.0, 0.0)
    want = _equilibrium(CONCAVE, 2.0, 0.05)
    assert abs(p.vacuum_pa - want) < 0.002 * want, (p.vacuum_pa, want)
    # and its flow there is the curve's fraction of the free flow
    frac = interp([c[0] * 1000.0 for c in CONCAVE], [c[1] for c in CONCAVE], p.vacuum_pa)
    assert abs(p.pump_flow_l_min - 2.0 * frac) < 1e-6, (p.pump_flow_l_min, frac)


def test_a_concave_pump_pulls_down_faster_than_the_straight_line_at_the_same_figures():
    line = Plant(params(pump_max_vacuum_kpa=70.0))
    conc = Plant(params(pump_curve=CONCAVE, pump_max_vacuum_kpa=70.0))
    t_line = line.full_duty_rise_time_s(40000)
    t_conc = conc.full_duty_rise_time_s(40000)
    assert t_conc < 0.9 * t_line, (t_conc, t_line)


def test_the_vent_dead_zone_keeps_it_shut_and_saturation_opens_it_fully():
    curve = [[0.0, 0.0], [0.35, 0.0], [0.6, 0.9], [1.0, 1.0]]
    p = Plant(params(vent_curve=curve))
    _run(p, 2.0, 1.0, 0.0)
    v0 = p.vacuum_pa
    _run(p, 0.2, 0.0, 0.3)  # inside the dead zone: only the seal leak
    assert p.vent_flow_l_min == 0.0 and p.vacuum_pa > 0.97 * v0, (p.vacuum_pa, v0)
    ideal = Plant(BASE)
    _run(ideal, 2.0, 1.0, 0.0)
    _run(ideal, 0.001, 0.0, 0.9)
    _run(p, 0.001, 0.0, 0.6)
    # at 0.6 of drive the valve is 0.9 open: the flow an ideal valve has at 0.9
    assert abs(p.vent_flow_l_min / ideal.vent_flow_l_min * ideal.line_vacuum_pa ** 0.5 / p.line_vacuum_pa ** 0.5 - 1.0) < 1e-9


def test_tubing_drops_pressure_under_flow_by_poiseuille():
    d_mm, length = 3.0, 1.5
    p = Plant(params(volume_ml=400.0, compliance_ml_per_kpa=2.0, leak_l_min_at_10kpa=1.0,
                      tube_length_m=length, tube_inner_diameter_mm=d_mm))
    _run(p, 40.0, 0.6, 0.0)
    vl, vc = p.line_vacuum_pa, p.vacuum_pa
    assert vl > vc
    # steady: the leak's gas (at ambient) all flows through the tube
    q_leak = p.leak_flow_l_min / 60000.0  # m^3/s at ambient
    r = d_mm * 0.5e-3
    g = math.pi * r ** 4 / (8.0 * AIR_VISCOSITY_PA_S * length)
    p_mean = 101325.0 - 0.5 * (vl + vc)
    drop = 101325.0 * q_leak / (g * p_mean)
    assert abs((vl - vc) - drop) < 0.02 * drop, (vl - vc, drop)
    assert drop > 200.0  # 1.5 m of 3 mm tubing at ~1.3 L/min: a few mmHg


def test_the_patient_side_lags_the_sensor_side():
    p = Plant(params(volume_ml=400.0, compliance_ml_per_kpa=2.0, tube_length_m=2.0, tube_inner_diameter_mm=3.0))
    _run(p, 0.05, 1.0, 0.0)
    assert p.line_vacuum_pa > 1.5 * p.vacuum_pa, (p.line_vacuum_pa, p.vacuum_pa)
    # and a blockage cuts the tube: the patient side holds (slow leak), the line pulls away
    _run(p, 3.0, 0.5, 0.0)
    p.blocked = True
    vc = p.vacuum_pa
    _run(p, 0.5, 0.5, 0.0)
    assert p.vacuum_pa <= vc and p.line_vacuum_pa > vc + 5000.0, (p.vacuum_pa, p.line_vacuum_pa, vc)


def test_pump_scale_scales_the_flow():
    p = Plant(BASE)
    p.pump_scale = 0.5
    _run(p, 0.5, 1.0, 0.0)
    expect = 0.5 * 2.0 * (1.0 - p.line_vacuum_pa / 80000.0)
    assert abs(p.pump_flow_l_min - expect) < 1e-9


def _world(plant=None, events=None, sensor=None):
    obj = {"plant": plant or {}, "events": events or []}
    if sensor:
        obj["sensor"] = sensor
    return World(scenario.validate_scenario(obj))


def test_the_sensor_carries_its_static_offset_beneath_an_injected_one():
    w = _world({"sensor_offset_pa": 300}, [{"t_ms": 10, "fault": "sensor_offset", "value": 100}])
    assert w.sensor.offset_pa == 300.0
    w.advance_to(20_000)
    assert w.sensor.offset_pa == 400.0
    assert abs(_world({"sensor_gain_error_ppm": 20000}).sensor_gain - 1.02) < 1e-12


def test_supply_sag_and_pump_wear_scale_the_pump():
    w = _world(events=[{"t_ms": 1000, "fault": "supply_sag", "value": 0.8},
                       {"t_ms": 2000, "fault": "pump_wear", "value": 3600}])  # 1 % per second
    w.advance_to(1_500_000)
    assert w.plant.pump_scale == 0.8
    t = 2_000_000
    while t < 12_000_000:
        t += 5000
        w.advance_to(t)
    want = 0.8 * (1.0 - 0.01 * 9.995)  # the scale is set at the start of each 5 ms wait
    assert abs(w.plant.pump_scale - want) < 1e-6, (w.plant.pump_scale, want)


def test_ambient_drift_moves_what_an_absolute_sensor_reads():
    w = _world({"ambient_drift_pa_per_h": 360}, sensor="mprls")
    a0 = w.sensor.ambient_pa
    t = 0
    while t < 10_000_000:
        t += 5000
        w.advance_to(t)
    assert abs(w.sensor.ambient_pa - a0 - 360.0 * (t - 5000) / 3.6e9) < 1e-6, (w.sensor.ambient_pa, a0)
