"""``vacuumctl commission``: runs the device's commissioning on a rigid
chamber of known volume (docs/commissioning.md), shows what it measured
beside the board's declared figures, and commits the record to the device's
configuration only when the technician accepts (or ``--yes``)."""
from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import tempfile
import time
from typing import Any

from . import units, userunit
from .cmdline import add_command, ask_yes
from .errors import DeviceReset, UserError
from .interrupt import CtrlC
from .link import DeviceLink
from .telemetry import parse_fields

# Device time of a whole run is bounded by the firmware (6 min); the wall
# time on a real device is the same, on the simulated board much less.
WAIT_S = 420.0
# The gauge step's hold (firmware/commission_commands.py GAUGE_MIN_PA; below
# the smallest device ceiling) and how long it may take to settle.
GAUGE_MIN_PA = 10_000
GAUGE_MAX_PA = 60_000
SETTLE_WAIT_S = 120.0


def volume_token(text: str) -> str:
    """--volume as the device's 'volume=' token: whitespace dropped ('100 mL'
    is '100mL'; a line break cannot start another command). The device
    parses it and checks its range, and its refusal is the message."""
    token = "".join(text.split())
    if not token:
        raise UserError("--volume is empty: give the chamber's volume in mL or L, e.g. --volume 100mL")
    return token


def _pairs(text: str) -> list[tuple[int, int]]:
    if not text or text == "none":
        return []
    return [(int(a), int(b)) for a, b in (p.split(":") for p in str(text).split(","))]


def record(reply: str) -> dict[str, Any]:
    """The device's result line -> the record printed by --json."""
    f = parse_fields(reply)
    out: dict[str, Any] = {k: f[k] for k in (
        "volume_ml", "ambient_pa", "top_pa", "stalled", "pump_free_flow_ml_min", "pump_max_vacuum_pa", "vent_dead_pm",
        "vent_full_pm", "vent_flow_ml_min", "vent_exp_pm", "dead_time_ms", "vent_lag_ms", "zero_pa", "noise_pa", "chamber_leak_ml_min",
        "declared_flow_ml_min", "declared_max_vacuum_pa") if k in f}
    out["pump_curve"] = [{"vacuum_pa": v, "flow_ml_min": q} for v, q in _pairs(str(f.get("curve", "")))]
    out["vent_curve"] = [{"duty": d / 1000, "opening": o / 1000} for d, o in _pairs(str(f.get("vent", "")))]
    out["vent_flow_curve"] = [{"vacuum_pa": v, "flow_ml_min": q} for v, q in _pairs(str(f.get("vent_flow", "")))]
    out["warnings"] = [w.replace("_", " ") for w in str(f.get("warning", "")).split("|") if w]
    out["problems"] = [w.replace("_", " ") for w in str(f.get("problem", "")).split("|") if w]
    return out


def _off(got: int, declared: int) -> str:
    if not declared:
        return "(the board declares none)"
    return "(declared %d, %+.0f %%)" % (declared, 100.0 * (got - declared) / declared)


def words_of(r: dict[str, Any], unit: str) -> list[str]:
    """The record in sentences, the declared figures beside it."""
    flow, dflow = r["pump_free_flow_ml_min"], r["declared_flow_ml_min"]
    vmax, dvmax = r["pump_max_vacuum_pa"], r["declared_max_vacuum_pa"]
    how = ("it stalled at %s, below the device's limit" % userunit.show(r["top_pa"], unit) if r["stalled"] else
           "extrapolated from the curve measured up to %s (90 %% of the device's ceiling)" % userunit.show(r["top_pa"], unit))
    lines = [
        "sensor: zero %s, noise %s (vent open)" % (userunit.show(r["zero_pa"], unit), userunit.show(r["noise_pa"], unit)),
        "pump: free flow %d mL/min %s" % (flow, _off(flow, dflow)),
        "      maximum vacuum %s (declared %s%s): %s" % (
            userunit.show(vmax, unit), userunit.show(dvmax, unit) if dvmax else "none",
            ", %+.0f %%" % (100.0 * (vmax - dvmax) / dvmax) if dvmax else "", how),
        "vent: shut below %.0f %% duty, fully open from %.0f %% duty (valve delay %d ms)" % (
            r["vent_dead_pm"] / 10, r["vent_full_pm"] / 10, r["vent_lag_ms"]),
        ("      fully open it lets in %d mL/min at %s (flow ~ vacuum^%.2f)" % (
            r["vent_flow_ml_min"], userunit.show(10_000, unit), r["vent_exp_pm"] / 1000) if r.get("vent_flow_ml_min")
         else "      its flow was not measured: the leak estimate will not subtract it"),
        "loop: dead time %d ms (pump command to the sensor's first response)" % r["dead_time_ms"],
        "chamber: %d mL, its own leak %d mL/min" % (r["volume_ml"], r["chamber_leak_ml_min"]),
    ]
    for w in r["warnings"]:
        lines.append("warning: " + w)
    for p in r["problems"]:
        lines.append("not plausible: " + p)
    return lines


def plot(r: dict[str, Any], path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4))
    pts = r["pump_curve"]
    a.plot([p["vacuum_pa"] / 1000 for p in pts], [p["flow_ml_min"] for p in pts], "o", label="measured")
    fl, vm = r["pump_free_flow_ml_min"], r["pump_max_vacuum_pa"]
    a.plot([0, vm / 1000], [fl, 0], "-", label="record: %d mL/min, %.1f kPa" % (fl, vm / 1000))
    dfl, dvm = r["declared_flow_ml_min"], r["declared_max_vacuum_pa"]
    if dfl and dvm:
        a.plot([0, dvm / 1000], [dfl, 0], "--", label="declared: %d mL/min, %.1f kPa" % (dfl, dvm / 1000))
    a.set_xlabel("vacuum (kPa)")
    a.set_ylabel("pump flow at the inlet (mL/min)")
    a.set_title("pump curve (%d mL chamber)" % r["volume_ml"])
    a.legend()
    vc = r["vent_curve"]
    b.plot([p["duty"] for p in vc], [p["opening"] for p in vc], "o", label="measured")
    d, f = r["vent_dead_pm"] / 1000, r["vent_full_pm"] / 1000
    b.plot([0, d, f, 1], [0, 0, 1, 1], "-", label="record: shut below %.2f, open from %.2f" % (d, f))
    b.set_xlabel("vent duty")
    b.set_ylabel("opening (flow / full-duty flow)")
    b.set_title("vent valve")
    b.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def _wait(link: DeviceLink, ctrl_c: CtrlC) -> str | None:
    """The commission_done/aborted event's text; None after Ctrl-C."""
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        if ctrl_c.is_set():
            link.request("commission abort")
            return None
        msg = link.next_message(0.25)
        if msg is None:
            continue
        if msg.kind == "boot":
            raise DeviceReset("the device rebooted during commissioning (%s)" % msg.text)
        if msg.kind in ("event", "alarm") and ("commission_done" in msg.text or "commission_aborted" in msg.text):
            return msg.text
    link.request("commission abort")
    raise UserError("no result from the device within %d s; commissioning aborted (pump off, vent open)" % WAIT_S)


def cmd_commission(args: argparse.Namespace) -> int:
    vol = volume_token(args.volume)
    unit = getattr(args, "unit", userunit.DEFAULT)
    speed = getattr(args, "speed", None) or "max"
    level = _gauge_level(args)
    with tempfile.TemporaryDirectory() as tmp:
        # The simulated bench's reference gauge reads the chamber's true
        # vacuum (the scenario's ground truth), as a gauge on a real bottle
        # would: the host reads it, the firmware never sees it.
        truth = os.path.join(tmp, "truth.csv") if level and args.gauge_reading is None and _own_sim(args.port) else None
        link = DeviceLink.open(args.port, speed=speed, truth_csv=truth)
        try:
            rc, r = _run(args, link, vol, unit)
            if rc == 0 and level:
                rc = _span(args, link, level, unit, truth, r)
            if args.json and r:
                print(json.dumps(r, indent=2))
            return rc
        finally:
            link.close()


def _own_sim(port: str) -> bool:
    return port == "sim" or port.startswith("sim:")


def _gauge_level(args: argparse.Namespace) -> int:
    if args.gauge is None:
        if args.gauge_reading is not None:
            raise UserError("--gauge-reading needs --gauge LEVEL (the hold at which the gauge is read)")
        return 0
    try:
        pa = int(round(units.parse_pressure(args.gauge)))
        if args.gauge_reading is not None:
            units.parse_pressure(args.gauge_reading)
    except units.UnitError as e:
        raise UserError(str(e)) from None
    if not GAUGE_MIN_PA <= pa <= GAUGE_MAX_PA:
        raise UserError("--gauge %s: the span point must be %d..%d kPa (nearer ambient the gauge's own error grows; "
                        "deeper than the device allows a session)" % (args.gauge, GAUGE_MIN_PA // 1000, GAUGE_MAX_PA // 1000))
    return pa


def _true_vacuum_pa(truth: str, span_ms: int = 1000) -> float:
    """The simulated chamber's true vacuum averaged over the last span_ms."""
    with open(truth, newline="") as f:
        rows = [r for r in csv.DictReader(f) if r.get("event") is not None]
    end = int(rows[-1]["t_ms"])
    vals = [float(r["true_vacuum_pa"]) for r in rows if int(r["t_ms"]) > end - span_ms]
    return sum(vals) / len(vals)


def _span(args: argparse.Namespace, link: DeviceLink, level: int, unit: str, truth: str | None, record: dict[str, Any]) -> int:
    """The sensor's span against a reference gauge: hold the chamber at
    level, read the gauge, stage the gain the device computes, commit it when
    the technician accepts (docs/commissioning.md, "Sensor gain against a
    reference gauge")."""
    say = (lambda *a: print(*a, file=sys.stderr)) if args.json else print
    record["cal_gain_before"] = int(parse_fields(link.request("config get cal_gain"))["value"])
    link.request("start continuous target=%dPa duration=10min" % level)
    try:
        deadline = time.monotonic() + SETTLE_WAIT_S
        while True:
            f = parse_fields(link.request("commission gauge"))
            if f.get("settled") == 1:
                break
            if time.monotonic() > deadline:
                raise UserError("the chamber did not settle at %s within %d s: check for a leak, then run again" % (
                    userunit.show(level, unit), SETTLE_WAIT_S))
            time.sleep(0.25)  # polling the device, not a test delay
        held = int(f["vacuum_pa"])
        if args.gauge_reading is not None:
            reading = args.gauge_reading
        elif truth is not None:
            reading = "%dPa" % round(_true_vacuum_pa(truth))
            say("simulated reference gauge (the chamber's true vacuum): %s" % userunit.show(float(reading[:-2]), unit))
        else:
            if not sys.stdin.isatty():
                raise UserError("no gauge reading: run on a terminal or pass --gauge-reading VALUE")
            reading = input("The chamber holds at %s by the device's sensor. Read the reference gauge now and type its "
                            "reading with its unit (e.g. 40.2kPa, 301mmHg): " % userunit.show(held, unit)).strip()
        reply = link.request("commission gauge %s" % reading)
    finally:
        link.request("stop")
    gain = int(parse_fields(reply)["cal_gain"])
    say("sensor gain %d ppm staged: the sensor read %s where the gauge read %s (a correction of %+.2f %%)" % (
        gain, userunit.show(held, unit), userunit.show(units.parse_pressure(reading), unit), (gain - 1_000_000) / 1e4))
    record.update({"gauge_level_pa": level, "gauge_reading": reading, "gauge_sensor_pa": held, "cal_gain": gain})
    _wait_idle(link)
    ok = args.yes or ask_yes("commit this sensor gain? [y/N] ", " (the gain stays staged on the device; 'config revert' drops it)")
    if not ok:
        link.request("config revert")
        say("reverted; the sensor keeps its present gain")
        return 1
    say("committed to flash and applied (audited): %s" % link.request("config commit").replace("committed ", "", 1))
    if abs(gain - int(record.get("cal_gain_before", 1_000_000))) > 10_000:
        say("the gain changed by more than 1 %: run 'vacuumctl commission' once more (without --gauge) so that the pump "
            "and vent figures are measured with the corrected sensor")
    return 0


def _wait_idle(link: DeviceLink) -> None:
    """After 'stop': the release to ambient ends before flash is written."""
    deadline = time.monotonic() + SETTLE_WAIT_S
    while parse_fields(link.request("status")).get("state") != "idle":
        if time.monotonic() > deadline:
            raise UserError("the device did not return to idle within %d s after 'stop'" % SETTLE_WAIT_S)
        time.sleep(0.25)  # polling the device


def _run(args: argparse.Namespace, link: DeviceLink, vol: str, unit: str) -> tuple[int, dict[str, Any]]:
    say = (lambda *a: print(*a, file=sys.stderr)) if args.json else print
    with CtrlC() as ctrl_c:
        f = parse_fields(link.request("commission start volume=" + vol))
        say("commissioning on a %d mL rigid chamber: sensor zero, pump pull-down to at most %s, vent releases "
            "(about a minute; Ctrl-C stops it: pump off, vent open)" % (int(f.get("volume_ml", 0)), userunit.show(int(f.get("top_pa", 0)), unit)))
        text = _wait(link, ctrl_c)
    if text is None:
        say("commissioning stopped by Ctrl-C: nothing staged; pump off, vent open")
        return 130, {}
    if "commission_aborted" in text:
        ev = parse_fields(text)
        say("commissioning aborted (%s, in the %s stage, at %s): nothing staged; pump off, vent open" % (
            str(ev.get("reason", "?")).replace("_", " "), ev.get("stage", "?"), userunit.show(int(ev.get("vacuum_pa", 0)), unit)))
        return 3, {}
    r = record(link.request("commission result"))
    if args.plot:
        plot(r, args.plot)
    if not args.json:
        for line in words_of(r, unit):
            print(line)
        if args.plot:
            print("plot: %s" % args.plot)
    if r["problems"]:
        say("not committed: the result is not plausible (see above); it stays staged until 'commission discard'")
        return 4, r
    ok = args.yes or ask_yes("commit this record to the device's configuration? [y/N] ",
                                  " (the result stays staged on the device)")
    if not ok:
        link.request("commission discard")
        say("discarded; the device keeps its present figures")
        return 1, r
    reply = link.request("commission commit")
    say("committed to flash and applied (audited): %s" % reply.replace("committed ", "", 1))
    return 0, r


def register(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    s = add_command(sub, "commission", description="Runs the device's commissioning on a rigid chamber of known volume on the port "
                                "(a bottle, the NPWT canister): sensor zero and noise, the pump's curve, free flow "
                                "and maximum vacuum, the vent's dead zone and full opening, the loop's dead time. "
                                "Shows them beside the board's declared figures and commits them to the device's "
                                "configuration when you accept.",
                    examples="""examples:
  vacuumctl --port /dev/ttyACM0 commission --volume 500mL   # a 500 mL bottle on the port; asks before committing
  vacuumctl --port sim:bench_bottle commission --volume 100mL --yes --plot curves.png
  vacuumctl --port /dev/ttyACM0 commission --json --yes     # the record as JSON (sentences on stderr)
  vacuumctl --port /dev/ttyACM0 commission --gauge 40kPa     # then the sensor's gain against your reference gauge
Ctrl-C stops it: pump off, vent open, nothing staged. details: docs/commissioning.md
exit status: 0 committed; 1 declined (discarded) or an error; 3 the device aborted it (the reason is printed);
4 the result is not plausible (left staged until 'commission discard'); 130 Ctrl-C""")
    s.add_argument("--volume", default="100mL", help="the chamber's volume, e.g. 100mL, 0.5L (20 mL..2 L; default 100mL)")
    s.add_argument("--yes", action="store_true", help="commit without asking (scripts, CI)")
    s.add_argument("--json", action="store_true", help="print the record as JSON (sentences go to stderr)")
    s.add_argument("--plot", metavar="FILE.png", help="draw the measured pump and vent curves beside the declared ones")
    s.add_argument("--gauge", metavar="LEVEL", help="after the record is committed, hold the chamber at LEVEL (10..60 kPa, "
                   "e.g. 40kPa) and calibrate the sensor's gain against a reference gauge on the chamber")
    s.add_argument("--gauge-reading", metavar="VALUE", help="the reference gauge's reading at that hold (scripts); "
                   "without it you are asked, and a simulated board's gauge reads the chamber's true vacuum")
    s.set_defaults(func=cmd_commission)
    userunit.add_argument(s)
