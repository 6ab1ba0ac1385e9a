"""Scenario files for the simulated board: loading, validation, defaults.

Runs unchanged under MicroPython and CPython (uses only ``json``, ``math``
and, when available, ``os`` to list the scenarios directory in messages).

A scenario is a JSON object; every key is optional::

    {
      "description": "free text",
      "seed": 1,                       # int >= 0 (noise / randomness)
      "board": "pico",                 # see BOARDS
      "cpu": "host",                   # see CPUS: the CPU model (cpu.py)
      "sensor": "xgzp6897d",           # see SENSORS; absent: the board's own
      "declared_pump": {"free_flow_ml_min": 8000, "max_vacuum_pa": 80000},
                                       # the board file's pump declaration
                                       # replaced (a variant with another pump);
                                       # absent: the board's own
      "plant": {"volume_ml": 60, ...}, # see PLANT_DEFAULTS / PLANT_RANGES
      "events": [                      # sorted by t_ms
        {"t_ms": 8000, "fault": "leak", "value": 1.5},
        {"after_pump_on_ms": 4000, "fault": "blockage"}
      ]
    }

``load_scenario(ref, scenarios_dir)`` and ``validate_scenario(obj)`` return a
fully defaulted copy: every top-level key present, every plant key present
(as float), and every event has ``t_ms`` (int; or instead
``after_pump_on_ms``, int: that long after the pump PWM is first driven),
``fault`` (str) and ``value``:

* sensor_offset: offset in Pa (float), required.
* leak: added leak in L/min at 10 kPa (float), required; 0 removes it.
* power_cut: off time in ms (int, rounded), default 2000.
* flash_cut_at_write: N (int, rounded), required: the power fails during
  the N-th flash program/erase from the event on (a torn write).
* blockage, pump_fail, pump_stuck_on, vent_stuck_closed, sensor_stuck,
  roller_stall, laser_stuck_on, contact_switch_stuck: 1.0 (set) by
  default; a value of 0 means "clear the fault", any other number means
  "set". The value is normalised to 1.0 or 0.0.
* contact_lost: the applicator lifted off the skin; value (optional, float,
  0..500) the opening as a leak in L/min at 10 kPa (None: the simulator's
  default lift), 0 = back on the skin. The laser faults need a board in
  LASER_BOARDS (sim_laser).
* sensor_disconnect, sensor_reconnect, firmware_hang: the number given
  (float) or None; its meaning is up to the simulator.

An event may name ``"channel": N`` (1..8, kept only when given; default 1):
on a multi-channel board (sim_multi) the sensor or chamber of channel N.

Any problem raises ``ScenarioError`` (a ValueError) whose message names the
offending key path and the valid range or choices, e.g.
``scenario.plant.volume_ml: 0 is out of range 1..50000 mL``; errors from
``load_scenario`` are prefixed with the file path.

Files are checked against the strict JSON grammar first (``parse_json``):
MicroPython's ``json`` alone accepts trailing / doubled commas and missing
commas, CPython's accepts NaN and Infinity; with the check both interpreters
accept exactly the same files. Duplicate keys are rejected too.

Also exported for docs and tools: ``FAULTS``, ``BOARDS``, ``CPUS``, ``SENSORS``,
``PLANT_DEFAULTS``, ``PLANT_RANGES`` (name -> (lo, hi, unit)),
``EVENT_VALUE_RANGES``, ``scenario_names(dir)``.
"""

import json
import math

try:
    import os
except ImportError:  # pragma: no cover - minimal ports
    os = None


class ScenarioError(ValueError):
    pass


TOP_KEYS = ("seed", "board", "cpu", "sensor", "declared_pump", "plant", "events", "description")
# declared_pump: the datasheet figures a board variant declares for its pump
# (PUMP_FREE_FLOW_ML_MIN, PUMP_MAX_VACUUM_PA), never the plant's truth.
DECLARED_PUMP_RANGES = {"free_flow_ml_min": (50, 100000, "mL/min"), "max_vacuum_pa": (5000, 101000, "Pa")}
BOARDS = ("pico", "pico2", "esp32_devkitc", "sim_multi", "sim_laser")
# Boards with a roller motor and a laser source (the laser faults need one).
LASER_BOARDS = ("sim_laser",)
# CPU models (cpu.py): "host" = the firmware's own work takes no device time.
from cpu import CPUS  # noqa: E402
from plant import PARAM_KEYS  # noqa: E402
SENSORS = ("xgzp6897d", "mprls", "bmp280")
FAULTS = (
    "sensor_disconnect",
    "sensor_reconnect",
    "sensor_stuck",
    "sensor_offset",
    "leak",
    "blockage",
    "pump_fail",
    "pump_stuck_on",
    "vent_stuck_closed",
    "firmware_hang",
    "power_cut",
    "flash_cut_at_write",
    # laser applicator boards (LASER_BOARDS) only:
    "roller_stall",
    "laser_stuck_on",
    "contact_lost",
    "contact_switch_stuck",
    # degradations of an honest plant (not faults the firmware must catch):
    "supply_sag",
    "pump_wear",
)
# Events that change how well the plant works rather than break it.
DEGRADATIONS = ("supply_sag", "pump_wear")
LASER_FAULTS = ("roller_stall", "laser_stuck_on", "contact_lost", "contact_switch_stuck")
# faults whose value only says set (non-zero or absent) or clear (0)
SET_CLEAR_FAULTS = ("blockage", "pump_fail", "pump_stuck_on", "vent_stuck_closed", "sensor_stuck", "roller_stall", "laser_stuck_on", "contact_switch_stuck")
# An event happens at t_ms (from simulation start, or from the host's first
# byte with --hold) or, instead, after_pump_on_ms after the pump PWM is first
# driven: the session's start as the hardware sees it, so a fault lands at
# the same point of a session however late the host's start command arrived.
EVENT_KEYS = ("t_ms", "fault", "value", "after_pump_on_ms", "channel")
MAX_CHANNELS = 8  # "channel" of an event: 1..this (a multi-channel board's chamber)

# Each plant parameter once: name -> (default, lo, hi, unit). The default
# plant is a 60 mL body cup on a typical small 12 V diaphragm pump
# (domain.md: "Typical hardware": free flow 1-3 L/min, maximum vacuum
# 60-85 kPa); the imperfections of the fitted parts (issue 17) default to
# 0, the ideal part.
_PLANT_PARAMS = (
    ("volume_ml", 60.0, 1.0, 50000.0, "mL"),
    ("compliance_ml_per_kpa", 0.3, 0.0, 1000.0, "mL/kPa"),
    ("pump_free_flow_l_min", 2.0, 0.05, 100.0, "L/min"),
    ("pump_max_vacuum_kpa", 80.0, 5.0, 101.0, "kPa"),
    ("leak_l_min_at_10kpa", 0.05, 0.0, 50.0, "L/min at 10 kPa"),
    ("vent_l_min_at_10kpa", 6.0, 0.05, 500.0, "L/min at 10 kPa"),
    ("ambient_kpa", 101.325, 50.0, 110.0, "kPa"),
    ("sensor_noise_pa", 20.0, 0.0, 5000.0, "Pa"),
    ("tube_length_m", 0.0, 0.0, 5.0, "m"),
    ("tube_inner_diameter_mm", 4.0, 1.0, 30.0, "mm"),  # used only with a tube_length_m
    ("sensor_offset_pa", 0.0, -5000.0, 5000.0, "Pa"),
    ("sensor_gain_error_ppm", 0.0, -100000.0, 100000.0, "ppm"),
    ("ambient_drift_pa_per_h", 0.0, -2000.0, 2000.0, "Pa/h"),
)
PLANT_RANGES = {}  # name -> (lo, hi, unit)
PLANT_DEFAULTS = {}  # name -> default; the curves' default None is the ideal curve
for _name, _default, _lo, _hi, _unit in _PLANT_PARAMS:
    PLANT_RANGES[_name] = (_lo, _hi, _unit)
    PLANT_DEFAULTS[_name] = _default
del _name, _default, _lo, _hi, _unit
PLANT_DEFAULTS["pump_curve"] = None
PLANT_DEFAULTS["vent_curve"] = None
# The curves: (first x, last x) and their meaning, for messages and docs.
CURVE_KEYS = ("pump_curve", "vent_curve")
CURVE_MAX_POINTS = 16
# order used in messages and docs: the plant's own parameters first, in its order
PLANT_KEYS = PARAM_KEYS + (
    "sensor_noise_pa",
    "pump_curve",
    "vent_curve",
    "tube_length_m",
    "tube_inner_diameter_mm",
    "sensor_offset_pa",
    "sensor_gain_error_ppm",
    "ambient_drift_pa_per_h",
)
# (lo, hi, unit) of event values that have a range
EVENT_VALUE_RANGES = {
    "sensor_offset": (-20000.0, 20000.0, "Pa"),
    "leak": (0.0, 50.0, "L/min at 10 kPa"),
    "power_cut": (0.0, 3600000.0, "ms"),
    "flash_cut_at_write": (1.0, 1000000.0, "writes"),
    "contact_lost": (0.0, 500.0, "L/min at 10 kPa"),
    "supply_sag": (0.0, 1.0, "x the pump's flow (1 = full supply)"),
    "pump_wear": (0.0, 10000.0, "% of free flow lost per hour"),
}
POWER_CUT_DEFAULT_MS = 2000
DEFAULTS = {
    "seed": 1,
    "board": "pico",
    "cpu": "host",
    "sensor": None,  # the board's own SENSOR
    "declared_pump": None,  # the board's own PUMP_FREE_FLOW_ML_MIN, PUMP_MAX_VACUUM_PA
    "description": "",
}


# ---------------------------------------------------------------- helpers
def _fmt_num(x):
    if isinstance(x, int):
        return str(x)
    if x == int(x) and abs(x) < 1e15:
        return str(int(x))
    return "%g" % x


def _describe(x):
    """JSON-flavoured description of a value for error messages."""
    if x is None:
        return "null"
    if x is True or x is False:
        return "boolean " + ("true" if x else "false")
    if isinstance(x, str):
        if len(x) > 40:
            x = x[:37] + "..."
        return 'string "%s"' % x
    if isinstance(x, (int, float)):
        return "number " + _fmt_num(x) if _is_finite(x) else "number " + str(x)
    if isinstance(x, list):
        return "array"
    if isinstance(x, dict):
        return "object"
    return str(type(x))


def _is_finite(x):
    if isinstance(x, int):
        return True
    return not (math.isnan(x) or math.isinf(x))


def _is_bool(x):
    return x is True or x is False


def _number(path, x):
    if _is_bool(x) or not isinstance(x, (int, float)):
        raise ScenarioError("%s: expected a number, got %s" % (path, _describe(x)))
    if not _is_finite(x):
        raise ScenarioError("%s: %s is not a finite number" % (path, str(x)))
    return x


def _in_range(path, x, lo, hi, unit):
    if x < lo or x > hi:
        raise ScenarioError(
            "%s: %s is out of range %s..%s %s" % (path, _fmt_num(x), _fmt_num(lo), _fmt_num(hi), unit)
        )
    return x


def _integer(path, x, what):
    if _is_bool(x) or not isinstance(x, int):
        if isinstance(x, float) and not _is_bool(x):
            raise ScenarioError("%s: expected an integer %s, got %s" % (path, what, _fmt_num(x) if _is_finite(x) else str(x)))
        raise ScenarioError("%s: expected an integer %s, got %s" % (path, what, _describe(x)))
    if x < 0:
        raise ScenarioError("%s: %d is out of range: must be an integer >= 0 (%s)" % (path, x, what))
    return x


def _choice(path, x, choices, what):
    if not isinstance(x, str):
        raise ScenarioError(
            "%s: expected a string, one of %s, got %s" % (path, ", ".join(choices), _describe(x))
        )
    if x not in choices:
        raise ScenarioError("%s: unknown %s '%s' (valid: %s)" % (path, what, x, ", ".join(choices)))
    return x


def _check_keys(path, obj, valid):
    for k in obj:
        if k not in valid:
            raise ScenarioError("%s: unknown key '%s' (valid: %s)" % (path, k, ", ".join(valid)))


def _object(path, x):
    if not isinstance(x, dict):
        raise ScenarioError("%s: expected an object, got %s" % (path, _describe(x)))
    return x


# ------------------------------------------------------------- validation
def _declared_pump(path, x):
    _object(path, x)
    _check_keys(path, x, tuple(DECLARED_PUMP_RANGES))
    out = {}
    for k, (lo, hi, unit) in DECLARED_PUMP_RANGES.items():
        if k not in x:
            raise ScenarioError("%s: '%s' missing (%s..%s %s)" % (path, k, lo, hi, unit))
        out[k] = _in_range(path + "." + k, _integer(path + "." + k, x[k], unit), lo, hi, unit)
    return out


def _curve(path, x, what):
    """[[x, y], ...] with 2..CURVE_MAX_POINTS pairs of finite numbers."""
    if not isinstance(x, list):
        raise ScenarioError("%s: expected an array of [%s] pairs, got %s" % (path, what, _describe(x)))
    if len(x) < 2 or len(x) > CURVE_MAX_POINTS:
        raise ScenarioError("%s: needs 2 to %d points, got %d" % (path, CURVE_MAX_POINTS, len(x)))
    out = []
    for i, pt in enumerate(x):
        p = "%s[%d]" % (path, i)
        if not isinstance(pt, list) or len(pt) != 2:
            raise ScenarioError("%s: expected a pair [%s], got %s" % (p, what, _describe(pt)))
        out.append([float(_number(p + "[0]", pt[0])), float(_number(p + "[1]", pt[1]))])
    return out


def _monotone(path, pts, x_name, x_unit, y_name, sign, turn):
    """Every point after the first of a curve of _curve(): x above the
    previous point's, y in 0..1 and not against the curve's direction
    (sign 1: rising, -1: falling); `turn` words the last, with y and the
    previous y."""
    for i in range(1, len(pts)):
        x, y = pts[i]
        px, py = pts[i - 1]
        p = "%s[%d]" % (path, i)
        if x <= px:
            raise ScenarioError("%s: the %s must rise from point to point; %s%s does not rise above %s%s"
                                % (p, x_name, _fmt_num(x), x_unit, _fmt_num(px), x_unit))
        if not 0.0 <= y <= 1.0:
            raise ScenarioError("%s: the %s %s is out of range 0..1" % (p, y_name, _fmt_num(y)))
        if sign * (y - py) < 0.0:
            raise ScenarioError(("%s: " + turn) % (p, _fmt_num(y), _fmt_num(py)))


def _pump_curve(path, x, vmax_key):
    pts = _curve(path, x, "vacuum_kpa, fraction_of_free_flow")
    if pts[0] != [0.0, 1.0]:
        raise ScenarioError("%s: must start at [0, 1] (no vacuum: the free flow), got [%s, %s]"
                            % (path, _fmt_num(pts[0][0]), _fmt_num(pts[0][1])))
    _monotone(path, pts, "vacuum", " kPa", "fraction of free flow", -1,
              "the pump curve must fall as the vacuum rises; %s is above the previous point's %s")
    v, f = pts[-1]
    if f != 0.0:
        raise ScenarioError("%s: must end at the pump's maximum vacuum with fraction 0, got [%s, %s]"
                            % (path, _fmt_num(v), _fmt_num(f)))
    lo, hi, unit = PLANT_RANGES[vmax_key]
    _in_range("%s[%d][0]" % (path, len(pts) - 1), v, lo, hi, unit + " (the pump's maximum vacuum)")
    return pts


def _vent_curve(path, x):
    pts = _curve(path, x, "duty_fraction, opening_fraction")
    if pts[0] != [0.0, 0.0]:
        raise ScenarioError("%s: must start at [0, 0] (no drive: shut), got [%s, %s]"
                            % (path, _fmt_num(pts[0][0]), _fmt_num(pts[0][1])))
    if pts[-1] != [1.0, 1.0]:
        raise ScenarioError("%s: must end at [1, 1] (full drive: fully open), got [%s, %s]"
                            % (path, _fmt_num(pts[-1][0]), _fmt_num(pts[-1][1])))
    _monotone(path, pts, "duty", "", "opening", 1,
              "the vent curve must rise with the duty; opening %s is below the previous point's %s")
    return pts


def _validate_plant(obj):
    path = "scenario.plant"
    _object(path, obj)
    _check_keys(path, obj, PLANT_KEYS)
    out = {}
    for key in PLANT_KEYS:
        if key in CURVE_KEYS:
            continue
        if key in obj:
            p = path + "." + key
            lo, hi, unit = PLANT_RANGES[key]
            out[key] = float(_in_range(p, _number(p, obj[key]), lo, hi, unit))
        else:
            out[key] = PLANT_DEFAULTS[key]
    out["pump_curve"] = None
    if "pump_curve" in obj:
        pts = _pump_curve(path + ".pump_curve", obj["pump_curve"], "pump_max_vacuum_kpa")
        if "pump_max_vacuum_kpa" in obj and out["pump_max_vacuum_kpa"] != pts[-1][0]:
            raise ScenarioError("%s.pump_max_vacuum_kpa: %s kPa disagrees with the pump curve, which ends at %s kPa; give one or make them agree"
                                % (path, _fmt_num(out["pump_max_vacuum_kpa"]), _fmt_num(pts[-1][0])))
        out["pump_curve"] = pts
        out["pump_max_vacuum_kpa"] = pts[-1][0]
    out["vent_curve"] = _vent_curve(path + ".vent_curve", obj["vent_curve"]) if "vent_curve" in obj else None
    if "tube_inner_diameter_mm" in obj and not out["tube_length_m"] > 0.0:
        raise ScenarioError("%s.tube_inner_diameter_mm: given without tubing; give tube_length_m (above 0 m) too, or leave both out"
                            % path)
    return out


def _validate_event(i, ev):
    path = "scenario.events[%d]" % i
    _object(path, ev)
    _check_keys(path, ev, EVENT_KEYS)
    relative = "after_pump_on_ms" in ev
    if "t_ms" not in ev and not relative:
        raise ScenarioError("%s.t_ms: missing (required: time of the event in ms from start, integer >= 0; or after_pump_on_ms instead)" % path)
    if "t_ms" in ev and relative:
        raise ScenarioError("%s: give either t_ms or after_pump_on_ms, not both" % path)
    if "fault" not in ev:
        raise ScenarioError("%s.fault: missing (required, one of: %s)" % (path, ", ".join(FAULTS)))
    if relative:
        t_ms = _integer(path + ".after_pump_on_ms", ev["after_pump_on_ms"], "time in ms after the pump is first driven")
    else:
        t_ms = _integer(path + ".t_ms", ev["t_ms"], "time in ms")
    fault = _choice(path + ".fault", ev["fault"], FAULTS, "fault")
    vpath = path + ".value"
    has_value = "value" in ev
    if has_value:
        value = _number(vpath, ev["value"])
    else:
        value = None
    if fault in ("sensor_offset", "leak", "supply_sag", "pump_wear", "flash_cut_at_write"):
        lo, hi, unit = EVENT_VALUE_RANGES[fault]
        if not has_value:
            raise ScenarioError(
                "%s: missing (required for fault '%s': %s..%s %s)" % (vpath, fault, _fmt_num(lo), _fmt_num(hi), unit)
            )
        value = _in_range(vpath, value, lo, hi, unit)
        value = int(round(value)) if fault == "flash_cut_at_write" else float(value)
    elif fault == "power_cut":
        lo, hi, unit = EVENT_VALUE_RANGES[fault]
        if has_value:
            value = int(round(_in_range(vpath, value, lo, hi, unit)))
        else:
            value = POWER_CUT_DEFAULT_MS
    elif fault == "contact_lost":
        lo, hi, unit = EVENT_VALUE_RANGES[fault]
        value = float(_in_range(vpath, value, lo, hi, unit)) if has_value else None
    elif fault in SET_CLEAR_FAULTS:
        value = 0.0 if (has_value and value == 0) else 1.0
    elif has_value:
        value = float(value)
    out = {("after_pump_on_ms" if relative else "t_ms"): t_ms, "fault": fault, "value": value}
    if "channel" in ev:
        out["channel"] = _in_range(path + ".channel", _integer(path + ".channel", ev["channel"], "channel number"), 1, MAX_CHANNELS, "")
    return out


def _validate_events(obj):
    path = "scenario.events"
    if not isinstance(obj, list):
        raise ScenarioError("%s: expected an array of event objects, got %s" % (path, _describe(obj)))
    out = []
    prev = {}  # key -> (index, time) of the previous event timed the same way
    for i, ev in enumerate(obj):
        e = _validate_event(i, ev)
        key = "t_ms" if "t_ms" in e else "after_pump_on_ms"
        if key in prev and e[key] < prev[key][1]:
            raise ScenarioError(
                "scenario.events[%d].%s: %d is earlier than events[%d].%s %d; events must be sorted by %s"
                % (i, key, e[key], prev[key][0], key, prev[key][1], key)
            )
        prev[key] = (i, e[key])
        out.append(e)
    return out


def validate_scenario(obj):
    """Validate an already-parsed scenario; return a fully defaulted copy."""
    if not isinstance(obj, dict):
        raise ScenarioError("scenario: expected a JSON object at the top level, got %s" % _describe(obj))
    _check_keys("scenario", obj, TOP_KEYS)
    out = {}
    out["seed"] = _integer("scenario.seed", obj.get("seed", DEFAULTS["seed"]), "seed")
    out["board"] = _choice("scenario.board", obj.get("board", DEFAULTS["board"]), BOARDS, "board")
    out["cpu"] = _choice("scenario.cpu", obj.get("cpu", DEFAULTS["cpu"]), CPUS, "cpu")
    out["sensor"] = None if "sensor" not in obj else _choice("scenario.sensor", obj["sensor"], SENSORS, "sensor")
    out["declared_pump"] = None if "declared_pump" not in obj else _declared_pump("scenario.declared_pump", obj["declared_pump"])
    out["plant"] = _validate_plant(obj.get("plant", {}))
    out["events"] = _validate_events(obj.get("events", []))
    for i, e in enumerate(out["events"]):
        if e["fault"] in LASER_FAULTS and out["board"] not in LASER_BOARDS:
            raise ScenarioError("scenario.events[%d].fault: '%s' needs a board with rollers and a laser (%s); this scenario's board is %s"
                                % (i, e["fault"], ", ".join(LASER_BOARDS), out["board"]))
    desc = obj.get("description", DEFAULTS["description"])
    if not isinstance(desc, str):
        raise ScenarioError("scenario.description: expected a string, got %s" % _describe(desc))
    out["description"] = desc
    return out


# ------------------------------------------------------------ JSON syntax
# MicroPython's json module is lenient (it accepts '{"a": 1,}', '[1 2]' and
# doubled commas) while CPython's is strict but accepts NaN and Infinity. So
# that a scenario file means the same thing to the simulator (MicroPython)
# and to host tools (CPython), the text is first checked against the strict
# JSON grammar here; json.loads then only builds the values.
_WS = " \t\n\r"
_DIGITS = "0123456789"
_HEX = "0123456789abcdefABCDEF"


class _JsonSyntax:
    def __init__(self, text):
        self.s = text
        self.i = 0
        self.n = len(text)

    def fail(self, what, plain=False):
        line = self.s.count("\n", 0, self.i) + 1
        col = self.i - (self.s.rfind("\n", 0, self.i) + 1) + 1
        if plain:
            raise ScenarioError("line %d, column %d: %s" % (line, col, what))
        if self.i >= self.n:
            got = "end of file"
        elif ord(self.s[self.i]) < 0x20:
            got = "control character 0x%02x" % ord(self.s[self.i])
        else:
            got = "'%s'" % self.s[self.i]
        raise ScenarioError("line %d, column %d: expected %s, got %s" % (line, col, what, got))

    def ws(self):
        s = self.s
        while self.i < self.n and s[self.i] in _WS:
            self.i += 1

    def peek(self):
        return self.s[self.i] if self.i < self.n else ""

    def document(self):
        self.ws()
        self.value(0)
        self.ws()
        if self.i < self.n:
            self.fail("end of file")

    def value(self, depth):
        if depth > 20:
            self.fail("less nesting (more than 20 levels)")
        c = self.peek()
        if c == "{":
            self.obj(depth)
        elif c == "[":
            self.arr(depth)
        elif c == '"':
            self.string()
        elif c == "-" or (c and c in _DIGITS):
            self.number()
        else:
            for lit in ("true", "false", "null"):
                if self.s.startswith(lit, self.i):
                    self.i += len(lit)
                    return
            self.fail("a JSON value (object, array, string, number, true, false, null)")

    def opens_empty(self, close):
        """Past the opening bracket and white space: True (and past `close`
        too) when the object or array is empty."""
        self.i += 1
        self.ws()
        if self.peek() == close:
            self.i += 1
            return True
        return False

    def more(self, close):
        """After a member or element: True past a ',', False past `close`."""
        self.ws()
        c = self.peek()
        if c == ",":
            self.i += 1
            return True
        if c == close:
            self.i += 1
            return False
        self.fail("',' or '%s'" % close)

    def obj(self, depth):
        if self.opens_empty("}"):
            return
        seen = []
        while True:
            self.ws()
            if self.peek() != '"':
                self.fail("a key in double quotes")
            start = self.i
            self.string()
            key = self.s[start : self.i]
            if key in seen:
                self.i = start
                self.fail("duplicate key %s in the same object" % key, True)
            seen.append(key)
            self.ws()
            if self.peek() != ":":
                self.fail("':'")
            self.i += 1
            self.ws()
            self.value(depth + 1)
            if not self.more("}"):
                return

    def arr(self, depth):
        if self.opens_empty("]"):
            return
        while True:
            self.ws()
            self.value(depth + 1)
            if not self.more("]"):
                return

    def string(self):
        s = self.s
        self.i += 1
        while self.i < self.n:
            c = s[self.i]
            if c == '"':
                self.i += 1
                return
            if c == "\\":
                e = s[self.i + 1 : self.i + 2]
                if e and e in '"\\/bfnrt':
                    self.i += 2
                elif e == "u" and len(s[self.i + 2 : self.i + 6]) == 4 and all(h in _HEX for h in s[self.i + 2 : self.i + 6]):
                    self.i += 6
                else:
                    self.i += 1
                    self.fail("a valid escape (\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)")
            elif ord(c) < 0x20:
                self.fail("a character; control characters must be escaped inside strings (\\n, \\t)")
            else:
                self.i += 1
        self.fail("closing '\"'")

    def digits(self):
        start = self.i
        while self.i < self.n and self.s[self.i] in _DIGITS:
            self.i += 1
        if self.i == start:
            self.fail("a digit")

    def number(self):
        if self.peek() == "-":
            self.i += 1
        if self.peek() == "0":
            self.i += 1
        else:
            self.digits()
        if self.peek() == ".":
            self.i += 1
            self.digits()
        if self.peek() in ("e", "E") and self.peek():
            self.i += 1
            if self.peek() in ("+", "-") and self.peek():
                self.i += 1
            self.digits()


def parse_json(text):
    """Strict JSON parse (same result in MicroPython and CPython); raises
    ScenarioError('line L, column C: expected ..., got ...')."""
    _JsonSyntax(text).document()
    return json.loads(text)


# ---------------------------------------------------------------- loading
def _default_dir():
    f = globals().get("__file__") or ""
    if "/" in f:
        return f.rsplit("/", 1)[0] + "/scenarios"
    return "scenarios"


def scenario_names(scenarios_dir=None):
    """Sorted names of the *.json scenarios in scenarios_dir ([] if unlistable)."""
    if scenarios_dir is None:
        scenarios_dir = _default_dir()
    if os is None:
        return []
    try:
        files = os.listdir(scenarios_dir)
    except OSError:
        return []
    return sorted(f[:-5] for f in files if f.endswith(".json"))


def scenario_path(ref, scenarios_dir=None):
    """File path for a scenario name or path (see load_scenario)."""
    if "/" in ref or ref.endswith(".json"):
        return ref
    if scenarios_dir is None:
        scenarios_dir = _default_dir()
    return scenarios_dir + "/" + ref + ".json"


def load_scenario(ref, scenarios_dir=None):
    """Load, validate and default a scenario.

    ref: a name, looked up as scenarios_dir + "/" + name + ".json", or a path
    (contains "/" or ends with ".json"). scenarios_dir defaults to the
    ``scenarios`` directory next to this module.
    """
    if not isinstance(ref, str) or not ref:
        raise ScenarioError("scenario: expected a scenario name or path, got %s" % _describe(ref))
    path = scenario_path(ref, scenarios_dir)
    by_name = path != ref
    try:
        with open(path) as f:
            text = f.read()
    except OSError:
        if not by_name:
            raise ScenarioError("scenario file %s: not found or not readable" % path)
        names = scenario_names(scenarios_dir)
        raise ScenarioError(
            "scenario '%s': file %s not found (available: %s)" % (ref, path, ", ".join(names) if names else "none")
        )
    try:
        obj = parse_json(text)
    except ValueError as e:  # ScenarioError from the checker, or json's own
        raise ScenarioError("scenario file %s: not valid JSON: %s" % (path, e))
    try:
        return validate_scenario(obj)
    except ScenarioError as e:
        raise ScenarioError("%s: %s" % (path, e.args[0] if e.args else e))
