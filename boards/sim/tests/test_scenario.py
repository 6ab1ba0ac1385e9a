# Tests of boards/sim/scenario.py and the named scenarios, run inside MicroPython:
#   .venv/bin/micropython tools/testing/mpy_unittest.py boards/sim/tests/test_scenario.py
import json
import os

import scenario
from plant import Plant
from scenario import (
    FAULTS,
    PLANT_DEFAULTS,
    PLANT_RANGES,
    ScenarioError,
    load_scenario,
    validate_scenario,
)

_HERE = __file__.rsplit("/", 1)[0] if "/" in __file__ else "."
SCEN_DIR = _HERE.rsplit("/", 1)[0] + "/scenarios" if "/" in _HERE else "../scenarios"

NAMED = (
    "default",
    "face_cup_5ml",
    "body_cup_60ml",
    "large_cup_250ml",
    "npwt_400ml",
    "leg_chamber_15l",
    "fault_sensor_disconnect",
    "fault_leak",
    "fault_blockage",
    "fault_pump_fail",
    "fault_pump_stuck_on",
    "fault_vent_stuck_closed",
    "fault_firmware_hang",
    "fault_power_cut",
)


def _err(obj):
    """Message of the ScenarioError that validate_scenario(obj) must raise."""
    try:
        validate_scenario(obj)
    except ScenarioError as e:
        assert isinstance(e, ValueError)
        return str(e)
    raise AssertionError("no ScenarioError for %r" % (obj,))


def _load_err(ref, scenarios_dir=SCEN_DIR):
    try:
        load_scenario(ref, scenarios_dir)
    except ScenarioError as e:
        return str(e)
    raise AssertionError("no ScenarioError for %r" % (ref,))


# Names of this run's own: tests run in parallel (make test).
_RUN = "".join("%02x" % b for b in os.urandom(6))


def _tmp(name, text):
    path = "/tmp/_vac_scenario_test_%s_%s.json" % (_RUN, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def _ev(**kw):
    return {"events": [kw]}


# ------------------------------------------------------------ declared pump
def test_declared_pump_is_a_checked_board_variant():
    assert validate_scenario({})["declared_pump"] is None
    s = validate_scenario({"declared_pump": {"free_flow_ml_min": 15000, "max_vacuum_pa": 80000}})
    assert s["declared_pump"] == {"free_flow_ml_min": 15000, "max_vacuum_pa": 80000}
    for bad, says in (({"free_flow_ml_min": 15000}, "'max_vacuum_pa' missing"),
                      ({"free_flow_ml_min": 10, "max_vacuum_pa": 80000}, "out of range 50..100000 mL/min"),
                      ({"free_flow_ml_min": 1.5, "max_vacuum_pa": 80000}, "expected an integer"),
                      ({"free_flow_ml_min": 15000, "max_vacuum_pa": 80000, "x": 1}, "unknown key 'x'"),
                      (3, "expected an object")):
        try:
            validate_scenario({"declared_pump": bad})
        except ScenarioError as e:
            assert "scenario.declared_pump" in str(e) and says in str(e), (bad, str(e))
        else:
            assert False, bad


# ------------------------------------------------------------ named files
def test_every_named_scenario_loads_with_a_description():
    files = [f for f in os.listdir(SCEN_DIR) if f.endswith(".json")]
    for name in NAMED:
        assert name + ".json" in files, name
    for f in files:
        s = load_scenario(f[:-5], SCEN_DIR)
        assert len(s["description"]) > 20, f
        assert sorted(s.keys()) == sorted(("seed", "board", "cpu", "sensor", "declared_pump", "plant", "events", "description"))
        assert sorted(s["plant"].keys()) == sorted(PLANT_DEFAULTS.keys())
        # the plant builds and the model accepts it
        p = Plant(s["plant"])
        p.step(0.001, 1.0, 0.0)
        assert p.vacuum_pa > 0.0


def test_named_plants_have_the_documented_parameters():
    face = load_scenario("face_cup_5ml", SCEN_DIR)["plant"]
    assert face["volume_ml"] == 5.0 and face["compliance_ml_per_kpa"] == 0.05
    assert face["pump_free_flow_l_min"] == 1.4 and face["pump_max_vacuum_kpa"] == 68.0  # the curve's end
    npwt = load_scenario("npwt_400ml", SCEN_DIR)["plant"]
    assert npwt["volume_ml"] == 400.0 and npwt["compliance_ml_per_kpa"] == 2.0
    assert npwt["leak_l_min_at_10kpa"] == 1.0 and npwt["pump_free_flow_l_min"] == 2.6
    assert npwt["tube_length_m"] == 1.5 and npwt["tube_inner_diameter_mm"] == 3.0
    leg = load_scenario("leg_chamber_15l", SCEN_DIR)["plant"]
    assert leg["volume_ml"] == 15000.0 and leg["compliance_ml_per_kpa"] == 50.0
    assert leg["pump_free_flow_l_min"] == 40.0 and leg["pump_max_vacuum_kpa"] == 28.0
    assert leg["leak_l_min_at_10kpa"] == 2.0
    assert load_scenario("large_cup_250ml", SCEN_DIR)["plant"]["volume_ml"] == 250.0
    body = load_scenario("body_cup_60ml", SCEN_DIR)["plant"]
    default = load_scenario("default", SCEN_DIR)
    assert body["volume_ml"] == 60.0
    assert default["plant"] == body  # the default scenario is the imperfect body cup
    assert default["plant"]["pump_free_flow_l_min"] == 1.7 and default["plant"]["vent_curve"][1] == [0.2, 0.0]
    assert default["events"] == []


def test_fault_demos_have_one_event_at_8_s():
    for name in NAMED:
        if not name.startswith("fault_"):
            continue
        s = load_scenario(name, SCEN_DIR)
        assert s["plant"] == PLANT_DEFAULTS, name
        assert len(s["events"]) == 1, name
        ev = s["events"][0]
        # Faults of a running session count from the pump's first drive
        # (deterministic whenever the host starts it); the others from boot.
        assert ev.get("t_ms") == 8000 or ev.get("after_pump_on_ms") == 7700, name
        assert name == "fault_" + ev["fault"] or (name == "fault_pump_fail" and ev["fault"] == "pump_fail"), name
    assert load_scenario("fault_power_cut", SCEN_DIR)["events"][0]["value"] == 2000
    assert load_scenario("fault_leak", SCEN_DIR)["events"][0]["value"] > 0.0


def test_load_by_path_and_default_dir():
    s = load_scenario(SCEN_DIR + "/npwt_400ml.json")
    assert s["plant"]["volume_ml"] == 400.0
    path = _tmp("path", '{"seed": 7}')
    assert load_scenario(path)["seed"] == 7
    os.remove(path)
    if "/" in getattr(scenario, "__file__", ""):
        assert load_scenario("default")["plant"] == load_scenario("default", SCEN_DIR)["plant"]


# ------------------------------------------------------------ defaults
def test_empty_scenario_is_fully_defaulted():
    s = validate_scenario({})
    assert s == {
        "seed": 1,
        "board": "pico",
        "cpu": "host",  # the firmware's work takes no device time
        "sensor": None,  # the board's own sensor
        "declared_pump": None,  # the board's own declaration
        "plant": PLANT_DEFAULTS,
        "events": [],
        "description": "",
    }
    assert s["plant"] is not PLANT_DEFAULTS


def test_exported_tables_are_consistent():
    assert len(FAULTS) == 18 and "power_cut" in FAULTS and "flash_cut_at_write" in FAULTS and "leak" in FAULTS
    assert sorted(PLANT_DEFAULTS.keys()) == sorted(list(PLANT_RANGES.keys()) + list(scenario.CURVE_KEYS))
    for k in PLANT_RANGES:
        lo, hi, unit = PLANT_RANGES[k]
        assert lo <= PLANT_DEFAULTS[k] <= hi, k
        assert isinstance(unit, str) and unit


def test_ints_accepted_as_floats_and_input_not_modified():
    obj = {"plant": {"volume_ml": 100, "ambient_kpa": 95}, "seed": 0}
    s = validate_scenario(obj)
    assert s["plant"]["volume_ml"] == 100.0 and isinstance(s["plant"]["volume_ml"], float)
    assert s["plant"]["ambient_kpa"] == 95.0
    assert s["plant"]["pump_free_flow_l_min"] == PLANT_DEFAULTS["pump_free_flow_l_min"]
    assert s["seed"] == 0
    assert obj == {"plant": {"volume_ml": 100, "ambient_kpa": 95}, "seed": 0}


def test_range_edges_are_accepted():
    lo = {}
    hi = {}
    for k in PLANT_RANGES:
        lo[k] = PLANT_RANGES[k][0]
        hi[k] = PLANT_RANGES[k][1]
    lo["tube_length_m"] = 0.01  # a diameter needs tubing
    validate_scenario({"plant": lo})
    validate_scenario({"plant": hi})
    for b in ("pico", "pico2", "esp32_devkitc", "sim_multi", "sim_laser"):
        assert validate_scenario({"board": b})["board"] == b
    for s in ("xgzp6897d", "mprls", "bmp280"):
        assert validate_scenario({"sensor": s})["sensor"] == s


def test_event_values_are_normalised():
    evs = validate_scenario(
        {
            "events": [
                {"t_ms": 0, "fault": "blockage"},
                {"t_ms": 10, "fault": "blockage", "value": 0},
                {"t_ms": 10, "fault": "pump_fail", "value": 3},
                {"t_ms": 20, "fault": "power_cut"},
                {"t_ms": 30, "fault": "power_cut", "value": 500.4},
                {"t_ms": 40, "fault": "sensor_offset", "value": -150},
                {"t_ms": 50, "fault": "leak", "value": 0},
                {"t_ms": 60, "fault": "sensor_disconnect"},
                {"t_ms": 70, "fault": "firmware_hang", "value": 12},
                {"t_ms": 80, "fault": "sensor_stuck", "value": 0.0},
            ]
        }
    )["events"]
    vals = [e["value"] for e in evs]
    assert vals == [1.0, 0.0, 1.0, 2000, 500, -150.0, 0.0, None, 12.0, 0.0], vals
    assert isinstance(evs[3]["value"], int) and isinstance(evs[4]["value"], int)
    for e in evs:
        assert sorted(e.keys()) == ["fault", "t_ms", "value"]
    for f in FAULTS:
        ev = {"t_ms": 5, "fault": f}
        if f in ("sensor_offset", "leak", "flash_cut_at_write", "supply_sag", "pump_wear"):
            ev["value"] = 1
        board = "sim_laser" if f in scenario.LASER_FAULTS else "pico"
        assert validate_scenario({"board": board, "events": [ev]})["events"][0]["fault"] == f


def test_laser_faults_need_a_laser_board_and_valid_values():
    evs = validate_scenario({"board": "sim_laser", "events": [
        {"t_ms": 1, "fault": "contact_lost"},
        {"t_ms": 2, "fault": "contact_lost", "value": 0},
        {"t_ms": 3, "fault": "contact_lost", "value": 120},
        {"t_ms": 4, "fault": "roller_stall", "value": 5},
        {"t_ms": 5, "fault": "laser_stuck_on", "value": 0},
        {"t_ms": 6, "fault": "contact_switch_stuck"},
    ]})["events"]
    assert [e["value"] for e in evs] == [None, 0.0, 120.0, 1.0, 0.0, 1.0], evs
    for f in scenario.LASER_FAULTS:
        m = _err({"events": [{"t_ms": 1, "fault": f}]})
        assert m == "scenario.events[0].fault: '%s' needs a board with rollers and a laser (sim_laser); this scenario's board is pico" % f, m
    m = _err({"board": "sim_laser", "events": [{"t_ms": 1, "fault": "contact_lost", "value": 501}]})
    assert m == "scenario.events[0].value: 501 is out of range 0..500 L/min at 10 kPa", m


# ------------------------------------------------- imperfections (issue 17)
def test_imperfection_keys_default_to_the_ideal_part():
    p = validate_scenario({})["plant"]
    assert p["pump_curve"] is None and p["vent_curve"] is None
    assert p["tube_length_m"] == 0.0 and p["sensor_offset_pa"] == 0.0
    assert p["sensor_gain_error_ppm"] == 0.0 and p["ambient_drift_pa_per_h"] == 0.0


def test_curves_and_tubing_are_accepted_and_normalised():
    p = validate_scenario({"plant": {
        "pump_curve": [[0, 1], [40, 0.7], [70, 0]],
        "vent_curve": [[0, 0], [0.35, 0], [0.6, 0.9], [1, 1]],
        "tube_length_m": 1.5, "tube_inner_diameter_mm": 4,
        "sensor_offset_pa": -120, "sensor_gain_error_ppm": 15000, "ambient_drift_pa_per_h": 50,
    }})["plant"]
    assert p["pump_curve"] == [[0.0, 1.0], [40.0, 0.7], [70.0, 0.0]]
    assert p["pump_max_vacuum_kpa"] == 70.0  # the curve's end is the pump's maximum vacuum
    assert p["vent_curve"][2] == [0.6, 0.9] and p["tube_inner_diameter_mm"] == 4.0
    # agreeing figures are fine
    validate_scenario({"plant": {"pump_curve": [[0, 1], [70, 0]], "pump_max_vacuum_kpa": 70}})


def test_bad_curves_and_tubing_are_refused_in_plain_words():
    bad = (
        ({"pump_curve": 3}, "scenario.plant.pump_curve: expected an array of [vacuum_kpa, fraction_of_free_flow] pairs, got number 3"),
        ({"pump_curve": [[0, 1]]}, "scenario.plant.pump_curve: needs 2 to 16 points, got 1"),
        ({"pump_curve": [[0, 1], [50]]}, "scenario.plant.pump_curve[1]: expected a pair [vacuum_kpa, fraction_of_free_flow], got array"),
        ({"pump_curve": [[0, 0.9], [80, 0]]}, "scenario.plant.pump_curve: must start at [0, 1] (no vacuum: the free flow), got [0, 0.9]"),
        ({"pump_curve": [[0, 1], [40, 0.5], [30, 0]]}, "scenario.plant.pump_curve[2]: the vacuum must rise from point to point; 30 kPa does not rise above 40 kPa"),
        ({"pump_curve": [[0, 1], [40, 0.5], [60, 0.6], [80, 0]]}, "scenario.plant.pump_curve[2]: the pump curve must fall as the vacuum rises; 0.6 is above the previous point's 0.5"),
        ({"pump_curve": [[0, 1], [80, 0.1]]}, "scenario.plant.pump_curve: must end at the pump's maximum vacuum with fraction 0, got [80, 0.1]"),
        ({"pump_curve": [[0, 1], [120, 0]]}, "scenario.plant.pump_curve[1][0]: 120 is out of range 5..101 kPa (the pump's maximum vacuum)"),
        ({"pump_curve": [[0, 1], [70, 0]], "pump_max_vacuum_kpa": 80},
         "scenario.plant.pump_max_vacuum_kpa: 80 kPa disagrees with the pump curve, which ends at 70 kPa; give one or make them agree"),
        ({"pump_curve": [[0, 1], [40, "x"], [70, 0]]}, "scenario.plant.pump_curve[1][1]: expected a number, got string \"x\""),
        ({"vent_curve": [[0, 0], [0.5, 0.8], [0.4, 0.9], [1, 1]]}, "scenario.plant.vent_curve[2]: the duty must rise from point to point; 0.4 does not rise above 0.5"),
        ({"vent_curve": [[0, 0], [0.5, 0.8], [0.7, 0.6], [1, 1]]}, "scenario.plant.vent_curve[2]: the vent curve must rise with the duty; opening 0.6 is below the previous point's 0.8"),
        ({"vent_curve": [[0, 0.1], [1, 1]]}, "scenario.plant.vent_curve: must start at [0, 0] (no drive: shut), got [0, 0.1]"),
        ({"vent_curve": [[0, 0], [0.8, 1]]}, "scenario.plant.vent_curve: must end at [1, 1] (full drive: fully open), got [0.8, 1]"),
        ({"vent_curve": [[0, 0], [0.5, 1.5], [1, 1]]}, "scenario.plant.vent_curve[1]: the opening 1.5 is out of range 0..1"),
        ({"tube_inner_diameter_mm": 4}, "scenario.plant.tube_inner_diameter_mm: given without tubing; give tube_length_m (above 0 m) too, or leave both out"),
        ({"tube_length_m": 6}, "scenario.plant.tube_length_m: 6 is out of range 0..5 m"),
        ({"tube_length_m": 1, "tube_inner_diameter_mm": 0.5}, "scenario.plant.tube_inner_diameter_mm: 0.5 is out of range 1..30 mm"),
        ({"sensor_offset_pa": 6000}, "scenario.plant.sensor_offset_pa: 6000 is out of range -5000..5000 Pa"),
        ({"sensor_gain_error_ppm": -200000}, "scenario.plant.sensor_gain_error_ppm: -200000 is out of range -100000..100000 ppm"),
        ({"ambient_drift_pa_per_h": 2500}, "scenario.plant.ambient_drift_pa_per_h: 2500 is out of range -2000..2000 Pa/h"),
    )
    for plant, msg in bad:
        m = _err({"plant": plant})
        assert m == msg, (plant, m)


def test_degradation_events_need_a_value_in_range():
    evs = validate_scenario({"events": [
        {"t_ms": 1, "fault": "supply_sag", "value": 0.8},
        {"t_ms": 2, "fault": "pump_wear", "value": 30},
    ]})["events"]
    assert [e["value"] for e in evs] == [0.8, 30.0]
    assert _err({"events": [{"t_ms": 1, "fault": "supply_sag"}]}) == \
        "scenario.events[0].value: missing (required for fault 'supply_sag': 0..1 x the pump's flow (1 = full supply))"
    assert _err({"events": [{"t_ms": 1, "fault": "supply_sag", "value": 1.2}]}) == \
        "scenario.events[0].value: 1.2 is out of range 0..1 x the pump's flow (1 = full supply)"
    assert _err({"events": [{"t_ms": 1, "fault": "pump_wear", "value": -1}]}) == \
        "scenario.events[0].value: -1 is out of range 0..10000 % of free flow lost per hour"


def test_cpu_model_is_validated():
    for name in ("host", "rp2040", "esp32"):
        assert validate_scenario({"cpu": name})["cpu"] == name
    assert _err({"cpu": "z80"}) == "scenario.cpu: unknown cpu 'z80' (valid: host, rp2040, esp32)"
    assert _err({"cpu": 2040}) == "scenario.cpu: expected a string, one of host, rp2040, esp32, got number 2040"


# ------------------------------------------------------------ errors
def test_documented_message_formats():
    assert _err({"plant": {"volume_ml": 0}}) == "scenario.plant.volume_ml: 0 is out of range 1..50000 mL"
    assert _err({"plnt": {}}) == "scenario: unknown key 'plnt' (valid: seed, board, cpu, sensor, declared_pump, plant, events, description)"
    m = _err(
        {
            "events": [
                {"t_ms": 1, "fault": "leak", "value": 1},
                {"t_ms": 2, "fault": "blockage"},
                {"t_ms": 3, "fault": "leek"},
            ]
        }
    )
    assert m.startswith("scenario.events[2].fault: unknown fault 'leek' (valid: sensor_disconnect, "), m
    for f in FAULTS:
        assert f in m


def test_validation_errors_name_the_key_path():
    nan = float("nan")
    inf = float("inf")
    cases = (
        # (scenario object, substrings that must all appear in the message)
        ([], ("scenario:", "object", "array")),
        ("x", ("scenario:", "object")),
        ({"seed": -1}, ("scenario.seed", "-1", ">= 0")),
        ({"seed": 1.5}, ("scenario.seed", "integer")),
        ({"seed": True}, ("scenario.seed", "integer", "boolean")),
        ({"seed": "1"}, ("scenario.seed", "integer", "string")),
        ({"seed": None}, ("scenario.seed", "null")),
        ({"board": "pico3"}, ("scenario.board", "unknown board 'pico3'", "pico2", "esp32_devkitc", "sim_multi", "sim_laser")),
        ({"board": 2}, ("scenario.board", "string", "number 2")),
        ({"sensor": "bmp180"}, ("scenario.sensor", "'bmp180'", "xgzp6897d", "mprls", "bmp280")),
        ({"description": 5}, ("scenario.description", "string")),
        ({"plant": []}, ("scenario.plant", "object", "array")),
        ({"plant": {"volume": 5}}, ("scenario.plant", "unknown key 'volume'", "volume_ml", "sensor_noise_pa")),
        ({"plant": {"volume_ml": True}}, ("scenario.plant.volume_ml", "number", "boolean")),
        ({"plant": {"volume_ml": "60"}}, ("scenario.plant.volume_ml", "number", "string")),
        ({"plant": {"volume_ml": nan}}, ("scenario.plant.volume_ml", "finite")),
        ({"plant": {"volume_ml": inf}}, ("scenario.plant.volume_ml", "finite")),
        ({"plant": {"volume_ml": 50001}}, ("scenario.plant.volume_ml", "50001", "1..50000 mL")),
        ({"plant": {"compliance_ml_per_kpa": -0.1}}, ("scenario.plant.compliance_ml_per_kpa", "0..1000 mL/kPa")),
        ({"plant": {"pump_free_flow_l_min": 0.01}}, ("scenario.plant.pump_free_flow_l_min", "0.01", "0.05..100 L/min")),
        ({"plant": {"pump_max_vacuum_kpa": 102}}, ("scenario.plant.pump_max_vacuum_kpa", "5..101 kPa")),
        ({"plant": {"leak_l_min_at_10kpa": 51}}, ("scenario.plant.leak_l_min_at_10kpa", "0..50")),
        ({"plant": {"vent_l_min_at_10kpa": 0}}, ("scenario.plant.vent_l_min_at_10kpa", "0.05..500")),
        ({"plant": {"ambient_kpa": 120}}, ("scenario.plant.ambient_kpa", "50..110 kPa")),
        ({"plant": {"sensor_noise_pa": 6000}}, ("scenario.plant.sensor_noise_pa", "0..5000 Pa")),
        ({"events": {}}, ("scenario.events", "array", "object")),
        ({"events": [5]}, ("scenario.events[0]", "object", "number 5")),
        (_ev(fault="leak", value=1), ("scenario.events[0].t_ms", "missing")),
        (_ev(t_ms=5), ("scenario.events[0].fault", "missing", "power_cut")),
        (_ev(t_ms=-5, fault="blockage"), ("scenario.events[0].t_ms", "-5", ">= 0")),
        (_ev(t_ms=5.5, fault="blockage"), ("scenario.events[0].t_ms", "integer", "5.5")),
        (_ev(t_ms=True, fault="blockage"), ("scenario.events[0].t_ms", "integer", "boolean")),
        (_ev(t_ms="8000", fault="blockage"), ("scenario.events[0].t_ms", "integer", "string")),
        (_ev(t_ms=5, fault=3), ("scenario.events[0].fault", "string", "number 3")),
        (_ev(t_ms=5, fault="blockage", when=3), ("scenario.events[0]", "unknown key 'when'", "t_ms, fault, value")),
        (_ev(t_ms=5, fault="leak"), ("scenario.events[0].value", "missing", "leak", "0..50")),
        (_ev(t_ms=5, fault="leak", value=60), ("scenario.events[0].value", "60", "0..50")),
        (_ev(t_ms=5, fault="leak", value=-1), ("scenario.events[0].value", "0..50")),
        (_ev(t_ms=5, fault="sensor_offset"), ("scenario.events[0].value", "missing", "sensor_offset", "-20000..20000 Pa")),
        (_ev(t_ms=5, fault="sensor_offset", value=30000), ("scenario.events[0].value", "-20000..20000 Pa")),
        (_ev(t_ms=5, fault="power_cut", value=3600001), ("scenario.events[0].value", "0..3600000 ms")),
        (_ev(t_ms=5, fault="power_cut", value=-1), ("scenario.events[0].value", "0..3600000 ms")),
        (_ev(t_ms=5, fault="blockage", value="yes"), ("scenario.events[0].value", "number", "string")),
        (_ev(t_ms=5, fault="pump_fail", value=False), ("scenario.events[0].value", "number", "boolean")),
        (_ev(t_ms=5, fault="firmware_hang", value=nan), ("scenario.events[0].value", "finite")),
        (
            {"events": [{"t_ms": 9000, "fault": "blockage"}, {"t_ms": 8000, "fault": "pump_fail"}]},
            ("scenario.events[1].t_ms", "8000", "9000", "sorted"),
        ),
    )
    for obj, parts in cases:
        m = _err(obj)
        for part in parts:
            assert part in m, (obj, part, m)


def test_load_errors():
    m = _load_err("no_such_scenario")
    assert "no_such_scenario" in m and "not found" in m and "default" in m and "npwt_400ml" in m, m
    missing = "/tmp/_vac_scenario_test_%s_missing.json" % _RUN
    m = _load_err(missing)
    assert missing in m and "not found" in m, m
    # strict JSON in both interpreters (MicroPython's json alone accepts the
    # first five, CPython's the NaN / Infinity ones)
    for i, text in enumerate(
        (
            '{"seed": 1,,}',
            '{"seed": 1,}',
            '{"seed": 1 "board": "pico"}',
            '{"events": [1 2]}',
            '{"events": [],}',
            '{"plant": {"volume_ml": NaN}}',
            '{"plant": {"volume_ml": -Infinity}}',
            '{seed: 1}',
            '{"seed": 1}}',
            '{"seed": 01}',
            '{"seed": 1, "seed": 2}',
            "",
        )
    ):
        path = _tmp("badjson%d" % i, text)
        m = _load_err(path)
        assert m.startswith("scenario file " + path + ": not valid JSON: line 1, column "), m
        os.remove(path)
    path = _tmp("badjson_lines", '{\n  "seed": 1,\n  "board": "pico",\n}\n')
    m = _load_err(path)
    assert "line 4, column 1: expected a key in double quotes, got '}'" in m, m
    os.remove(path)
    path = _tmp("huge", '{"plant": {"leak_l_min_at_10kpa": 1e400}}')
    m = _load_err(path)
    assert path in m and "scenario.plant.leak_l_min_at_10kpa" in m and "finite" in m, m
    os.remove(path)
    path = _tmp("range", json.dumps({"plant": {"volume_ml": 0}}))
    m = _load_err(path)
    assert m == path + ": scenario.plant.volume_ml: 0 is out of range 1..50000 mL", m
    os.remove(path)
    path = _tmp("toplist", "[1, 2]")
    m = _load_err(path)
    assert "scenario:" in m and "object" in m, m
    os.remove(path)
    m = _load_err(5)
    assert "scenario" in m


def test_events_after_the_pump_is_first_driven():
    evs = validate_scenario({"events": [
        {"t_ms": 100, "fault": "leak", "value": 1},
        {"after_pump_on_ms": 4000, "fault": "blockage"},
        {"t_ms": 50_000, "fault": "sensor_stuck"},
        {"after_pump_on_ms": 4000, "fault": "pump_fail", "value": 0},
    ]})["events"]
    assert evs[1] == {"after_pump_on_ms": 4000, "fault": "blockage", "value": 1.0}
    assert sorted(evs[3].keys()) == ["after_pump_on_ms", "fault", "value"]
    m = _err({"events": [{"t_ms": 1, "after_pump_on_ms": 2, "fault": "blockage"}]})
    assert "scenario.events[0]" in m and "not both" in m, m
    m = _err({"events": [{"after_pump_on_ms": 9, "fault": "blockage"}, {"after_pump_on_ms": 8, "fault": "blockage"}]})
    assert "events[1].after_pump_on_ms" in m and "sorted" in m, m
    m = _err({"events": [{"after_pump_on_ms": -1, "fault": "blockage"}]})
    assert "after_pump_on_ms" in m and ">= 0" in m, m


def test_the_plant_reads_the_keys_a_scenario_gives_it():
    # The parameter names written in plant.py (PARAM_KEYS, OPTIONAL_KEYS),
    # the ones scenario.py adds to them (PLANT_KEYS) and plantcase.BASE (its
    # figures kept fixed on purpose) stay one set: the plant's parameters
    # first, in its order.
    import plant
    import plantcase

    assert scenario.PLANT_KEYS[:len(plant.PARAM_KEYS)] == plant.PARAM_KEYS
    for key in plant.OPTIONAL_KEYS:
        assert key in scenario.PLANT_KEYS, key
    assert sorted(plantcase.BASE) == sorted(plant.PARAM_KEYS)
