# 'get' and 'set': the running device's parameters by name (docs/protocol.md).
# A service command: imported on demand and dropped after each use
# (commands._service); `set` changes the running value only, `config` keeps it.
import config
import programs
import session as ses
from cmdargs import check_range, from_below, pressure
from cmderror import E_ARG, E_RANGE, E_READONLY, E_STATE, E_UNKNOWN, CmdError


def _value(name, token):
    # The configuration's parameter of the same name: one unit and range for
    # 'set' and 'config set' (gain bounds: products in the PID stay below 2**30).
    return from_below(config.parse_value, config.find(name), token)


# get/set parameters: name -> (getter, setter or None, unit kind, help)
def _get_gain(name):
    return lambda dev: getattr(dev.ctl.pid, name)


def _set_gain(name):
    def setter(dev, token):
        v = _value(name, token)
        pid = dev.ctl.pid
        g = [pid.kp, pid.ki, pid.kd]
        g[("kp", "ki", "kd").index(name)] = v
        dev.ctl.set_manual(g[0], g[1], g[2])
        return v

    return setter


def _set_tuning(name):
    def setter(dev, token):
        v = _value(name, token)
        c = dev.ctl
        t = [c.tau_ms, c.ti_factor, c.lead_ticks]
        t[("tau", "ti_factor", "lead").index(name)] = v
        c.set_tuning(t[0], t[1], t[2])
        return v

    return setter


def _set_target(dev, token):
    v = pressure(token)
    s = dev.session
    if s.state != ses.RUN:
        raise CmdError(E_STATE, "no session is running; use 'start <program> target=...'")
    p = programs.param(s.program, "target")
    hi = min(p.hi, s.program.ceiling_pa, dev.sup.ceiling_pa)
    check_range("target", v, p.lo, hi, "Pa")
    bad = programs.relation_error(s.program, {"target": v, "floor": s.floor_pa, "step": s.step_pa}, len(dev.channels))
    if bad:
        raise CmdError(E_RANGE, "session's " + bad)
    s.set_target(v, dev.ch.vacuum_pa)
    return v


PARAMS = {
    "vacuum": (lambda dev: dev.ch.vacuum_pa, None, "Pa", "measured vacuum depth"),
    "setpoint": (lambda dev: dev.ctl.setpoint_pa, None, "Pa", "slewed setpoint the PID follows"),
    # What 'start' or 'set target' set, not the level of the moment (a ramp,
    # an off phase: 'get setpoint'); 0 without a session.
    "target": (lambda dev: dev.session.target_pa if dev.session.active() else 0, _set_target, "Pa", "target of the running session"),
    "ceiling": (lambda dev: dev.sup.ceiling_pa, None, "Pa", "device ceiling (compiled in and board)"),
    "trip": (lambda dev: dev.sup.trip_pa, None, "Pa", "current trip level"),
    "kp": (_get_gain("kp"), _set_gain("kp"), "duty/kPa", "proportional gain (setting it fixes the gains: scheduling off)"),
    "ki": (_get_gain("ki"), _set_gain("ki"), "duty/kPa/s", "integral gain (setting it fixes the gains)"),
    "kd": (_get_gain("kd"), _set_gain("kd"), "duty.ms/kPa", "derivative gain (setting it fixes the gains)"),
    "tau": (lambda dev: dev.ctl.tau_ms, _set_tuning("tau"), "ms", "closed-loop time constant of the hold (setting it turns scheduling on)"),
    "ti_factor": (lambda dev: dev.ctl.ti_factor, _set_tuning("ti_factor"), "", "integral time as a multiple of tau"),
    "lead": (lambda dev: dev.ctl.lead_ticks, _set_tuning("lead"), "ticks", "sensor and actuator lag the approach looks ahead"),
    "plant_gain": (lambda dev: dev.ctl.g_pump, None, "Pa/s", "vacuum rise rate at full pump near the target, measured by the last approach"),
    "vent_gain": (lambda dev: dev.ctl.g_vent, None, "Pa/s", "vacuum fall rate at full vent, measured by the last downward approach (0 = not yet)"),
    "scheduled": (lambda dev: 1 if dev.ctl.scheduled else 0, None, "", "1 = gains scheduled from plant_gain and tau; 0 = fixed kp/ki/kd"),
    "heap_alloc": (lambda dev: _heap(True), None, "bytes", "live heap after a full collection (the collection runs between ticks)"),
    "heap_free": (lambda dev: _heap(False), None, "bytes", "free heap now"),
    "max_late_us": (lambda dev: dev.max_late_us, None, "us", "latest start of a control tick since boot (jitter)"),
}


def _heap(collect):
    import gc  # endurance checks (tools/bench/soak.py): heap growth over days

    if collect:
        gc.collect()
        return gc.mem_alloc()
    return gc.mem_free()


def cmd_get(dev, args):
    if len(args) != 1:
        raise CmdError(E_ARG, "usage: get <param> (params: %s)" % " ".join(sorted(PARAMS)))
    p = PARAMS.get(args[0])
    if p is None:
        raise CmdError(E_UNKNOWN, "no parameter '%s' (params: %s)" % (args[0], " ".join(sorted(PARAMS))))
    return "%s=%d unit=%s" % (args[0], p[0](dev), p[2])


def cmd_set(dev, args):
    if len(args) != 2:
        raise CmdError(E_ARG, "usage: set <param> <value>")
    p = PARAMS.get(args[0])
    if p is None:
        raise CmdError(E_UNKNOWN, "no parameter '%s' (params: %s)" % (args[0], " ".join(sorted(PARAMS))))
    if p[1] is None:
        raise CmdError(E_READONLY, "%s is read-only" % args[0])
    v = p[1](dev, args[1])
    return "%s=%d unit=%s" % (args[0], v, p[2])
