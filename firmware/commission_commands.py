# The 'commission' command (docs/protocol.md, "Commissioning";
# docs/commissioning.md): the procedure of commission.py started on a rigid
# chamber of known volume, inspected, committed through the configuration or
# discarded. A service command: imported on demand and dropped after each use.
import session as ses
import store
from cmderror import E_ARG, E_RANGE, E_STATE, CmdError
from cmdargs import check_range, sensor_answers

VOLUME_MIN_ML = 20  # smaller: a pull-down faster than the rise limit (200 kPa/s)
VOLUME_MAX_ML = 2000  # larger: minutes of pull-down, and a vent slower than the safe-state check
_USAGE = "usage: commission start volume=V (20mL..2L, the rigid chamber on the port) | status | result | commit | discard | abort"


def parse_volume_ml(token):
    """'100mL', '100ml', '0.5L', '100' (mL) -> int mL."""
    t = token.lower()
    scale = 1
    if t.endswith("ml"):
        t = t[:-2]
    elif t.endswith("l"):
        t, scale = t[:-1], 1000
    try:
        v = float(t)
    except ValueError:
        raise CmdError(E_ARG, "volume '%s' is not a volume: give it in mL or L, e.g. volume=100mL" % token)
    return int(v * scale + 0.5)


def _busy(dev):
    if dev.sup.alarms:
        raise CmdError(E_STATE, "alarm active (%s): fix the cause, then 'clear'" % dev.alarm_text())
    st = dev.session.state
    if st != ses.IDLE:
        raise CmdError(E_STATE, "a session is %s; 'stop' it first" % ("paused" if st == ses.PAUSE else "releasing" if st == ses.RELEASE else "running"))
    if dev.tuner.active:
        raise CmdError(E_STATE, "autotune is running; 'tune abort' it first")
    c = dev.commission
    if c is not None and c.active:
        raise CmdError(E_STATE, "commissioning is already running ('commission abort' ends it)")


def _start(dev, args):
    vol = None
    for tok in args:
        if tok.startswith("volume="):
            vol = parse_volume_ml(tok[7:])
        else:
            raise CmdError(E_ARG, _USAGE)
    if vol is None:
        raise CmdError(E_ARG, _USAGE)
    check_range("volume", vol, VOLUME_MIN_ML, VOLUME_MAX_ML, "mL")
    _busy(dev)
    ref = sensor_answers(dev, True)
    from commission import Commissioner, Limits

    # An absolute sensor knows the ambient; a gauge sensor: standard air.
    ambient = ref.ambient_pa if ref is not None else 101_325
    c = Commissioner(vol, dev.period_ms, dev.sup.ceiling_pa, ambient)
    dev.sup.session_start()
    dev.sup.set_program(Limits)  # the device's own ceiling, no program's
    if dev.wdt is None:  # as a session: a hung loop resets into the safe state
        import machine

        dev.wdt = machine.WDT(timeout=dev.board.WDT_TIMEOUT_MS)
    dev.out.set_vent_curve(0, 1000)  # raw duties while the valve is measured
    dev.commission = c
    return "commissioning volume_ml=%d top_pa=%d ambient_pa=%d (about a minute; result with 'commission result' after the commission_done event)" % (
        vol, c.top_pa, ambient)


def _audit(dev, text):
    try:
        dev.config.audit.append(("t_ms=%d role=%s %s" % (dev.uptime_ms, dev.access.role_name(), text)).encode())
        dev.flash_writing = True
    except store.StoreError:
        dev.storage = "error"


def _commit(dev):
    c = dev.commission
    r = c.staged if c is not None else None
    if r is None:
        raise CmdError(E_STATE, "no staged result to commit (last run: %s)" % (c.last if c else "none"))
    if r.problems:
        raise CmdError(E_RANGE, "the result is not plausible, nothing committed: %s" % "; ".join(r.problems))
    import config
    import config_commands

    cfg = dev.config
    values = r.config_values(cfg.committed["cal_offset"])
    for name, v in values.items():
        p = config.param(name)
        if v < p.lo or v > p.hi:
            raise CmdError(E_RANGE, "%s %d is out of the configuration's range %s; nothing committed" % (name, v, config.range_text(p)))
    cfg.revert()  # commit exactly the record, not other staged edits
    for name, v in values.items():
        cfg.staged[name] = v
    text = config_commands.cmd_config(dev, ["commit"])
    _audit(dev, "commission commit volume_ml=%d" % r.volume_ml)
    dev.commission = None
    return "%s commissioned=1" % text


def cmd_commission(dev, args):
    sub = args[0] if args else ""
    c = dev.commission
    if sub == "start":
        return _start(dev, args[1:])
    if len(args) != 1:
        raise CmdError(E_ARG, _USAGE)
    if sub == "status":
        head = c.status() if c is not None else "commission=none stage=none t_ms=0 levels=0 releases=0 staged=no"
        return "%s commissioned=%d" % (head, dev.config.committed["commissioned"])
    if sub == "result":
        if c is None or c.staged is None:
            raise CmdError(E_STATE, "no staged result (last run: %s)" % (c.last if c else "none"))
        return c.staged.text()
    if sub == "commit":
        return _commit(dev)
    if sub == "discard":
        if c is None or c.active:
            raise CmdError(E_STATE, "nothing to discard" if c is None else "commissioning is running; 'commission abort' ends it")
        had = c.staged is not None
        dev.commission = None
        if had:
            _audit(dev, "commission discard volume_ml=%d" % c.volume_ml)
        return "discarded; the record in use is unchanged" if had else "discarded (no result was staged)"
    if sub == "abort":
        if c is None or not c.active:
            return "not running"
        c.cancel("abort")
        return "aborting: pump off, vent open at the next tick"
    raise CmdError(E_ARG, _USAGE)
