# The config and flashlog commands (docs/protocol.md, "Configuration and
# logs"): service parameters staged, committed to flash and audited; the logs
# kept on flash. Apart from commands.py so each module compiles in a small heap.
import access
import config
import session as ses
import store
import units
from cmdargs import check_range, from_below, no_args
from cmderror import E_ARG, E_STATE, E_STORAGE, CmdError


# What each parameter is for ('config get'; only here, loaded on demand).
HELP = {
    "kp": "PID proportional gain, duty per kPa (kp=ki=kd=0: automatic)",
    "ki": "PID integral gain, duty per kPa and second (kp=ki=kd=0: automatic)",
    "kd": "PID derivative gain, duty milliseconds per kPa (kp=ki=kd=0: automatic)",
    "tau": "gain schedule: closed-loop time constant of the hold",
    "ti_factor": "gain schedule: integral time as a multiple of tau",
    "lead": "approach look-ahead, control ticks (sensor and actuator lag)",
    "plant_gain": "gain schedule: Pa/s at full pump until an approach measures it (0 = default)",
    "leak_delay": "leak alarm delay: vacuum far below setpoint at full pump for this long",
    "cal_offset": "sensor calibration: offset added to the measured vacuum",
    "cal_gain": "sensor calibration: gain in ppm (1000000 = 1.0)",
    "commissioned": "1: the pump and vent figures below were measured by 'commission' on this device",
    "pump_flow_ml_min": "pump free flow measured by commissioning, mL/min (0 = the board's declared figure)",
    "pump_max_vac": "pump maximum vacuum measured by commissioning (0 = the board's declared figure)",
    "vent_dead_pm": "vent duty, permille, below which the valve stays shut (commissioning; the outputs skip it)",
    "vent_full_pm": "vent duty, permille, at which the valve is fully open (commissioning)",
    "dead_time": "loop dead time measured by commissioning: pump command to the sensor's first response",
    "vent_flow_ml_min": "vent flow fully open at 10 kPa, mL/min at ambient (commissioning; 0 = not measured: the leak estimate ignores the vent)",
    "vent_exp_pm": "vent flow law exponent, permille: flow ~ vacuum^(exp/1000) (commissioning; 500 = orifice)",
}


def _changes(changes):
    return ", ".join("%s %d->%d" % c for c in changes)


def _config_show(dev, args):
    no_args(args)
    cfg = dev.config
    return "%s source=%s staged_changes=%d" % (" ".join("%s=%d%s" % (p.name, cfg.committed[p.name], p.unit) for p in config.PARAMS), cfg.source, len(cfg.diff()))


def _config_get(dev, args):
    if len(args) != 1:
        raise CmdError(E_ARG, "usage: config get NAME (parameters: %s)" % config.names())
    p = from_below(config.param, args[0])
    cfg = dev.config
    return "name=%s value=%d staged=%d unit=%s lo=%d hi=%d default=%d role=%s | %s" % (p.name, cfg.committed[p.name], cfg.staged[p.name], p.unit or "-", p.lo, p.hi, cfg.defaults()[p.name], config.ROLE, HELP[p.name])


def _config_set(dev, args):
    if len(args) != 2:
        raise CmdError(E_ARG, "usage: config set NAME VALUE (parameters: %s)" % config.names())
    p = from_below(config.param, args[0])
    v = from_below(dev.config.stage, p.name, args[1])
    return "staged %s=%d%s (committed %d%s; 'config commit' saves it)" % (p.name, v, p.unit, dev.config.committed[p.name], p.unit)


def _config_diff(dev, args):
    no_args(args)
    d = dev.config.diff()
    return _changes(d) if d else "no staged changes"


def _config_commit(dev, args):
    no_args(args)
    if dev.session.state == ses.RUN:
        raise CmdError(E_STATE, "a session is running; 'stop' it first (writing flash stalls the control loop)")
    dev.expect_flash_write()
    try:
        changes, audit_error = dev.config.commit(dev.uptime_ms, access.ROLE_NAMES[dev.access.role])
    except store.StoreError as e:
        raise CmdError(E_STORAGE, "%s; nothing changed" % e.message)
    if not changes:
        return "nothing to commit"
    dev.apply_config(dev.config.committed)
    dev.note_storage(not audit_error)
    if audit_error:
        return "committed %s (audit log not written: %s)" % (_changes(changes), audit_error)
    return "committed %s" % _changes(changes)


def _config_revert(dev, args):
    no_args(args)
    dev.config.revert()
    return "staged values reverted to the committed ones"


def _config_reset(dev, args):
    no_args(args)
    dev.config.reset()
    d = dev.config.diff()
    return "defaults staged: %s ('config commit' saves them)" % (_changes(d) if d else "no changes")


def _last(args, records, what):
    n = 10
    if len(args) > 1:
        raise CmdError(E_ARG, "usage: ... [N]")
    if args:
        try:
            n = units.parse_int(args[0])
        except ValueError as e:
            raise CmdError(E_ARG, str(e))
        check_range("N", n, 1, 100, "")
    recs = records[-n:]
    return "%d %s: %s" % (len(recs), what, "; ".join(recs)) if recs else "0 %s" % what


def _config_audit(dev, args):
    return _last(args, dev.config.audit_entries(), "audit entries")


_CONFIG = {
    "show": _config_show,
    "get": _config_get,
    "set": _config_set,
    "diff": _config_diff,
    "commit": _config_commit,
    "revert": _config_revert,
    "reset": _config_reset,
    "audit": _config_audit,
}


def cmd_config(dev, args):
    if not args or args[0] not in _CONFIG:
        raise CmdError(E_ARG, "usage: config show|get NAME|set NAME VALUE|diff|commit|revert|reset|audit [N]")
    return _CONFIG[args[0]](dev, args[1:])


def cmd_flashlog(dev, args):
    if not args or args[0] not in ("alarm", "therapy"):
        raise CmdError(E_ARG, "usage: flashlog alarm|therapy [N] (the last N records, default 10)")
    return _last(args[1:], dev.log_records(args[0]), args[0] + " records")
