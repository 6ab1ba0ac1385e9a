# The 'commission' command (docs/protocol.md, "Commissioning";
# docs/commissioning.md): the procedure of commission.py started on a rigid
# chamber of known volume, inspected, committed through the configuration or
# discarded. A service command: imported on demand and dropped after each use.
import session as ses
import store
from cmderror import E_ARG, E_RANGE, E_STATE, CmdError
from cmdargs import check_range, free_to_start, pressure, sensor_answers

VOLUME_MIN_ML = 20  # smaller: a pull-down faster than the rise limit (200 kPa/s)
VOLUME_MAX_ML = 2000  # larger: minutes of pull-down, and a vent slower than the safe-state check
# The span point of the sensor's two-point calibration (the zero is
# commissioning's): nearer ambient, the gauge's own reading error would be
# magnified into the gain.
GAUGE_MIN_PA = 10_000
_USAGE = ("usage: commission start volume=V (20mL..2L, the rigid chamber on the port) | status | result | commit | discard | abort"
          " | gauge [READING] (a reference gauge's reading at a settled hold; without: whether the hold has settled)")


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
    # An autotune never runs beside commissioning (each refuses the other),
    # so the order of the two checks does not matter.
    free_to_start(dev, -1, "commissioning is already running ('commission abort' ends it)")
    if dev.tuner.active:
        raise CmdError(E_STATE, "autotune is running; 'tune abort' it first")


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
    dev.arm_watchdog()  # as a session: a hung loop resets into the safe state
    dev.out.set_vent_curve(0, 1000)  # raw duties while the valve is measured
    dev.commission = c
    return "commissioning volume_ml=%d top_pa=%d ambient_pa=%d (about a minute; result with 'commission result' after the commission_done event)" % (
        vol, c.top_pa, ambient)


def _audit(dev, text):
    dev.expect_flash_write()
    try:
        dev.config.audit.append(("t_ms=%d role=%s %s" % (dev.uptime_ms, dev.access.role_name(), text)).encode())
    except store.StoreError:
        dev.note_storage(False)


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


def _settled_pa(dev):
    """The sensor's averaged vacuum at a session's settled hold, else None."""
    return dev.session.leak.settled_pa() if dev.session.state == ses.RUN else None


def _gauge(dev, token):
    """The sensor's gain from a reference gauge read at a settled hold on a
    rigid chamber (no flow, so the gauge and the sensor see one vacuum); the
    offset stays the zero's. Staged in the configuration, kept by 'config
    commit' after the session (audited), dropped by 'config revert'."""
    ref = pressure(token)
    avg = _settled_pa(dev)
    if avg is None:
        raise CmdError(E_STATE, "no settled hold: start a session at the level to compare (e.g. 'start continuous target=40kPa') on the rigid chamber, wait until it holds, then read the gauge")
    check_range("gauge reading", ref, GAUGE_MIN_PA, dev.sup.ceiling_pa, "Pa")
    cal = dev.ch.cal
    off = cal.offset_pa
    measured = (avg - off) * 65536 // (65536 + cal.gain_delta_q16)  # the sensor's own reading, uncorrected
    if measured < GAUGE_MIN_PA // 2:
        raise CmdError(E_STATE, "the hold is at %d Pa: too near ambient for a span point" % avg)
    import config

    gain = int((ref - off) * 1e6 / measured + 0.5)
    p = config.param("cal_gain")
    if not p.lo <= gain <= p.hi:
        raise CmdError(E_RANGE, "the gauge reads %d Pa where the sensor reads %d Pa: a gain of %d ppm is outside the calibration's %s; check the gauge, its hose and the reading; nothing staged" % (
            ref, avg, gain, config.range_text(p)))
    dev.config.staged["cal_gain"] = gain
    return "staged cal_gain=%d (the sensor read %d Pa at the hold, the gauge %d Pa: %+d ppm); 'stop', then 'config commit' keeps it, 'config revert' drops it" % (
        gain, avg, ref, gain - dev.config.committed["cal_gain"])


def cmd_commission(dev, args):
    sub = args[0] if args else ""
    c = dev.commission
    if sub == "start":
        return _start(dev, args[1:])
    if sub == "gauge" and len(args) == 2:
        return _gauge(dev, args[1])
    if sub == "gauge":  # is there a settled hold to read the gauge at?
        avg = _settled_pa(dev)
        return "settled=%d vacuum_pa=%d" % (avg is not None, dev.ch.vacuum_pa if avg is None else avg)
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
