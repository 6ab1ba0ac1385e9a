# Service configuration: the registry of parameters a technician may change
# (name, unit, range, default; descriptions in config_commands.py), edits staged and validated
# before anything changes, committed atomically to flash (store.Record), read
# back, and only then applied; every committed change is appended to the
# audit log. Hard limits (the board's MAX_VACUUM_PA, the compiled-in ceiling,
# the control rate, the watchdog) are deliberately NOT parameters: nothing
# here can raise them.
#
# On flash the configuration is text, one "name=value" per line, so a file
# written by an older firmware (fewer names) still loads: missing names take
# their defaults, unknown or out-of-range values are reported and defaulted.
#
# A refused name or value is a ValueError(reason, sentence): the
# configuration knows nothing of the protocol, whose commands turn it into
# their reply (cmdargs.from_below).
from collections import namedtuple

from micropython import const

import store
import units
from sensor import CAL_GAIN_MAX_PPM, CAL_GAIN_MIN_PPM, CAL_MAX_OFFSET_PA

FORMAT_VERSION = 1
# The gain schedule's defaults (docs/control.md): here, with their ranges,
# and imported by controller.py, which starts with them.
TAU_MS = const(25)  # closed-loop time constant of the hold
TI_FACTOR = const(8)  # Ti = TI_FACTOR * tau
LEAD_TICKS = const(3)  # sensor + actuation lag the approach looks ahead
# The vent's flow at full opening and 10 kPa, as commissioning may record it:
# up to this (a 500 L/min valve, far beyond this device class), so that the
# leak estimate's integer products stay below 2**30 (leakrate.py).
VENT_FLOW_MAX_ML_MIN = const(500_000)
VENT_REF_PA = const(10_000)  # the vacuum at which vent_flow_ml_min is stated
# Its flow law's exponent, permille: an orifice 500, a laminar bleed 1000
# (a little more with commissioning's sampling error); outside, not a valve's.
VENT_EXP_MIN_PM = const(300)
VENT_EXP_MAX_PM = const(1200)
PA = "Pa"
MS = "ms"
PLAIN = ""


# One parameter: a namedtuple (an instance with its own attribute dict
# costs ~3x the RAM).
Param = namedtuple("Param", ("name", "unit", "lo", "hi", "default"))
ROLE = "service"  # every parameter: changing the configuration needs the service role


def range_text(p):
    return "%d%s..%d%s" % (p.lo, p.unit, p.hi, p.unit)


PARAMS = (
    # Gains: all three 0 = automatic (the controller schedules its gains);
    # anything else = these fixed gains (Controller.set_manual). Ranges as `set kp|ki|kd`.
    Param("kp", PLAIN, 0, 4_000_000, 0),
    Param("ki", PLAIN, 0, 100_000_000, 0),
    Param("kd", PLAIN, 0, 100_000_000, 0),
    # Gain schedule (kp=ki=kd=0): closed-loop time constant, integral time as
    # a multiple of it, approach look-ahead, and a plant gain to use until the
    # first approach measures one (0 = the controller's default). docs/control.md.
    Param("tau", MS, 10, 2000, TAU_MS),
    Param("ti_factor", PLAIN, 2, 50, TI_FACTOR),
    Param("lead", PLAIN, 0, 20, LEAD_TICKS),
    Param("plant_gain", PLAIN, 0, 5_000_000, 0),
    Param("leak_delay", MS, 1000, 600_000, 4000),
    # true vacuum = measured + cal_offset + measured x (cal_gain - 1e6) / 1e6 (sensor.Calibration)
    Param("cal_offset", PA, -CAL_MAX_OFFSET_PA, CAL_MAX_OFFSET_PA, 0),
    Param("cal_gain", PLAIN, CAL_GAIN_MIN_PPM, CAL_GAIN_MAX_PPM, 1_000_000),
    # Commissioning's record (commission.py, docs/commissioning.md): the pump
    # and vent really fitted. 0 = not measured: the board's declared figures.
    Param("commissioned", PLAIN, 0, 1, 0),
    Param("pump_flow_ml_min", PLAIN, 0, 100_000, 0),
    Param("pump_max_vac", PA, 0, 101_000, 0),
    Param("vent_dead_pm", PLAIN, 0, 900, 0),  # duty (permille) below which the vent stays shut
    Param("vent_full_pm", PLAIN, 100, 1000, 1000),  # duty (permille) at which it is fully open
    Param("dead_time", MS, 0, 2000, 0),
    # The vent's flow fully open, Q = vent_flow_ml_min x (v / 10 kPa)^(vent_exp_pm / 1000)
    # (inflow at ambient conditions); 0 = not measured: the leak estimate
    # cannot subtract what the vent bleeds during a hold.
    Param("vent_flow_ml_min", PLAIN, 0, VENT_FLOW_MAX_ML_MIN, 0),
    Param("vent_exp_pm", PLAIN, VENT_EXP_MIN_PM, VENT_EXP_MAX_PM, 500),
)


def find(name):
    """The parameter called name, or None (a scan: no second table by name)."""
    for p in PARAMS:
        if p.name == name:
            return p
    return None


def names():
    return " ".join(p.name for p in PARAMS)


def defaults():
    return {p.name: p.default for p in PARAMS}


def param(name):
    p = find(name)
    if p is None:
        raise ValueError("unknown", "no configuration parameter '%s' (parameters: %s)" % (name, names()))
    return p


def parse_value(p, token):
    """A token with the parameter's unit -> validated int, or ValueError."""
    try:
        if p.unit == PA:
            v = units.parse_pressure_pa(token)
        elif p.unit == MS:
            v = units.parse_duration_ms(token)
        else:
            v = units.parse_int(token)
    except ValueError as e:
        raise ValueError("unit" if p.unit else "arg", str(e))
    if v < p.lo or v > p.hi:
        raise ValueError("range", "%s %d%s is out of range %s" % (p.name, v, p.unit, range_text(p)))
    return v


def encode(values):
    return "".join("%s=%d\n" % (p.name, values[p.name]) for p in PARAMS).encode()


def decode(payload, values=None):
    """bytes -> (values, problems); every value valid, defaults (`values`,
    else defaults()) filled in."""
    if values is None:
        values = defaults()
    problems = []
    try:
        text = payload.decode()
    except UnicodeError:
        return values, ["not text"]
    for line in text.split("\n"):
        if not line:
            continue
        name, eq, raw = line.partition("=")
        p = find(name)
        if p is None or not eq:
            problems.append("unknown entry '%s'" % line[:30])
            continue
        try:
            v = int(raw)
        except ValueError:
            problems.append("%s: bad number" % name)
            continue
        if v < p.lo or v > p.hi:
            problems.append("%s=%d out of range %s, default used" % (name, v, range_text(p)))
            continue
        values[name] = v
    return values, problems


class Config:
    def __init__(self, directory, board_defaults=None):
        self._rec = store.Record(directory, "config", FORMAT_VERSION)
        self.audit = store.RingLog(directory, "audit", 2048)
        # {name: value} a board declares instead of PARAMS' default (its
        # calibration): kept here, so PARAMS stays the same for every device.
        self.board_defaults = board_defaults or {}
        self.committed = self.defaults()
        self.staged = self.defaults()
        self.source = store.DEFAULTS
        self.problems = []

    def load(self):
        """At boot: current file, else the backup, else defaults. Returns
        the source; self.problems says what was wrong."""
        try:
            payload, source, problems = self._rec.load()
        except OSError as e:  # the filesystem itself failed
            payload, source, problems = None, store.DEFAULTS, ["I/O error %s" % e]
        values = self.defaults()
        if payload is not None:
            values, bad = decode(payload, values)
            problems += bad
        self.committed = values
        self.staged = dict(values)
        self.source = source
        self.problems = problems
        return source

    def stage(self, name, token):
        p = param(name)
        v = parse_value(p, token)
        self.staged[name] = v
        return v

    def diff(self):
        """[(name, committed, staged)] for every staged change."""
        return [(p.name, self.committed[p.name], self.staged[p.name]) for p in PARAMS if self.committed[p.name] != self.staged[p.name]]

    def revert(self):
        self.staged = dict(self.committed)

    def reset(self):
        self.staged = self.defaults()

    def defaults(self):
        d = defaults()
        d.update(self.board_defaults)
        return d

    def commit(self, uptime_ms, role="service"):
        """Write the staged values to flash, read them back, then make them
        the committed ones. Returns (changes, audit_error or None). Raises
        store.StoreError if the write failed (nothing changed)."""
        changes = self.diff()
        if not changes:
            return [], None
        payload = encode(self.staged)
        self._rec.save(payload)
        back, source, _ = self._rec.load()
        if back != payload or source != store.CURRENT:
            raise store.StoreError("configuration read back from flash differs from what was written")
        self.committed = dict(self.staged)
        self.source = store.CURRENT
        self.problems = []
        audit_error = None
        for name, old, new in changes:
            try:
                self.audit.append(b"t_ms=%d role=%s %s %d->%d" % (uptime_ms, role, name, old, new))
            except store.StoreError as e:
                audit_error = e.message
        return changes, audit_error

    def audit_entries(self):
        return [r.decode() for r in self.audit.records()]
