# Alarm commands of the serial protocol: alarms, ack, silence, hb, and the
# heartbeat= argument of start (docs/protocol.md, docs/safety.md).
import alarms
import units
from cmderror import E_ARG, CmdError
from cmdargs import check_range, duration, no_args


def cmd_alarms(dev, args):
    st = dev.alarm_state
    if args and args[0] == "log":
        if len(args) > 2:
            raise CmdError(E_ARG, "usage: alarms log [N]")
        n = 10
        if len(args) == 2:
            try:
                n = units.parse_int(args[1])
            except ValueError as e:
                raise CmdError(E_ARG, str(e))
            check_range("N", n, 1, st.log.size, "")
        recs = st.log.records()[-n:]
        body = "; ".join("t_ms=%d %s %s value=%d" % r for r in recs)
        return "log records=%d total=%d%s%s" % (len(recs), st.log.total(), ": " if recs else "", body)
    no_args(args)
    t = dev.uptime_ms
    parts = ["active=%d" % bin(dev.sup.alarms).count("1"), "silence_ms=%d" % st.silence_left(t)]
    for bit, name, prio, latching, stops in alarms.TABLE:
        if dev.sup.alarms & bit:
            parts.append("%s=%s,%s,%s%s" % (name, alarms.PRIORITY_NAMES[prio], "latched" if latching else "nonlatching", "acked" if st.acked & bit else "unacked", ",stops" if stops else ""))
    return " ".join(parts)


def cmd_ack(dev, args):
    no_args(args)
    bits, events = dev.alarm_state.ack(dev.uptime_ms)
    for e in events:
        dev.console.event(e)
    return "acked %s" % alarms.names_of(bits)


def cmd_silence(dev, args):
    if len(args) > 1:
        raise CmdError(E_ARG, "usage: silence [DURATION] (default and maximum %ds)" % (alarms.SILENCE_MAX_MS // 1000))
    ms = alarms.SILENCE_MAX_MS
    if args:
        ms = duration(args[0])
        check_range("silence", ms, 1_000, alarms.SILENCE_MAX_MS, "ms")
    for e in dev.alarm_state.silence(ms, dev.uptime_ms):
        dev.console.event(e)
    return "silenced %dms" % ms


def cmd_hb(dev, args):
    no_args(args)
    return "hb t_ms=%d" % dev.uptime_ms


HEARTBEAT_MIN_MS = 500
HEARTBEAT_MAX_MS = 600_000


def heartbeat_arg(args):
    """Take heartbeat=DURATION out of start's arguments (any program): the
    host must then send a valid command (e.g. hb) at least that often."""
    rest = []
    hb = 0
    for tok in args:
        if tok.startswith("heartbeat="):
            if hb:
                raise CmdError(E_ARG, "parameter 'heartbeat' given twice")
            hb = duration(tok[10:])
            check_range("heartbeat", hb, HEARTBEAT_MIN_MS, HEARTBEAT_MAX_MS, "ms")
        else:
            rest.append(tok)
    return rest, hb


COMMANDS = {
    "alarms": cmd_alarms,
    "ack": cmd_ack,
    "silence": cmd_silence,
    "hb": cmd_hb,
}
