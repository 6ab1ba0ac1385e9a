"""``vacuumctl tune step|auto``: a step test with its figures and plot, and
the device's relay autotune with its staged result (docs/control.md)."""
from __future__ import annotations

import argparse
import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from . import units, userunit, words
from .cmdline import add_command
from .errors import UserError
from .interrupt import CtrlC
from .link import DeviceLink
from .recording import Recording
from .telemetry import CSV_COLUMNS, Message, parse_fields

RULES = ("fast", "no_overshoot", "schedule")
BAND = 0.02  # settling band, fraction of the setpoint


@dataclass
class StepFigures:
    """Step-response figures from (t_s, vacuum_pa) samples from the start."""

    rise_s: float | None  # 10 % -> 90 % of the setpoint
    settle_s: float | None  # enters and stays within +-BAND
    overshoot_pct: float
    ss_error_pa: float  # mean error over the last quarter
    ss_rms_pa: float
    # The instants behind the figures (for drawing them on a chart).
    t10_s: float | None = None
    t90_s: float | None = None
    peak_s: float | None = None
    tail_from_s: float | None = None  # start of the last quarter (steady-state window)

    def lines(self, sp: int, unit: str = "kPa") -> list[str]:
        def s(x: float | None) -> str:
            return "never" if x is None else "%.3f s" % x
        return [
            "setpoint            %s" % userunit.show(sp, unit),
            "rise time 10-90 %%   %s" % s(self.rise_s),
            "settling (+-%d %%)    %s" % (int(BAND * 100), s(self.settle_s)),
            "overshoot           %.2f %%" % self.overshoot_pct,
            "steady-state error  %s mean, %s RMS (last quarter, measured: sensor noise included)" % (
                _signed(self.ss_error_pa, unit), userunit.show(self.ss_rms_pa, unit)),
        ]


def _signed(pa: float, unit: str) -> str:
    return ("+" if pa >= 0 else "") + userunit.show(pa, unit)


def step_times(samples: list[tuple[float, int]], sp: int) -> tuple[float | None, float | None]:
    """When the response first reached 10 % and 90 % of the setpoint (s)."""
    t10 = next((t for t, v in samples if v >= 0.1 * sp), None)
    t90 = next((t for t, v in samples if v >= 0.9 * sp), None)
    return t10, t90


def step_figures(samples: list[tuple[float, int]], sp: int) -> StepFigures:
    if not samples:
        raise UserError("no telemetry was recorded during the step")
    t10, t90 = step_times(samples, sp)
    rise = None if t10 is None or t90 is None else t90 - t10
    last_out = None
    for i, (_, v) in enumerate(samples):
        if abs(v - sp) > BAND * sp:
            last_out = i
    if last_out is None:
        settle: float | None = samples[0][0]
    elif last_out + 1 < len(samples):
        settle = samples[last_out + 1][0]
    else:
        settle = None
    peak_t, peak = max(samples, key=lambda s: s[1])
    tail = samples[len(samples) * 3 // 4:]
    errs = [v - sp for _, v in tail]
    mean = sum(errs) / len(errs)
    rms = (sum(e * e for e in errs) / len(errs)) ** 0.5
    return StepFigures(rise, settle, max(0.0, (peak - sp) * 100.0 / sp), mean, rms,
                       t10, t90, peak_t, tail[0][0])


def step_samples(tel: list[dict]) -> tuple[list[tuple[float, int]], int]:
    """(t_s from the start, vacuum_pa) of a step test's running telemetry,
    and the device time t0_ms the seconds count from."""
    run = [fl for fl in tel if fl.get("state") == "run"]
    if not run:
        raise UserError("the session never ran (alarms: %s)" % (tel[-1].get("alarms") if tel else "?"))
    t0 = int(run[0]["t_ms"]) - 5
    return [((int(fl["t_ms"]) - t0) / 1000.0, int(fl["vacuum_pa"])) for fl in run], t0


def _idle_and_clear(link: DeviceLink) -> None:
    st = parse_fields(link.request("status"))
    if st.get("alarms") != "none":
        raise UserError("the device is in alarm (%s): fix the cause, then 'clear' it" % st.get("alarms"))
    if st.get("state") != "idle":
        raise UserError("the device is busy (state %s): stop the session first" % st.get("state"))


def _collect(link: DeviceLink, done: Callable[[dict, list[Message]], bool], writer: Any,
             ctrl_c: CtrlC, stop_requests: tuple[str, ...]) -> tuple[list[dict], bool]:
    """Telemetry until done(fields, messages_seen) -> (telemetry, False).

    On Ctrl-C the test is ended with stop_requests (the device vents) and
    recording goes on until the device reports idle -> (telemetry, True).
    A vanished port raises DeviceLost, a reboot DeviceReset (sentences)."""
    tel: list[dict] = []
    events: list[Message] = []

    def stop() -> None:
        print("Ctrl-C: stopping the test and venting", flush=True)
        for text in stop_requests:
            link.request(text)

    rec = Recording(link, ctrl_c, writer=writer, on_ctrl_c=stop, reboot_during="the test")
    for msg in rec.messages():
        if msg is None:
            continue
        if msg.kind in ("event", "alarm"):
            events.append(msg)
            continue
        if msg.kind != "tel":
            continue
        tel.append(msg.fields)
        if rec.stopping and msg.fields.get("state") in ("idle", "fault"):
            return tel, True
        if done(msg.fields, events):
            return tel, False
    return tel, rec.stopping  # not reached: a recording with on_ctrl_c ends only by an exception


def cmd_step(args: argparse.Namespace, link: DeviceLink) -> int:
    sp = int(round(units.parse_pressure(args.target)))
    hold_ms = int(args.hold * 1000)
    csv_path = Path(args.csv or "out/tune_step.csv")
    csv_path.parent.mkdir(parents=True, exist_ok=True)
    _idle_and_clear(link)
    with open(csv_path, "w", newline="") as f, CtrlC() as ctrl_c:
        w = csv.writer(f)
        w.writerow(CSV_COLUMNS)
        # Telemetry on every control tick (the board's rate; 200 Hz before
        # the firmware said it).
        hz = parse_fields(link.request("version")).get("control_hz", 200)
        link.request("tel on %sHz" % hz)
        ctrl_c.before_start()
        link.start("start continuous target=%dPa ramp=0ms duration=%dms" % (sp, hold_ms))
        print("step to %s, holding %s s of device time (Ctrl-C stops the test and vents)" % (
            userunit.show(sp, getattr(args, "unit", userunit.DEFAULT)), "%g" % args.hold), flush=True)
        tel, interrupted = _collect(
            link, lambda fl, ev: any("session_end" in m.text for m in ev) and fl.get("state") == "idle", w,
            ctrl_c, ("stop",))
        link.request("tel off")
    if interrupted:
        print("step test stopped by Ctrl-C: the device is %s and vented; partial telemetry in %s" % (
            tel[-1].get("state"), csv_path))
        return 130
    samples, t0 = step_samples(tel)
    alarms = sorted({str(fl.get("alarms")) for fl in tel} - {"none"})
    figs = step_figures(samples, sp)
    for line in figs.lines(sp, getattr(args, "unit", userunit.DEFAULT)):
        print(line)
    print("plant gain          %s/s at full pump (measured by the approach)" % _rate(_get(link, "plant_gain"),
                                                                                 getattr(args, "unit", userunit.DEFAULT)))
    if alarms:
        print("alarms during the test: %s" % ", ".join(alarms))
    print("telemetry: %s" % csv_path)
    png = args.png or str(csv_path.with_suffix(".png"))
    try:
        from .plot import plot_step
    except ImportError:  # pragma: no cover - plot ships with the tool
        raise UserError("plotting is unavailable: matplotlib is missing; run 'make venv'") from None
    unit = getattr(args, "unit", userunit.DEFAULT)

    plot_step(str(csv_path), png, figs, sp, samples, t0 / 1000.0, title="step to %s" % userunit.show(sp, unit), unit=unit)
    print("plot: %s" % png)
    return 3 if alarms else 0


def _get(link: DeviceLink, name: str) -> str:
    return str(parse_fields(link.request("get " + name)).get(name, "?"))


def cmd_auto(args: argparse.Namespace, link: DeviceLink) -> int:
    sp = int(round(units.parse_pressure(args.target)))
    _idle_and_clear(link)
    line = "tune auto target=%dPa amp=%d timeout=%dms" % (sp, args.amp, int(args.timeout * 1000))
    ended: list[Message] = []

    def done(fl: dict, ev: list[Message]) -> bool:
        for m in ev:
            if "tune_done" in m.text or "tune_aborted" in m.text:
                if not ended:
                    ended.append(m)
        return bool(ended) and fl.get("state") == "idle"

    unit = getattr(args, "unit", userunit.DEFAULT)
    with CtrlC() as ctrl_c:
        link.request("tel on 20Hz")
        ctrl_c.before_start()
        f = parse_fields(link.start(line))
        print("relay autotune around %s: the pump switches %s %% of full duty above and below the hold, for at most "
              "%s (Ctrl-C stops it and vents)" % (userunit.show(int(f.get("target_pa", sp)), unit), f.get("amp_pct", args.amp),
                                                  words.duration(f.get("timeout_ms", int(args.timeout * 1000)))), flush=True)
        tel, interrupted = _collect(link, done, None, ctrl_c, ("tune abort", "stop"))
        link.request("tel off")
    if interrupted:
        print("autotune stopped by Ctrl-C: nothing staged; the device is %s and vented" % tel[-1].get("state"))
        return 130
    msg = ended[0]
    if "tune_aborted" in msg.text:
        print("%s; the session was stopped and vented" % words.event(msg, unit))
        return 3
    r = parse_fields(msg.text)
    print("relay test: ultimate gain Ku %s duty/kPa, period Tu %s, oscillation +-%s, noise %s, hysteresis %s" % (
        r["ku"], words.duration(r["tu_ms"]), userunit.show(int(r["amp_pa"]), unit), userunit.show(int(r["noise_pa"]), unit),
        userunit.show(int(r["hyst_pa"]), unit)))
    print("plant: %s/s at full pump, dead time %s" % (_rate(r["plant_gain"], unit), words.duration(r["lag_ms"])))
    print("proposed gains (staged on the device, not applied):")
    rows = [("  rule", "kp", "ki", "kd", "")]
    for rule in ("fast", "no_overshoot"):
        kp, ki, kd = str(r[rule]).split(",")
        rows.append(("  " + rule, kp, ki, kd, "fixed gains"))
    sched = dict(x.split(":") for x in str(r["schedule"]).split(","))
    rows.append(("  schedule", "-", "-", "-", "gains scheduled per approach: tau %s, plant gain %s/s" % (
        words.duration(sched.get("tau", "-")), _rate(sched.get("plant_gain", "-"), unit))))
    for line in words.table(rows):
        print(line)
    scheduled = _get(link, "scheduled") == "1"
    print("in use now: %s" % ("gains scheduled per approach (tau %s)" % words.duration(_get(link, "tau")) if scheduled else
                              "fixed gains kp %s, ki %s, kd %s" % (_get(link, "kp"), _get(link, "ki"), _get(link, "kd"))))
    if "warning" in r:
        print("warning: %s" % str(r["warning"]).replace("_", " "))
    if args.commit:
        print(commit_text(link.request("tune commit %s" % args.commit), unit))
    else:
        print("commit one with: vacuumctl tune commit RULE   (or discard: vacuumctl tune discard)")
    return 0


def _rate(pa_s: int | str, unit: str) -> str:
    try:
        return userunit.show(int(str(pa_s)), unit)
    except ValueError:
        return str(pa_s)


def commit_text(reply: str, unit: str) -> str:
    """``committed kp 0->0, tau 25->30 rule=schedule kp=.. scheduled=1 tau=30 plant_gain=..`` in words."""
    f = parse_fields(reply)
    rule = f.get("rule", "?")
    if f.get("scheduled") == 1:
        how = "gains scheduled per approach, tau %s, plant gain %s/s" % (words.duration(f.get("tau")), _rate(f.get("plant_gain", "-"), unit))
    else:
        how = "fixed gains kp %s, ki %s, kd %s" % (f.get("kp"), f.get("ki"), f.get("kd"))
    return "committed rule %s to flash and applied it: %s" % (rule, how)


def cmd_commit(args: argparse.Namespace, link: DeviceLink) -> int:
    print(commit_text(link.request("tune commit %s" % args.rule), getattr(args, "unit", userunit.DEFAULT)))
    return 0


def cmd_discard(args: argparse.Namespace, link: DeviceLink) -> int:
    link.request("tune discard")
    print("the staged autotune result was discarded; the gains in use are unchanged")
    return 0


def register(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    s = add_command(sub, "tune", description="Step test with rise, overshoot, settling and steady-state error plus a plot; "
                                "or the device's relay autotune, whose result is staged until committed.",
                    examples="""examples:
  vacuumctl --port sim tune step --target 30kPa            # rise, overshoot, settling; CSV and PNG
  vacuumctl --port sim@bench tune auto --target 30kPa      # relay autotune on a background board; staged
  vacuumctl --port sim@bench tune commit schedule          # apply the staged result (or: tune discard)
Ctrl-C stops the test: the device vents to ambient, nothing is staged (exit 130).
details: docs/control.md""")
    tsub = s.add_subparsers(dest="tune_command", required=True)
    t = tsub.add_parser("step", help="step to P with ramp 0, report the response, save CSV and PNG")
    t.add_argument("--target", required=True, help="setpoint with a unit, e.g. 30kPa, 125mmHg")
    t.add_argument("--hold", type=float, default=10.0, help="seconds of device time to hold (default 10)")
    t.add_argument("--csv", help="telemetry CSV (default out/tune_step.csv)")
    t.add_argument("--png", help="plot (default: the CSV's name with .png)")
    t.set_defaults(tune_func=cmd_step)
    userunit.add_argument(t)
    a = tsub.add_parser("auto", help="relay autotune around P on the device; stages the result")
    a.add_argument("--target", required=True, help="setpoint with a unit, e.g. 30kPa")
    a.add_argument("--amp", type=int, default=20, help="relay amplitude, %% of full duty (5..25, default 20)")
    a.add_argument("--timeout", type=float, default=120.0, help="limit for the whole run, s (2..600, default 120)")
    a.add_argument("--commit", choices=RULES, help="commit this rule right away instead of only staging")
    a.set_defaults(tune_func=cmd_auto)
    userunit.add_argument(a)
    c = tsub.add_parser("commit", help="apply the staged autotune result with one rule")
    c.add_argument("rule", choices=RULES)
    c.set_defaults(tune_func=cmd_commit)
    userunit.add_argument(c)
    d = tsub.add_parser("discard", help="drop the staged autotune result")
    d.set_defaults(tune_func=cmd_discard)
    s.set_defaults(func=cmd_tune)


def cmd_tune(args: argparse.Namespace) -> int:
    speed = getattr(args, "speed", None) or "max"
    link = DeviceLink.open(args.port, speed=speed)
    try:
        return args.tune_func(args, link)
    finally:
        link.close()
