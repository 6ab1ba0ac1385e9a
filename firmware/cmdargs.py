# What the command modules share: argument parsing that answers with the
# protocol's errors. Kept apart from
# commands.py so that no command module imports the command table (which
# loads them): the imports run one way (docs/architecture.md, "Layers").
import programs
import sensor
import session as ses
import units
from cmderror import E_ACCESS, E_ARG, E_LOCKED, E_RANGE, E_STATE, E_STORAGE, E_UNIT, E_UNKNOWN, CmdError
from lazy import call_lazy

# The layers below the protocol (configuration, passcode) refuse with
# ValueError(reason, sentence); the protocol's code for each reason.
_REASONS = {"unknown": E_UNKNOWN, "unit": E_UNIT, "arg": E_ARG, "range": E_RANGE, "access": E_ACCESS, "locked": E_LOCKED, "storage": E_STORAGE}


def from_below(fn, *args):
    """fn(*args), a call into the configuration or the passcode steps, its
    refusal answered with the protocol's error."""
    try:
        return fn(*args)
    except ValueError as e:
        raise CmdError(_REASONS[e.args[0]], e.args[1])


def unit_error(e):
    return CmdError(E_UNIT, str(e))


def pressure(token):
    try:
        return units.parse_pressure_pa(token)
    except ValueError as e:
        raise unit_error(e)


def duration(token):
    try:
        return units.parse_duration_ms(token)
    except ValueError as e:
        raise unit_error(e)


def _parse_value(kind, raw):
    if kind == programs.PA:
        return pressure(raw)
    if kind == programs.MS:
        return duration(raw)
    try:
        if kind == programs.PCT:
            return units.parse_percent(raw)
        return units.parse_millihz(raw)
    except ValueError as e:
        raise unit_error(e)


def check_range(name, value, lo, hi, unit):
    if value < lo or value > hi:
        raise CmdError(E_RANGE, "%s %d%s is out of range %d%s..%d%s" % (name, value, unit, lo, unit, hi, unit))


def no_args(args):
    if args:
        raise CmdError(E_ARG, "takes no arguments, got '%s'" % " ".join(args))


def sensor_answers(dev, zeroed=False):
    """The sensor answered its last sample; with zeroed, an absolute one has
    also taken its zero after boot (vent open: a session started sooner
    would read low by what it pumped). Its ambient reference (None: a gauge
    sensor)."""
    # 'clear' resets the supervisor's sensor debounce: without this a start
    # right after it would run the pump blind until the alarm re-latches
    # (found by hil_tests/test_fuzz_alarm.py).
    if dev.ch.status >= sensor.BUS_ERROR:
        raise CmdError(E_STATE, "the pressure sensor is not answering (last sample failed); check its cable")
    ref = getattr(dev.ch.sensor, "ref", None)
    if zeroed and ref is not None and not ref.zeroed:
        raise CmdError(E_STATE, "the sensor is still taking its zero after boot; start again in a moment")
    return ref


def free_to_start(dev, alarm_bits, commissioning):
    """What 'start', 'tune auto' and 'commission start' each refuse: an alarm
    among alarm_bits, a session not idle, commissioning running (answered
    with the sentence commissioning)."""
    if dev.sup.alarms & alarm_bits:
        raise CmdError(E_STATE, "alarm active (%s): fix the cause, then 'clear'" % dev.alarm_text())
    st = dev.session.state
    if st != ses.IDLE:
        raise CmdError(E_STATE, "a session is %s; 'stop' it first" % ("paused" if st == ses.PAUSE else "releasing" if st == ses.RELEASE else "running"))
    c = dev.commission
    if c is not None and c.active:
        raise CmdError(E_STATE, commissioning)


def parse_program_args(prog, args, ceiling_pa):
    """key=value tokens -> dict of validated integers (Pa, ms)."""
    values = {}
    for tok in args:
        eq = tok.find("=")
        if eq <= 0:
            raise CmdError(E_ARG, "expected key=value, got '%s' (parameters of %s: %s)" % (tok, prog.name, " ".join(p.name for p in prog.params)))
        key = tok[:eq]
        p = programs.param(prog, key)
        if p is None:
            raise CmdError(E_ARG, "%s has no parameter '%s' (valid: %s)" % (prog.name, key, " ".join(q.name for q in prog.params)))
        if key in values:
            raise CmdError(E_ARG, "parameter '%s' given twice" % key)
        raw = tok[eq + 1 :]
        v = _parse_value(p.kind, raw)
        hi = p.hi
        if p.kind == programs.PA and hi > ceiling_pa:
            hi = ceiling_pa
        check_range(key, v, p.lo, hi, programs.UNITS[p.kind])
        values[key] = v
    for p in prog.params:
        if p.name not in values:
            if p.default is None:
                raise call_lazy("program_help", "missing_param_error", prog, p)
            values[p.name] = p.default
    return values

