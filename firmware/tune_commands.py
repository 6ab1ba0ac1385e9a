# The 'tune' command: relay autotune (autotune.py, docs/control.md) started,
# inspected, committed through the configuration or discarded. A service
# command: imported on demand and dropped after each use (commands._service).
import autotune
import programs
import units
from cmderror import E_ARG, E_RANGE, E_STATE, CmdError
from cmdargs import check_range, duration, free_to_start, parse_program_args, sensor_answers


def cmd_tune(dev, args):
    t = dev.tuner
    sub = args[0] if args else ""
    if sub == "auto":
        prog = programs.find("continuous")
        free_to_start(dev, -1, "commissioning is running; 'commission abort' ends it")  # -1: any alarm
        sensor_answers(dev, True)  # as for 'start'
        amp, timeout, rest = autotune.AMP_PCT_DEFAULT, autotune.TIMEOUT_MS_DEFAULT, []
        for tok in args[1:]:
            if tok.startswith("amp="):
                try:
                    amp = units.parse_int(tok[4:].rstrip("%"))
                except ValueError as e:
                    raise CmdError(E_ARG, str(e))
                check_range("amp", amp, 5, autotune.AMP_PCT_MAX, "%")
            elif tok.startswith("timeout="):
                timeout = duration(tok[8:])
                check_range("timeout", timeout, 2_000, 600_000, "ms")
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
        import config_commands

        cfg = dev.config
        for name, v in t.staged.config_values(args[1]).items():
            p = config.param(name)
            if v < p.lo or v > p.hi:
                raise CmdError(E_RANGE, "%s %d is out of the configuration's range %s; nothing committed" % (name, v, config.range_text(p)))
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

