# The command set of the serial protocol (docs/protocol.md). Each handler
# validates everything before it changes anything: a bad line changes nothing.
import alarm_commands
import programs
import safety
import session as ses
import units
import version
from cmdargs import check_range, duration, free_to_start, no_args, parse_program_args, sensor_answers, unit_error
from cmderror import E_ARG, E_RANGE, E_STATE, E_UNKNOWN, CmdError
from lazy import call_lazy


def cmd_version(dev, args):
    no_args(args)
    return "firmware=%s protocol=%d board=%s mcu=%s uid=%s control_hz=%d" % (version.FIRMWARE, version.PROTOCOL, dev.board.NAME, dev.board.MCU, dev.uid, dev.control_hz)


def cmd_status(dev, args):
    no_args(args)
    s = dev.session
    return "state=%s program=%s vacuum_pa=%d setpoint_pa=%d target_pa=%d pump_duty=%d valve_duty=%d alarms=%s remaining_ms=%d trip_pa=%d ceiling_pa=%d sensor_errors=%d overruns=%d" % (
        ses.STATE_NAMES[s.state],
        s.program.name if s.program and s.state != ses.IDLE else "none",
        dev.ch.vacuum_pa,
        dev.ctl.setpoint_pa,
        dev.ctl.target_pa,
        dev.out.pump_u16,
        dev.out.vent_u16,
        dev.alarm_text(),
        s.remaining_ms(),
        dev.sup.trip_pa,
        dev.sup.ceiling_pa,
        dev.ch.sensor.errors,
        dev.overruns,
    ) + " " + s.status_text() + " storage=%s flash_stalls=%d max_late_us=%d gc_runs=%d role=%s commissioned=%d" % (dev.storage, dev.flash_stalls, dev.max_late_us, dev.gc_runs, dev.access.role_name(), dev.config.committed["commissioned"]) + _channels_text(dev) + (
        dev.laser.status_text() if dev.laser is not None else "") + (
        " command_stalls=%d max_tick_us=%d max_background_us=%d max_gc_us=%d" % (dev.command_stalls, dev.max_tick_us, dev.max_background_us, dev.max_gc_us))


def _channels_text(dev):
    x = dev.extra
    if x is None:
        return ""
    return " channels=%d %s ch_alarms=%s" % (len(dev.channels), x.status_text(), x.alarm_text(dev.alarm_text))


def cmd_start(dev, args):
    if not args:
        raise CmdError(E_ARG, "usage: start <program> key=value ... (programs: %s)" % programs.names())
    prog = programs.find(args[0])
    if prog is None:
        if args[0] in programs.LASER_NAMES:
            raise CmdError(E_RANGE, "%s needs a board with a roller motor and a laser source (ROLLER_PIN, LASER_EN_PIN in its definition); this board (%s) has neither" % (
                args[0], dev.board.NAME))
        raise CmdError(E_UNKNOWN, "no program '%s' (programs: %s)" % (args[0], programs.names()))
    free_to_start(dev, safety.STOP_MASK, "commissioning is running; 'stop' or 'commission abort' ends it")
    sensor_answers(dev, True)
    ceiling = prog.ceiling_pa if prog.ceiling_pa < dev.sup.ceiling_pa else dev.sup.ceiling_pa
    rest, heartbeat_ms = alarm_commands.heartbeat_arg(args[1:])
    values = parse_program_args(prog, rest, ceiling)
    bad = programs.relation_error(prog, values, len(dev.channels))
    if bad is None and prog.kind == programs.VACUUM_LASER:  # (a laser board: dev.laser exists)
        bad = dev.laser.refusal(prog.name, values, dev.alarm_text(), dev.sup.alarms)
    if bad:
        raise CmdError(E_RANGE, bad)
    if values["duration"] > prog.max_session_ms:
        raise CmdError(E_RANGE, "duration %dms is above %s's maximum session %dms" % (values["duration"], prog.name, prog.max_session_ms))
    dev.start_session(prog, values, heartbeat_ms)
    reply = "started %s %s" % (prog.name, " ".join("%s_%s=%d" % (p.name, programs.UNITS[p.kind].lower(), values[p.name]) for p in prog.params))
    if heartbeat_ms:
        reply += " heartbeat_ms=%d" % heartbeat_ms
    return reply




def cmd_stop(dev, args):
    no_args(args)
    if dev.laser is not None:
        dev.laser.off()  # at once, not at the next tick
    was = dev.session.state
    dev.session.stop()
    c = dev.commission
    if c is not None and c.active:
        c.cancel("stop")
        return "stopped"
    return "stopped" if was == ses.RUN or was == ses.PAUSE else "idle"


def cmd_pause(dev, args):
    no_args(args)
    if dev.laser is not None and dev.session.state == ses.RUN:
        dev.laser.off()
    if not dev.session.pause():
        raise CmdError(E_STATE, "no session is running (state %s)" % ses.STATE_NAMES[dev.session.state])
    return "paused remaining_ms=%d (vented; 'resume' within %d s or the session ends)" % (dev.session.remaining_ms(), ses.PAUSE_LIMIT_MS // 1000)


def cmd_resume(dev, args):
    no_args(args)
    if dev.sup.alarms:
        raise CmdError(E_STATE, "alarm active (%s)" % dev.alarm_text())
    sensor_answers(dev)
    if not dev.session.resume():
        raise CmdError(E_STATE, "no session is paused (state %s)" % ses.STATE_NAMES[dev.session.state])
    return "resumed remaining_ms=%d" % dev.session.remaining_ms()


def cmd_next(dev, args):
    no_args(args)
    if not dev.session.next_dot():
        raise CmdError(E_STATE, "'next' starts the next dot of a dotted session after its release")
    return "next dot"


def cmd_log(dev, args):
    log = dev.session.log
    if not args:
        return "count=%d total=%d persistent=%s storage=%s" % (log.count(), log.total, "yes" if log.persistent else "no", dev.storage)
    if len(args) == 1 and args[0] == "clear":
        log.clear()
        return "log cleared"
    if len(args) != 1:
        raise CmdError(E_ARG, "usage: log | log <index> | log clear")
    try:
        i = units.parse_int(args[0])
    except ValueError as e:
        raise CmdError(E_ARG, str(e))
    check_range("index", i, 0, log.count() - 1, "")
    return log.row(i)


def cmd_clear(dev, args):
    no_args(args)
    if not dev.sup.alarms:
        return "no alarms"
    cleared = dev.alarm_text()
    dev.clear_alarms()
    return "cleared %s" % cleared


def cmd_tel(dev, args):
    if not args or args[0] not in ("on", "off") or len(args) > 2 or (args[0] == "off" and len(args) > 1):
        raise CmdError(E_ARG, "usage: tel on [RATEHz] | tel off")
    if args[0] == "off":
        dev.tel.off()
        return "tel off"
    hz = dev.tel.hz
    if len(args) == 2:
        try:
            mhz = units.parse_millihz(args[1])
        except ValueError as e:
            raise unit_error(e)
        if mhz < 100 or mhz > dev.control_hz * 1000:
            raise CmdError(E_RANGE, "rate %s is out of range 0.1Hz..%dHz" % (args[1], dev.control_hz))
        hz = mhz
    dev.tel.set_rate(hz)
    return "tel on %d.%03dHz" % (hz // 1000, hz % 1000)


def cmd_mode(dev, args):
    if len(args) != 1 or args[0] not in ("human", "machine"):
        raise CmdError(E_ARG, "usage: mode human|machine")
    return dev.console.set_mode(args[0])


def cmd_echo(dev, args):
    if len(args) != 1 or args[0] not in ("on", "off"):
        raise CmdError(E_ARG, "usage: echo on|off")
    dev.link.set_echo(args[0] == "on")
    return "echo %s" % args[0]


def _service(module, func):
    # A rarely used command: its module is loaded for each call (call()).
    # A pair of names, not a closure: ~80 B less each at 32 bits.
    return (module, func)


def call(entry, dev, args):
    """Run a COMMANDS entry: a handler, or a service command's (module,
    function), its module loaded for this call only."""
    if type(entry) is tuple:
        return call_lazy(entry[0], entry[1], dev, args)
    return entry(dev, args)


def cmd_selftest(dev, args):
    if args == ["exception"]:
        dev.selftest()
        return "exception scheduled in the next control tick"
    if len(args) == 2 and args[0] == "stall":
        ms = duration(args[1])
        check_range("stall", ms, 1, 500, "ms")
        dev.selftest(ms)
        return "stall of %dms scheduled between ticks" % ms
    raise CmdError(E_ARG, "usage: selftest exception | selftest stall DURATION (exception in the control tick; the loop blocked up to 500ms like a GC pause)")


# name -> handler(dev, args), or (module, function) for a service command
# (run either with call()). Usage and help texts: command_help.py.
COMMANDS = {
    "help": _service("command_help", "cmd_help"),
    "version": cmd_version,
    "status": cmd_status,
    "start": cmd_start,
    "stop": cmd_stop,
    "clear": cmd_clear,
    "tel": cmd_tel,
    "mode": cmd_mode,
    "echo": cmd_echo,
    "programs": _service("program_help", "cmd_programs"),
    "pause": cmd_pause,
    "resume": cmd_resume,
    "next": cmd_next,
    "log": cmd_log,
    "get": _service("param_commands", "cmd_get"),
    "set": _service("param_commands", "cmd_set"),
    "tune": _service("tune_commands", "cmd_tune"),
    "commission": _service("commission_commands", "cmd_commission"),
    "config": _service("config_commands", "cmd_config"),
    "flashlog": _service("config_commands", "cmd_flashlog"),
    "unlock": _service("access_commands", "cmd_unlock"),
    "lock": _service("access_commands", "cmd_lock"),
    "passcode": _service("access_commands", "cmd_passcode"),
    "selftest": cmd_selftest,
}

# The alarm commands live in their own module (kept small: the firmware is
# compiled on the device, and an ESP32 has ~100 KB of heap for that).
COMMANDS.update(alarm_commands.COMMANDS)
