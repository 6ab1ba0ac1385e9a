# The command set of the serial protocol (docs/protocol.md). Each handler
# validates everything before it changes anything: a bad line changes nothing.
import autotune
import programs
import safety
import sensor as sensor_mod
import session as ses
import units
import version
from cmderror import (
    E_ARG,
    E_RANGE,
    E_READONLY,
    E_STATE,
    E_UNIT,
    E_UNKNOWN,
    CmdError,
)


def _unit_error(e):
    return CmdError(E_UNIT, str(e))


def _pressure(token):
    try:
        return units.parse_pressure_pa(token)
    except ValueError as e:
        raise _unit_error(e)


def _duration(token):
    try:
        return units.parse_duration_ms(token)
    except ValueError as e:
        raise _unit_error(e)


_UNIT = ("Pa", "ms", "mHz")
_KIND_WORD = ("pressure", "duration", "rate")


def _fmt_range(p):
    u = _UNIT[p.kind]
    return "%d%s..%d%s" % (p.lo, u, p.hi, u)


def _parse_value(kind, raw):
    if kind == programs.PA:
        return _pressure(raw)
    if kind == programs.MS:
        return _duration(raw)
    try:
        return units.parse_millihz(raw)
    except ValueError as e:
        raise _unit_error(e)


def _check_range(name, value, lo, hi, unit):
    if value < lo or value > hi:
        raise CmdError(E_RANGE, "%s %d%s is out of range %d%s..%d%s" % (name, value, unit, lo, unit, hi, unit))


def parse_program_args(prog, args, ceiling_pa):
    """key=value tokens -> dict of validated integers (Pa, ms)."""
    values = {}
    for tok in args:
        eq = tok.find("=")
        if eq <= 0:
            raise CmdError(E_ARG, "expected key=value, got '%s' (parameters of %s: %s)" % (tok, prog.name, " ".join(p.name for p in prog.params)))
        key = tok[:eq]
        p = prog.param(key)
        if p is None:
            raise CmdError(E_ARG, "%s has no parameter '%s' (valid: %s)" % (prog.name, key, " ".join(q.name for q in prog.params)))
        if key in values:
            raise CmdError(E_ARG, "parameter '%s' given twice" % key)
        raw = tok[eq + 1 :]
        v = _parse_value(p.kind, raw)
        hi = p.hi
        if p.kind == programs.PA and hi > ceiling_pa:
            hi = ceiling_pa
        _check_range(key, v, p.lo, hi, _UNIT[p.kind])
        values[key] = v
    for p in prog.params:
        if p.name not in values:
            if p.default is None:
                raise CmdError(E_ARG, "%s needs %s=<%s> (%s)" % (prog.name, p.name, _KIND_WORD[p.kind], p.help))
            values[p.name] = p.default
    return values


def cmd_help(dev, args):
    if args:
        c = COMMANDS.get(args[0])
        if c is None:
            raise CmdError(E_UNKNOWN, "no command '%s'; type help" % args[0])
        return "%s: %s" % (c[1], c[2])
    return "commands: " + " ".join(sorted(COMMANDS)) + " (help <command> for details; pressures need a unit: Pa kPa hPa mbar mmHg inHg atm cmH2O)"


def cmd_version(dev, args):
    _no_args(args)
    return "firmware=%s protocol=%d board=%s mcu=%s uid=%s" % (version.FIRMWARE, version.PROTOCOL, dev.board.NAME, dev.board.MCU, dev.uid)


def cmd_status(dev, args):
    _no_args(args)
    s = dev.session
    return "state=%s program=%s vacuum_pa=%d setpoint_pa=%d target_pa=%d pump_duty=%d valve_duty=%d alarms=%s remaining_ms=%d trip_pa=%d ceiling_pa=%d sensor_errors=%d overruns=%d" % (
        ses.STATE_NAMES[s.state],
        s.program.name if s.program and s.state != ses.IDLE else "none",
        dev.vacuum_pa,
        dev.ctl.setpoint_pa,
        dev.ctl.target_pa,
        dev.out.pump_u16,
        dev.out.vent_u16,
        dev.alarm_text(),
        s.remaining_ms(),
        dev.sup.trip_pa,
        dev.sup.ceiling_pa,
        dev.sensor.errors,
        dev.overruns,
    ) + " " + s.status_text() + " storage=%s flash_stalls=%d max_late_us=%d role=%s" % (dev.storage, dev.flash_stalls, dev.max_late_us, dev.access.role_name()) + _channels_text(dev)


def _channels_text(dev):
    x = dev.extra
    if x is None:
        return ""
    return " channels=%d %s ch_alarms=%s" % (dev.channel_count, x.status_text(dev.vacuum_pa, dev.ctl.setpoint_pa), x.alarm_text(dev.alarm_text))


def _sensor_answers(dev):
    # 'clear' resets the supervisor's sensor debounce: without this a start
    # right after it would run the pump blind until the alarm re-latches
    # (found by hil_tests/test_fuzz_alarm.py).
    if dev.sensor_status >= sensor_mod.BUS_ERROR:
        raise CmdError(E_STATE, "the pressure sensor is not answering (last sample failed); check its cable")


def cmd_start(dev, args):
    if not args:
        raise CmdError(E_ARG, "usage: start <program> key=value ... (programs: %s)" % programs.names())
    prog = programs.find(args[0])
    if prog is None:
        raise CmdError(E_UNKNOWN, "no program '%s' (programs: %s)" % (args[0], programs.names()))
    if dev.sup.alarms & safety.STOP_MASK:
        raise CmdError(E_STATE, "alarm active (%s): fix the cause, then 'clear'" % dev.alarm_text())
    if dev.session.state != ses.IDLE:
        raise CmdError(E_STATE, "a session is %s; 'stop' it first" % ses.STATE_NAMES[dev.session.state])
    _sensor_answers(dev)
    ceiling = prog.ceiling_pa if prog.ceiling_pa < dev.sup.ceiling_pa else dev.sup.ceiling_pa
    rest, heartbeat_ms = alarm_commands.heartbeat_arg(args[1:])
    values = parse_program_args(prog, rest, ceiling)
    bad = programs.relation_error(prog, values, dev.channel_count)
    if bad:
        raise CmdError(E_RANGE, bad)
    if values["duration"] > prog.max_session_ms:
        raise CmdError(E_RANGE, "duration %dms is above %s's maximum session %dms" % (values["duration"], prog.name, prog.max_session_ms))
    dev.start_session(prog, values, heartbeat_ms)
    reply = "started %s %s" % (prog.name, " ".join("%s_%s=%d" % (p.name, _UNIT[p.kind].lower(), values[p.name]) for p in prog.params))
    if heartbeat_ms:
        reply += " heartbeat_ms=%d" % heartbeat_ms
    return reply




def cmd_stop(dev, args):
    _no_args(args)
    was = dev.session.state
    dev.session.stop()
    return "stopped" if was == ses.RUN or was == ses.PAUSE else "idle"


def cmd_pause(dev, args):
    _no_args(args)
    if not dev.session.pause():
        raise CmdError(E_STATE, "no session is running (state %s)" % ses.STATE_NAMES[dev.session.state])
    return "paused remaining_ms=%d (vented; 'resume' within %d s or the session ends)" % (dev.session.remaining_ms(), ses.PAUSE_LIMIT_MS // 1000)


def cmd_resume(dev, args):
    _no_args(args)
    if dev.sup.alarms:
        raise CmdError(E_STATE, "alarm active (%s)" % dev.alarm_text())
    _sensor_answers(dev)
    if not dev.session.resume():
        raise CmdError(E_STATE, "no session is paused (state %s)" % ses.STATE_NAMES[dev.session.state])
    return "resumed remaining_ms=%d" % dev.session.remaining_ms()


def cmd_next(dev, args):
    _no_args(args)
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
    _check_range("index", i, 0, log.count() - 1, "")
    return log.row(i)


def cmd_tune(dev, args):
    t = dev.tuner
    sub = args[0] if args else ""
    if sub == "auto":
        prog = programs.find("continuous")
        if dev.sup.alarms:
            raise CmdError(E_STATE, "alarm active (%s): fix the cause, then 'clear'" % dev.alarm_text())
        if dev.session.state != ses.IDLE:
            raise CmdError(E_STATE, "a session is %s; 'stop' it first" % ses.STATE_NAMES[dev.session.state])
        _sensor_answers(dev)
        amp, timeout, rest = autotune.AMP_PCT_DEFAULT, autotune.TIMEOUT_MS_DEFAULT, []
        for tok in args[1:]:
            if tok.startswith("amp="):
                try:
                    amp = units.parse_int(tok[4:].rstrip("%"))
                except ValueError as e:
                    raise CmdError(E_ARG, str(e))
                _check_range("amp", amp, 5, autotune.AMP_PCT_MAX, "%")
            elif tok.startswith("timeout="):
                timeout = _duration(tok[8:])
                _check_range("timeout", timeout, 2_000, 600_000, "ms")
            else:
                rest.append(tok)
        ceiling = prog.ceiling_pa if prog.ceiling_pa < dev.sup.ceiling_pa else dev.sup.ceiling_pa
        values = parse_program_args(prog, rest, ceiling)
        if "target" not in values:
            raise CmdError(E_ARG, "usage: tune auto target=P [amp=5..25%] [timeout=2s..10min]")
        values["ramp"] = 0
        values["duration"] = timeout + 60_000
        t.start(dev, prog, values, amp, timeout)
        return "tuning target_pa=%d amp_pct=%d timeout_ms=%d (result with 'tune result' after the tune_done event)" % (values["target"], amp, timeout)
    if sub == "status" and len(args) == 1:
        return t.status(dev)
    if sub == "result" and len(args) == 1:
        if t.staged is None:
            raise CmdError(E_STATE, "no staged result (last run: %s)" % t.last)
        return t.staged.text()
    if sub == "commit" and len(args) == 2:
        if t.staged is None:
            raise CmdError(E_STATE, "no staged result to commit (last run: %s)" % t.last)
        if args[1] not in autotune.RULES:
            raise CmdError(E_ARG, "rule must be one of: %s" % " ".join(autotune.RULES))
        # Through the configuration: validated against each parameter's range,
        # written to flash, read back, audited, then applied.
        import config

        config_commands = _lazy("config_commands")
        cfg = dev.config
        for name, v in t.staged.config_values(args[1]).items():
            p = config.param(name)
            if v < p.lo or v > p.hi:
                raise CmdError(E_RANGE, "%s %d is out of the configuration's range %s; nothing committed" % (name, v, p.range_text()))
        cfg.revert()  # commit exactly the rule, not other staged edits
        for name, v in t.staged.config_values(args[1]).items():
            cfg.staged[name] = v
        text = config_commands.cmd_config(dev, ["commit"])
        t.staged = None
        c = dev.ctl
        return "%s rule=%s kp=%d ki=%d kd=%d scheduled=%d tau=%d plant_gain=%d" % (text, args[1], c.pid.kp, c.pid.ki, c.pid.kd, 1 if c.scheduled else 0, c.tau_ms, c.g_pump)
    if sub == "discard" and len(args) == 1:
        t.staged = None
        return "discarded"
    if sub == "abort" and len(args) == 1:
        dev.ctl.relay.cancel()
        return "aborting"
    raise CmdError(E_ARG, "usage: tune auto target=P [amp=PCT] [timeout=DUR] | tune status | tune result | tune commit fast|no_overshoot|schedule | tune discard | tune abort")


def cmd_clear(dev, args):
    _no_args(args)
    if not dev.sup.alarms:
        return "no alarms"
    cleared = dev.alarm_text()
    dev.clear_alarms()
    return "cleared %s" % cleared


def cmd_tel(dev, args):
    if not args or args[0] not in ("on", "off") or len(args) > 2 or (args[0] == "off" and len(args) > 1):
        raise CmdError(E_ARG, "usage: tel on [RATEHz] | tel off")
    if args[0] == "off":
        dev.tel_period_ticks = 0
        return "tel off"
    hz = dev.tel_hz
    if len(args) == 2:
        try:
            mhz = units.parse_millihz(args[1])
        except ValueError as e:
            raise _unit_error(e)
        if mhz < 100 or mhz > dev.control_hz * 1000:
            raise CmdError(E_RANGE, "rate %s is out of range 0.1Hz..%dHz" % (args[1], dev.control_hz))
        hz = mhz
    else:
        hz = dev.tel_hz
    dev.set_tel_rate(hz)
    return "tel on %d.%03dHz" % (hz // 1000, hz % 1000)


def cmd_mode(dev, args):
    if len(args) != 1 or args[0] not in ("human", "machine"):
        raise CmdError(E_ARG, "usage: mode human|machine")
    return dev.console.set_mode(args[0])


def cmd_echo(dev, args):
    if len(args) != 1 or args[0] not in ("on", "off"):
        raise CmdError(E_ARG, "usage: echo on|off")
    dev.link.echo = args[0] == "on"
    return "echo %s" % args[0]


def cmd_programs(dev, args):
    if not args:
        return programs.names()
    if len(args) != 1:
        raise CmdError(E_ARG, "usage: programs [name]")
    p = programs.find(args[0])
    if p is None:
        raise CmdError(E_UNKNOWN, "no program '%s' (programs: %s)" % (args[0], programs.names()))
    ceiling = min(p.ceiling_pa, dev.sup.ceiling_pa)
    ps = " ".join("%s=%s[%s]" % (q.name, "!" if q.default is None else "%d%s" % (q.default, _UNIT[q.kind]), _fmt_range(q)) for q in p.params)
    return "%s kind=%s preset_of=%s wound=%s ceiling_pa=%d %s help: %s" % (
        p.name, programs.KIND_NAMES[p.kind], p.preset_of or "none", "yes" if p.wound else "no", ceiling, ps, p.help)


# Gain bounds: products in the PID stay below 2**30 (pid.py).
_GAIN_MAX = {"kp": 4_000_000, "ki": 100_000_000, "kd": 100_000_000}


# get/set parameters: name -> (getter, setter or None, unit kind, help)
def _get_gain(name):
    return lambda dev: getattr(dev.ctl.pid, name)


def _set_gain(name):
    def setter(dev, token):
        try:
            v = units.parse_int(token)
        except ValueError as e:
            raise CmdError(E_ARG, str(e))
        _check_range(name, v, 0, _GAIN_MAX[name], "")
        pid = dev.ctl.pid
        g = [pid.kp, pid.ki, pid.kd]
        g[("kp", "ki", "kd").index(name)] = v
        dev.ctl.set_manual(g[0], g[1], g[2])
        return v

    return setter


def _set_tuning(name, lo, hi):
    def setter(dev, token):
        try:
            v = units.parse_duration_ms(token) if name == "tau" else units.parse_int(token)
        except ValueError as e:
            raise CmdError(E_UNIT if name == "tau" else E_ARG, str(e))
        _check_range(name, v, lo, hi, "ms" if name == "tau" else "")
        c = dev.ctl
        t = [c.tau_ms, c.ti_factor, c.lead_ticks]
        t[("tau", "ti_factor", "lead").index(name)] = v
        c.set_tuning(t[0], t[1], t[2])
        return v

    return setter


def _set_target(dev, token):
    v = _pressure(token)
    s = dev.session
    if s.state != ses.RUN:
        raise CmdError(E_STATE, "no session is running; use 'start <program> target=...'")
    p = s.program.param("target")
    hi = min(p.hi, s.program.ceiling_pa, dev.sup.ceiling_pa)
    _check_range("target", v, p.lo, hi, "Pa")
    bad = programs.relation_error(s.program, {"target": v, "floor": s.floor_pa, "step": s.step_pa}, dev.channel_count)
    if bad:
        raise CmdError(E_RANGE, "session's " + bad)
    s.set_target(v, dev.vacuum_pa)
    return v


PARAMS = {
    "vacuum": (lambda dev: dev.vacuum_pa, None, "Pa", "measured vacuum depth"),
    "setpoint": (lambda dev: dev.ctl.setpoint_pa, None, "Pa", "slewed setpoint the PID follows"),
    "target": (lambda dev: dev.ctl.target_pa, _set_target, "Pa", "target of the running session"),
    "ceiling": (lambda dev: dev.sup.ceiling_pa, None, "Pa", "device ceiling (compiled in and board)"),
    "trip": (lambda dev: dev.sup.trip_pa, None, "Pa", "current trip level"),
    "kp": (_get_gain("kp"), _set_gain("kp"), "duty/kPa", "proportional gain (setting it fixes the gains: scheduling off)"),
    "ki": (_get_gain("ki"), _set_gain("ki"), "duty/(kPa*s)", "integral gain (setting it fixes the gains)"),
    "kd": (_get_gain("kd"), _set_gain("kd"), "duty*ms/kPa", "derivative gain (setting it fixes the gains)"),
    "tau": (lambda dev: dev.ctl.tau_ms, _set_tuning("tau", 10, 2000), "ms", "closed-loop time constant of the hold (setting it turns scheduling on)"),
    "ti_factor": (lambda dev: dev.ctl.ti_factor, _set_tuning("ti_factor", 2, 50), "", "integral time as a multiple of tau"),
    "lead": (lambda dev: dev.ctl.lead_ticks, _set_tuning("lead", 0, 20), "ticks", "sensor and actuator lag the approach looks ahead"),
    "plant_gain": (lambda dev: dev.ctl.g_pump, None, "Pa/s", "vacuum rise rate at full pump near the target, measured by the last approach"),
    "vent_gain": (lambda dev: dev.ctl.g_vent, None, "Pa/s", "vacuum fall rate at full vent, measured by the last downward approach (0 = not yet)"),
    "scheduled": (lambda dev: 1 if dev.ctl.scheduled else 0, None, "", "1 = gains scheduled from plant_gain and tau; 0 = fixed kp/ki/kd"),
    "heap_alloc": (lambda dev: _heap(True), None, "bytes", "live heap after a full collection (the collection runs between ticks)"),
    "heap_free": (lambda dev: _heap(False), None, "bytes", "free heap now"),
    "max_late_us": (lambda dev: dev.max_late_us, None, "us", "latest start of a control tick since boot (jitter)"),
}


def _heap(collect):
    import gc  # endurance checks (tools/soak.py): heap growth over days

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


def _lazy(name):
    # Service commands are imported at first use: their code stays out of
    # the heap of a device that never needs them.
    return __import__(name)


def cmd_selftest(dev, args):
    if args == ["exception"]:
        dev.inject_exception = True
        return "exception scheduled in the next control tick"
    if len(args) == 2 and args[0] == "stall":
        ms = _duration(args[1])
        _check_range("stall", ms, 1, 500, "ms")
        dev.stall_ms = ms
        return "stall of %dms scheduled between ticks" % ms
    raise CmdError(E_ARG, "usage: selftest exception | selftest stall DURATION (exception in the control tick; the loop blocked up to 500ms like a GC pause)")


def _no_args(args):
    if args:
        raise CmdError(E_ARG, "takes no arguments, got '%s'" % " ".join(args))


COMMANDS = {
    "help": (cmd_help, "help [command]", "list commands or describe one"),
    "version": (cmd_version, "version", "firmware, protocol and board"),
    "status": (cmd_status, "status", "state, vacuum, outputs, alarms"),
    "start": (cmd_start, "start <program> key=value ...", "start a session (programs: list them with 'programs'), e.g. start continuous target=30kPa ramp=5s duration=15min, start intermittent target=125mmHg on=5min off=2min duration=1h"),
    "stop": (cmd_stop, "stop", "end the session and vent to ambient"),
    "clear": (cmd_clear, "clear", "clear latched alarms once their cause is fixed (logged)"),
    "tel": (cmd_tel, "tel on [RATEHz] | tel off", "periodic telemetry lines"),
    "mode": (cmd_mode, "mode human|machine", "machine mode adds sequence numbers and CRC-16 (docs/protocol.md)"),
    "echo": (cmd_echo, "echo on|off", "echo typed characters (human mode)"),
    "programs": (cmd_programs, "programs [name]", "program and preset names; with a name: its parameters as name=default[range] (! = required), ceiling and purpose"),
    "pause": (cmd_pause, "pause", "vent and freeze the session timer (resume within 10 min)"),
    "resume": (cmd_resume, "resume", "continue a paused session"),
    "next": (cmd_next, "next", "dotted programs: the cup has been moved, build the next dot"),
    "log": (cmd_log, "log | log <index> | log clear", "therapy log on flash, one record per session: count, or one record (0 = oldest)"),
    "get": (cmd_get, "get <param>", "read a parameter"),
    "set": (cmd_set, "set <param> <value>", "change a parameter"),
    "tune": (cmd_tune, "tune auto target=P [amp=PCT] [timeout=DUR] | status | result | commit RULE | discard | abort", "relay autotune around P inside the hard limits; the result is staged until committed (rules: fast, no_overshoot, schedule)"),
    "config": (lambda dev, args: _lazy("config_commands").cmd_config(dev, args), "config show|get NAME|set NAME VALUE|diff|commit|revert|reset|audit [N]", "service parameters on flash: set stages a change, commit saves it (read back, then applied, audited)"),
    "flashlog": (lambda dev, args: _lazy("config_commands").cmd_flashlog(dev, args), "flashlog alarm|therapy [N]", "the last N records of the alarm or therapy log kept on flash"),
    "unlock": (lambda dev, args: _lazy("access_commands").cmd_unlock(dev, args), "unlock CODE", "service role (set, config changes, tune auto/commit, selftest, log clear) until 'lock' or 10 min without a service command"),
    "lock": (lambda dev, args: _lazy("access_commands").cmd_lock(dev, args), "lock", "back to the therapist role (start, stop, pause and choose programs within their ranges; read everything)"),
    "passcode": (lambda dev, args: _lazy("access_commands").cmd_passcode(dev, args), "passcode NEW", "service role: change the unlock code (6..32 letters or digits; stored as a salted hash)"),
    "selftest": (cmd_selftest, "selftest exception | selftest stall DURATION", "prove the exception path ends in the safe state; block the loop to prove overrun detection"),
}


# The alarm commands live in their own module (kept small: the firmware is
# compiled on the device, and an ESP32 has ~100 KB of heap for that).
import alarm_commands  # noqa: E402 - needs the helpers above

COMMANDS.update(alarm_commands.COMMANDS)
