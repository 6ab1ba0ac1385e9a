"""``vacuumctl``: the technician's command-line tool.

Every command takes ``--port PORT``: a serial device path, or ``sim`` /
``sim:SCENARIO`` to start the simulated board behind a pseudo-terminal.
"""
from __future__ import annotations

import argparse
import csv
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable, TextIO

from . import __doc__ as _pkg_doc  # noqa: F401
from . import tune, units, userunit, words
from .errors import DeviceError, DeviceReset, UserError
from .interrupt import CtrlC
from .link import DeviceLink
from .paths import repo_root
from .simboards import is_named_sim
from .simport import is_sim_port, scenario_arg
from .telemetry import CSV_COLUMNS, LASER_CSV_COLUMNS, Message, parse_fields

from .version import TOOL_VERSION as VERSION


# ---- argument helpers ------------------------------------------------------
def _duration_s(text: str) -> float:
    """--duration takes seconds (``20``) or a duration with unit (``5min``)."""
    try:
        return float(text) if text.replace(".", "", 1).isdigit() else units.parse_duration(text)
    except units.UnitError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def _speed(text: str) -> str:
    if text == "max":
        return text
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError("speed is a number of simulated seconds per wall second, or 'max'") from None
    if not 0.01 <= v <= 10000:
        raise argparse.ArgumentTypeError("speed must be between 0.01 and 10000")
    return text


def _program_params(extra: list[str]) -> list[str]:
    """Turn ``--target 30kPa --ramp 2s`` into device ``key=value`` tokens;
    units are checked here so a typo is reported before anything starts."""
    out: list[str] = []
    i = 0
    while i < len(extra):
        flag = extra[i]
        if not flag.startswith("--") or len(flag) < 3:
            raise UserError("unexpected argument '%s': program parameters are given as --name VALUE" % flag)
        key, eq, value = flag[2:].partition("=")
        if not eq:
            if i + 1 >= len(extra):
                raise UserError("--%s needs a value" % key)
            value = extra[i + 1]
            i += 1
        i += 1
        key = key.replace("-", "_")
        if key in ("ramp", "prove", "laser_time"):
            value = "%dms" % units.to_device_ms(value if not _is_number(value) else value + "s")
        elif key in ("target", "floor", "depth", "contact"):
            value = "%dPa" % units.to_device_pa(value)
        elif key in ("speed", "power"):
            value = "%d%%" % units.to_device_percent(value if not _is_number(value) else value + "%")
        out.append("%s=%s" % (key, value))
    return out


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


# ---- output ------------------------------------------------------------------
# The live line lives in liveview.py; these names stay importable from here.
from .liveview import LiveView, Progress, progress_bar  # noqa: E402,F401


def _open(args: argparse.Namespace, truth_csv: str | None = None) -> DeviceLink:
    speed = getattr(args, "speed", None) or "max"
    if is_named_sim(args.port) and getattr(args, "speed", None) not in (None, "max", "1"):
        raise UserError("%s runs at the speed it was started with ('vacuumctl sim --detach --speed X'); --speed "
                        "applies to a board started for this command (--port sim)" % args.port)
    if not is_sim_port(args.port) and not is_named_sim(args.port) and getattr(args, "speed", None) not in (None, "max"):
        raise UserError("--speed applies only to a simulated board (--port sim)")
    return DeviceLink.open(args.port, speed=speed, truth_csv=truth_csv)


# ---- commands ------------------------------------------------------------------
def cmd_version(args: argparse.Namespace) -> int:
    from .version import PROTOCOL_MAJOR, describe

    print("vacuumctl %s (protocol %d)" % (VERSION, PROTOCOL_MAJOR))
    if not args.port:
        from .ports import auto_port

        try:
            args.port = auto_port()
        except UserError as e:
            print("no device: %s" % e)
    if args.port:
        with _open(args) as link:  # refuses another protocol major with a sentence
            for line in describe(parse_fields(link.request("version"))):
                print(line)
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    with _open(args) as link:
        reply = link.request("status")
    if args.raw:
        print(reply)
        return 0
    if args.json:
        import json

        print(json.dumps(parse_fields(reply)))
        return 0
    for line in words.status_table(parse_fields(reply), args.unit):
        print(line)
    return 0


def cmd_stop(args: argparse.Namespace) -> int:
    """End the device's session: it vents to ambient (the device's own stop)."""
    with _open(args) as link:
        print(words.stopped(link.request("stop")))
    return 0


def cmd_sim(args: argparse.Namespace) -> int:
    from . import simboards

    if args.list:
        return _sim_list(args)
    if args.stop:
        print(simboards.stop(args.stop))
        return 0
    if args.detach:
        b = simboards.detach(args.scenario or "default", args.name, args.speed or "1", args.truth_csv, args.flash, args.cpu)
        pace = "real time" if float(b.speed if b.speed != "max" else 0) == 1 else (
            "as fast as it can" if b.speed == "max" else "%sx real time" % b.speed)
        print("simulated board '%s' runs in the background: scenario %s, board %s, %s, pty %s" % (
            b.name, Path(b.scenario).name, b.board, pace, b.port))
        print("use it with:   vacuumctl --port %s status" % b.spec)
        print("end it with:   vacuumctl sim --stop %s" % b.name)
        return 0
    if args.name:
        raise UserError("--name names a board started with --detach")
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "boards" / "sim"))
    import launcher  # type: ignore[import-not-found]

    argv = [scenario_arg(args.scenario or "default"), "--speed", args.speed or "1"]
    if args.truth_csv:
        argv += ["--truth-csv", args.truth_csv]
    if args.flash:
        argv += ["--flash", args.flash]
    if args.cpu:
        argv += ["--cpu", args.cpu]
    return int(launcher.main(argv) or 0)


def _sim_list(args: argparse.Namespace) -> int:
    import json

    from . import simboards

    live, stale = simboards.boards()
    for name in stale:
        print("vacuumctl: removed the stale entry '%s' (its board had ended without removing it)" % name,
              file=sys.stderr)
    if args.json:
        print(json.dumps([dict(vars(b), spec=b.spec) for b in live], indent=1))
        return 0
    if not live:
        print("no simulated board is running in the background ('vacuumctl sim --detach' starts one)")
        return 0
    rows = [("name", "port", "scenario", "board", "speed", "running for", "pty")]
    for b in live:
        rows.append((b.name, b.spec, Path(b.scenario).name, b.board, b.speed,
                     words.duration(int((time.time() - b.started) * 1000)), b.port))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
    return 0


class DotAdvance:
    """Dotted programs in ``run``: after each dot the device waits for the
    operator to move the cup; Enter (a line on standard input) or, with
    --advance-after, that much device time sends ``next``."""

    def __init__(self, view: LiveView, after_ms: int | None):
        self.view = view
        self.after_ms = after_ms
        self.lines: "queue.Queue[str]" = queue.Queue()
        self.reader: threading.Thread | None = None
        self.stdin_closed = threading.Event()
        self.waiting_since: int | None = None  # device time of the dot_done event
        self._said_closed = False

    def _read_stdin(self) -> None:
        try:
            for line in sys.stdin:
                self.lines.put(line)
        except (OSError, ValueError):
            pass
        self.stdin_closed.set()

    def dot_done(self, msg: Message, t_ms: int, unit: str) -> None:
        self.waiting_since = t_ms
        how = ("the next dot starts in %s (or press Enter)" % words.duration(self.after_ms) if self.after_ms is not None
               else "then press Enter for the next dot")
        self.view.note("dot %s done (vacuum now %s): move the cup, %s" % (
            msg.fields.get("dots", "?"), words.pressure(msg.fields.get("vacuum_pa"), unit), how))
        if self.reader is None and sys.stdin is not None:
            self.reader = threading.Thread(target=self._read_stdin, daemon=True)
            self.reader.start()

    def poll(self, link: DeviceLink, t_ms: int) -> None:
        """Called with each telemetry line: advances when it is time."""
        if self.waiting_since is None:
            return
        go = False
        try:
            self.lines.get_nowait()
            go = True
        except queue.Empty:
            pass
        if self.after_ms is not None and t_ms - self.waiting_since >= self.after_ms:
            go = True
        if not go:
            if self.stdin_closed.is_set() and self.after_ms is None and not self._said_closed:
                self._said_closed = True
                self.view.note("standard input is closed, so Enter cannot start the next dot: the session waits "
                               "until its time is up or Ctrl-C ('--advance-after 5s' advances by itself)")
            return
        self.waiting_since = None
        try:
            link.request("next")
            self.view.note("next dot")
        except DeviceError as e:
            self.view.note("'next' was refused: %s" % e.message)


def cmd_run(args: argparse.Namespace, extra: list[str]) -> int:
    params = _program_params(extra)
    duration_ms = int(round(args.duration * 1000))
    if args.truth_csv and not (is_sim_port(args.port) or is_named_sim(args.port)):
        raise UserError("--truth-csv needs a simulated board (--port sim)")
    view = LiveView(every_ms=args.show_every_ms, unit=args.unit)
    if args.plot and not args.csv:
        args.csv = str(Path(args.plot).with_suffix(".csv"))  # the data behind the picture
    for path in (args.csv, args.truth_csv):
        if path:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    csv_file = open(args.csv, "w", newline="") if args.csv else None
    writer = csv.writer(csv_file) if csv_file else None
    columns: tuple[str, ...] = CSV_COLUMNS
    link = _open(args, truth_csv=args.truth_csv)
    stopped_by_user = False
    faulted = ""
    # Ctrl-C only sets a flag: the loop then stops the session at a point
    # where a request can be sent, wherever the signal landed (even mid-start).
    interrupted = threading.Event()
    previous_handler = signal.signal(signal.SIGINT, lambda *_: interrupted.set())
    try:
        st = parse_fields(link.request("status"))
        if "laser" in st:  # a laser applicator board: its telemetry has these too
            columns = CSV_COLUMNS + LASER_CSV_COLUMNS
        if writer:
            writer.writerow(columns)
        if st.get("alarms") != "none":
            raise UserError("the device is in alarm (%s): see 'vacuumctl alarms', fix the cause, then clear it" % st.get("alarms"))
        if st.get("state") not in ("idle",):
            raise UserError("the device is busy (state %s): 'vacuumctl stop' first" % st.get("state"))
        link.request("tel on %sHz" % args.rate)
        if interrupted.is_set():
            raise KeyboardInterrupt
        reply = link.start("start %s %s duration=%dms" % (args.program, " ".join(params), duration_ms))
        view.note(words.started(reply, args.unit))
        ended = False
        end_seen_at: int | None = None
        dots = DotAdvance(view, None if args.advance_after is None else int(args.advance_after * 1000))
        silent_since = time.monotonic()
        while True:
            if interrupted.is_set() and not stopped_by_user:
                stopped_by_user = True
                view.note("Ctrl-C: stopping the session and venting")
                view.note(words.stopped(link.request("stop")))
            msg = link.next_message(0.25)
            if msg is None:
                if time.monotonic() - silent_since > 30:
                    raise UserError("telemetry stopped arriving for 30 s: is the device still connected?")
                continue
            silent_since = time.monotonic()
            if msg.kind == "tel":
                if writer:
                    writer.writerow([msg.fields.get(c, "") for c in columns])
                view.show(msg.fields, duration_ms)
                if not stopped_by_user:
                    dots.poll(link, int(msg.fields.get("t_ms", 0)))
                if ended and msg.fields.get("state") == "idle":
                    t = int(msg.fields.get("t_ms", 0))
                    end_seen_at = t if end_seen_at is None else end_seen_at
                    if t - end_seen_at >= args.tail_ms:
                        break
                if msg.fields.get("state") == "fault":
                    # The device has already gone safe; record it venting, then leave.
                    faulted = str(msg.fields.get("alarms"))
                    t = int(msg.fields.get("t_ms", 0))
                    end_seen_at = t if end_seen_at is None else end_seen_at
                    if t - end_seen_at >= args.tail_ms:
                        break
            elif msg.kind == "boot":
                raise DeviceReset("the device rebooted during the session (%s)" % msg.text)
            elif msg.kind in ("alarm", "event"):
                view.seen(msg)
                if msg.kind == "event" and msg.text.split()[1:2] == ["dot_done"]:
                    dots.dot_done(msg, view.last_t_ms, args.unit)
                else:
                    view.note(words.message(msg, args.unit))
                if msg.kind == "event" and "session_end" in msg.text:
                    ended = True
        link.request("tel off")
        view.end()
        if faulted:
            view.note("the device went to its safe state (alarm: %s): pump off, vent open. Fix the cause, then "
                      "'vacuumctl alarms clear'" % faulted.replace(",", ", "))
    finally:
        signal.signal(signal.SIGINT, previous_handler)
        view.end()
        if csv_file:
            csv_file.close()
        link.close()
    if args.csv:
        print("telemetry written to %s" % args.csv)
    if args.truth_csv:
        print("ground truth written to %s" % args.truth_csv)
    if args.plot:
        from .plot import plot_csv

        plot_csv(args.csv, args.plot, unit=args.unit)
        print("plot written to %s" % args.plot)
    if faulted:
        return 3
    return 130 if stopped_by_user else 0


def cmd_monitor(args: argparse.Namespace) -> int:
    from . import liveplot

    view = LiveView(every_ms=0, unit=args.unit)
    trace = liveplot.Trace(args.window) if args.plot or args.plot_file else None
    window = None
    if args.plot and trace is not None:
        window, why = liveplot.open_window(trace, args.unit)
        if window is None:
            print("vacuumctl: no live plot window: %s; monitoring as text%s" % (
                why, "" if args.plot_file else " ('--plot-file PNG' saves the last window at exit)"), file=sys.stderr)
    csv_file = open(args.csv, "w", newline="") if args.csv else None
    writer = csv.writer(csv_file) if csv_file else None
    if writer:
        writer.writerow(CSV_COLUMNS)
    try:
        with _open(args) as link:
            _monitor_loop(args, link, view, writer, trace, window)
    finally:
        if csv_file:
            csv_file.close()
        if window is not None:
            window.close()
        if trace is not None and args.plot_file:
            if liveplot.save(trace, args.unit, args.plot_file):
                print("last %g s plotted to %s" % (args.window, args.plot_file))
            else:
                print("vacuumctl: no telemetry arrived: %s not written" % args.plot_file, file=sys.stderr)
    return 0


def _monitor_loop(args: argparse.Namespace, link: DeviceLink, view: LiveView, writer: Any, trace: Any,
                  window: Any) -> None:
    """Show (and record, and plot) telemetry until Ctrl-C or the plot window closes."""
    def session_total() -> int | None:
        st = parse_fields(link.request("status"))
        return (int(st.get("elapsed_ms", 0)) + int(st.get("remaining_ms", 0))) or None

    total = session_total()
    state = None
    link.request("tel on %sHz" % args.rate)
    # Ctrl-C as a flag (interrupt.py), not an exception that may land
    # inside the link's queue or lock code and wedge the exit.
    with CtrlC() as ctrl_c:
        while True:
            if ctrl_c.is_set():
                view.end()
                break
            msg = link.next_message(0.05 if window is not None else 0.2)
            if window is not None:
                window.refresh()
                if window.closed():
                    view.end()
                    view.note("plot window closed: monitor ends")
                    break
            if msg is None:
                continue
            if msg.kind == "tel":
                if msg.fields.get("state") != state:
                    state = msg.fields.get("state")
                    if state in ("run", "pause"):
                        total = session_total()  # a session started since
                view.show(msg.fields, total)
                if writer:
                    writer.writerow([msg.fields.get(c, "") for c in CSV_COLUMNS])
                if trace is not None:
                    trace.add(msg.fields)
            else:
                view.seen(msg)
                view.note(words.message(msg, args.unit))
    try:
        link.request("tel off")
    except (UserError, TimeoutError):
        pass
    if state in ("run", "pause"):
        # Monitoring is watching: the session belongs to the device.
        print("vacuumctl: monitor stopped; the session on the device keeps running "
              "('vacuumctl stop' ends it)", file=sys.stderr)


def cmd_programs(args: argparse.Namespace) -> int:
    from .programs import describe, parse_program

    with _open(args) as link:
        names = [args.name] if args.name else link.request("programs").split()
        for name in names:
            for line in describe(parse_program(link.request("programs " + name)), args.unit):
                print(line)
    return 0


def cmd_log(args: argparse.Namespace) -> int:
    """The device's therapy log (oldest first): a table for a person, CSV
    (--csv FILE, or --csv - for standard output) or JSON for scripts."""
    from .programs import LOG_COLUMNS, parse_log_row

    with _open(args) as link:
        head = parse_fields(link.request("log"))
        rows = [parse_log_row(link.request("log %d" % i)) for i in range(int(head.get("count", 0)))]
    unsaved = sum(r.get("stored") == "no" for r in rows)
    if args.csv:
        out = sys.stdout if args.csv == "-" else open(args.csv, "w", newline="")
        try:
            writer = csv.writer(out)
            writer.writerow(LOG_COLUMNS)
            for row in rows:
                writer.writerow([row.get(c, "") for c in LOG_COLUMNS])
        finally:
            if out is not sys.stdout:
                out.close()
        if out is not sys.stdout:
            print("%d therapy log records written to %s" % (len(rows), args.csv))
    elif args.json:
        import json

        print(json.dumps([{c: row.get(c, "") for c in LOG_COLUMNS} for row in rows], indent=1))
    elif not rows:
        print("the therapy log is empty")
    else:
        for line in words.table(words.log_rows(rows)):
            print(line)
        print("times are device uptime at the start (of that boot); 'vacuumctl log --csv FILE' keeps every field")
    if head.get("persistent") == "no":
        print("vacuumctl: note: this device keeps its log in RAM only; it is lost at reset", file=sys.stderr)
    elif unsaved:
        print("vacuumctl: note: %d session(s) could not be written to the device's flash (storage=%s); "
              "they are lost at reset" % (unsaved, head.get("storage", "?")), file=sys.stderr)
    return 0


def cmd_config(args: argparse.Namespace, extra: list[str]) -> int:
    from .config_cmd import run as run_config

    # A negative value (config set cal_offset -300Pa) looks like an option.
    for tok in extra:
        if len(tok) < 2 or tok[0] != "-" or not (tok[1].isdigit() or tok[1] == "."):
            raise UserError("unexpected argument '%s'" % tok)
    args.args = args.args + extra
    with _open(args) as link:
        return run_config(args, link)


def cmd_deploy(args: argparse.Namespace) -> int:
    """tools/deploy.py of the checkout the tool is installed from."""
    if is_sim_port(args.port):
        raise UserError("deploy needs the port of a running board: for the simulated board start "
                        "'vacuumctl sim --flash IMG' and pass the pty it prints as --port")
    if is_named_sim(args.port):
        from .simboards import port_of

        args.port = port_of(args.port)  # a background simulated board started with --flash IMG
    argv = [sys.executable, str(repo_root() / "tools" / "deploy.py"), "--board", args.board, "--port", args.port]
    if args.no_build:
        argv.append("--no-build")
    r = subprocess.run(argv, capture_output=True, text=True)
    sys.stdout.write(r.stdout)
    if r.returncode != 0:
        raise UserError((r.stderr.strip() or "deploy failed").removeprefix("deploy: "))
    return 0


def cmd_console(args: argparse.Namespace) -> int:
    from .console import run_console

    with _open(args) as link:
        return run_console(link, args.unit)


# ---- parser ------------------------------------------------------------------
UNIT_COMMANDS = ("status", "run", "monitor", "config", "programs", "log", "console", "alarms")  # plot and tune step|auto add their own


def _printable(text: str) -> str:
    """Control characters a user's argument carried (a pasted newline, an
    escape) shown as escapes, so an error stays one readable line and
    cannot drive the terminal."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _show_arg(arg: str) -> str:
    return arg if arg and arg.isprintable() and " " not in arg else repr(arg)


class _Parser(argparse.ArgumentParser):
    """argparse with usage errors kept to one printable line (subcommand
    parsers inherit it)."""

    def error(self, message: str) -> Any:
        super().error(_printable(message))


def build_parser() -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = _Parser(prog="vacuumctl", description="Technician's tool for the open therapeutic vacuum device.")
    p.add_argument("--port", default=os.environ.get("VACUUM_PORT", ""),
                   help="serial port (e.g. /dev/ttyACM0), or sim / sim:SCENARIO for the simulated board")
    p.add_argument("--unit", type=userunit.unit_arg, default=userunit.default_unit(),
                   help="pressure unit of the output: kPa (default, or $VACUUM_UNIT), mmHg, Pa, inHg, cmH2O, "
                        "atm, hPa, mbar; also accepted after the command")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    s = sub.add_parser("version", help="versions of this tool and (with --port) the firmware")
    s.set_defaults(func=cmd_version)

    s = sub.add_parser("status", help="one status snapshot (pressures in --unit)")
    s.add_argument("--raw", action="store_true", help="the device's reply as it is (Pa, ms): for scripts")
    s.add_argument("--json", action="store_true", help="the device's fields as a JSON object (Pa, ms, duty 0..65535)")
    s.add_argument("--speed", type=_speed, help="simulated board only: speed (default max)")
    s.set_defaults(func=cmd_status)

    s = sub.add_parser("stop", help="end the session on the device: pump off, vent open")
    s.set_defaults(func=cmd_stop)

    s = sub.add_parser("sim", help="a simulated board: in the foreground, or in the background (--detach) for "
                                   "later commands (--port sim@NAME)",
                       description="Without --detach: a simulated board in the foreground for other programs to "
                                   "connect to; it prints 'port: /dev/pts/N' and runs until Ctrl-C. With --detach: "
                                   "it keeps running in the background and every later command reaches it with "
                                   "--port sim@NAME, as separate commands reach a real board on the bench (an "
                                   "unlock, a staged change or an autotune result stay). --list shows them, "
                                   "--stop NAME ends one.")
    s.add_argument("scenario", nargs="?", help="scenario name (boards/sim/scenarios) or JSON path")
    s.add_argument("--speed", type=_speed, default="1", help="simulated seconds per wall second, or max (default 1 = real time)")
    s.add_argument("--truth-csv", help="write the physics ground truth to this CSV")
    s.add_argument("--flash", help="the board's flash image (created blank if missing; kept across runs): deploy to it")
    s.add_argument("--detach", action="store_true", help="keep the board running in the background; prints its name")
    s.add_argument("--name", help="with --detach: the board's name (default: the scenario's), for --port sim@NAME")
    s.add_argument("--list", action="store_true", help="the simulated boards running in the background")
    s.add_argument("--stop", metavar="NAME", help="end a background board (a running session is stopped and vented first)")
    s.add_argument("--json", action="store_true", help="--list: as JSON, for scripts")
    s.add_argument("--cpu", choices=("host", "rp2040", "esp32"),
                   help="CPU model: the firmware's own work (tick, background, collections) takes the target's "
                        "time in device time; default the scenario's, else host (no time)")
    s.set_defaults(func=cmd_sim)

    s = sub.add_parser("run", help="run a program for a device-time duration and record telemetry",
                       description="Program parameters follow as --name VALUE, e.g. --target 30kPa --ramp 2s. "
                                   "Pressures need a unit: Pa kPa hPa mbar mmHg inHg atm cmH2O. "
                                   "Exit status: 0 session completed, 3 the device faulted (it is then "
                                   "in its safe state), 130 stopped by Ctrl-C.")
    s.add_argument("program", help="program name (see 'vacuumctl programs')")
    s.add_argument("--duration", type=_duration_s, required=True, help="session length in device seconds (or with unit: 5min)")
    s.add_argument("--csv", help="record telemetry to this CSV file")
    s.add_argument("--plot", metavar="PNG", help="draw the session to this PNG (keeps the CSV next to it unless --csv)")
    s.add_argument("--truth-csv", help="simulated board only: record the physics ground truth")
    s.add_argument("--speed", type=_speed, help="simulated board only: speed (default max)")
    s.add_argument("--rate", default="20", help="telemetry rate in Hz (default 20)")
    s.add_argument("--tail-ms", type=int, default=1000, help="keep recording this long after the release (default 1000)")
    s.add_argument("--show-every-ms", type=int, default=1000, help="live line interval when not on a terminal")
    s.add_argument("--advance-after", type=_duration_s, metavar="D",
                   help="dotted programs: start the next dot this long (device time) after each one, as if Enter "
                        "were pressed (default: wait for Enter)")
    s.set_defaults(func=cmd_run, takes_extra=True)

    s = sub.add_parser("monitor", help="live view until Ctrl-C")
    s.add_argument("--csv", help="record telemetry to this CSV file")
    s.add_argument("--rate", default="10", help="telemetry rate in Hz (default 10)")
    s.add_argument("--speed", type=_speed, help="simulated board only: speed (default 1 = real time)")
    s.add_argument("--plot", action="store_true", help="a live plot window of the last --window seconds "
                                                       "(needs a display; without one the monitor says so and goes on)")
    s.add_argument("--plot-file", metavar="PNG", help="at exit, save the last --window seconds as a PNG (no display needed)")
    s.add_argument("--window", type=float, default=60.0, help="seconds of device time the plot shows (default 60)")
    s.set_defaults(func=cmd_monitor)

    s = sub.add_parser("programs", help="programs and presets with their parameters, defaults and ranges")
    s.add_argument("name", nargs="?", help="one program or preset")
    s.set_defaults(func=cmd_programs)

    s = sub.add_parser("log", help="the device's therapy log: a table, or CSV / JSON for scripts")
    s.add_argument("--csv", metavar="FILE", help="write every field as CSV to FILE ('-': standard output)")
    s.add_argument("--json", action="store_true", help="every field as JSON on standard output")
    s.set_defaults(func=cmd_log)

    tune.add_parser(sub)

    s = sub.add_parser("deploy", help="build the firmware for a board and copy it with mpremote, verified by hash")
    s.add_argument("--board", required=True, help="board definition in boards/ (pico, pico2, esp32_devkitc)")
    s.add_argument("--no-build", action="store_true", help="deploy build/BOARD/ as it is")
    s.set_defaults(func=cmd_deploy)

    s = sub.add_parser("config", help="service parameters: show|get|set|diff|commit|revert|reset|audit|save FILE|load FILE",
                       description="set stages a change on the device (validated against its range); commit writes "
                                   "it to flash, reads it back, applies it and records it in the audit log. "
                                   "save/load move a whole configuration as a JSON file; load shows the changes "
                                   "and commits only after confirmation (or --yes).")
    s.add_argument("action", choices=("show", "get", "set", "diff", "commit", "revert", "reset", "audit", "save", "load"))
    s.add_argument("args", nargs="*", help="NAME [VALUE] for get/set, FILE for save/load, N for audit")
    s.add_argument("--yes", action="store_true", help="load: commit without asking")
    s.set_defaults(func=cmd_config, takes_extra=True)

    s = sub.add_parser("console", help="interactive console (history, completion, live alarms)")
    s.add_argument("--speed", type=_speed, help="simulated board only: speed (default 1 = real time)")
    s.set_defaults(func=cmd_console)

    from . import access_cmd, alarms_cmd, commission, helptext, plot, ports
    access_cmd.register(sub)
    commission.register(sub)
    plot.register(sub)
    ports.register(sub)
    alarms_cmd.register(sub)
    from . import ui
    ui.register(sub)
    for name in UNIT_COMMANDS:
        userunit.add_argument(sub.choices[name])
    helptext.add_examples(p, sub)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if not args.command:
        parser.print_help()
        return 2
    if extra and not getattr(args, "takes_extra", False):
        parser.error("unrecognized arguments: %s" % " ".join(_show_arg(a) for a in extra))
    if args.command in ("monitor", "console") and getattr(args, "speed", None) is None and is_sim_port(args.port or ""):
        args.speed = "1"
    if args.command not in ("sim", "version") and getattr(args, "needs_port", True) and not args.port:
        from .ports import auto_port

        try:
            args.port = auto_port()  # the one board running this firmware
        except UserError as e:
            hint = ""
            if args.command == "programs":
                hint = "\nvacuumctl: 'vacuumctl --port sim programs' shows the programs of the simulated board"
            print("vacuumctl: %s%s" % (e, hint), file=sys.stderr)
            return 2
    func: Callable[..., int] = args.func
    try:
        return func(args, extra) if getattr(args, "takes_extra", False) else func(args)
    except BrokenPipeError:  # output piped into head/less that exited: not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except (UserError, TimeoutError, units.UnitError) as e:
        print("vacuumctl: %s" % e, file=sys.stderr)
        return 1
    except DeviceError as e:  # pragma: no cover - DeviceError is a UserError
        print("vacuumctl: %s" % e, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nvacuumctl: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
