"""``vacuumctl run``: run a program for a device-time duration and record
its telemetry (live line, CSV, ground truth, plot); Enter advances a
dotted program."""
from __future__ import annotations

import argparse
import csv
import queue
import sys
import threading
from pathlib import Path
from typing import Any

from . import units, userunit, words
from .cmdline import add_command, duration_arg, open_link, speed_arg
from .errors import DeviceError, UserError
from .interrupt import CtrlC
from .link import DeviceLink
from .liveview import LiveView
from .recording import Recording
from .simboards import is_named_sim
from .simport import is_sim_port
from .telemetry import CSV_COLUMNS, LASER_CSV_COLUMNS, Message, parse_fields


def register(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    s = add_command(sub, "run", description="Program parameters follow as --name VALUE, e.g. --target 30kPa --ramp 2s. "
                                "Pressures need a unit: Pa kPa hPa mbar mmHg inHg atm cmH2O.",
                    examples="""examples:
  vacuumctl --port sim run continuous --target 30kPa --duration 20 --csv out.csv
  vacuumctl --port sim run continuous --target 225mmHg --ramp 2s --duration 1min --plot run.png
  vacuumctl --port /dev/ttyACM0 run intermittent --target 125mmHg --on 5min --off 2min --duration 1h
  vacuumctl --port /dev/ttyACM0 run face_dotted --duration 10min       # Enter starts each next dot
  vacuumctl --port /dev/ttyACM0 run face_dotted --duration 10min --advance-after 5s
Ctrl-C stops the session: the device vents to ambient, then the tool exits.
exit status: 0 session completed, 1 refused (message says why), 3 the device faulted (it is then in
its safe state), 130 stopped by Ctrl-C""")
    s.add_argument("program", help="program name (see 'vacuumctl programs')")
    s.add_argument("--duration", type=duration_arg, required=True, help="session length in device seconds (or with unit: 5min)")
    s.add_argument("--csv", help="record telemetry to this CSV file")
    s.add_argument("--plot", metavar="PNG", help="draw the session to this PNG (keeps the CSV next to it unless --csv)")
    s.add_argument("--truth-csv", help="simulated board only: record the physics ground truth")
    s.add_argument("--speed", type=speed_arg, help="simulated board only: speed (default max)")
    s.add_argument("--rate", default="20", help="telemetry rate in Hz (default 20)")
    s.add_argument("--tail-ms", type=int, default=1000, help="keep recording this long after the release (default 1000)")
    s.add_argument("--show-every-ms", type=int, default=1000, help="live line interval when not on a terminal")
    s.add_argument("--advance-after", type=duration_arg, metavar="D",
                   help="dotted programs: start the next dot this long (device time) after each one, as if Enter "
                        "were pressed (default: wait for Enter)")
    userunit.add_argument(s)
    s.set_defaults(func=cmd_run, takes_extra=True)


def program_params(extra: list[str]) -> list[str]:
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
    params = program_params(extra)
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
    link = open_link(args, truth_csv=args.truth_csv)
    stopped_by_user = False
    faulted = ""
    try:
        # Ctrl-C only sets a flag: the recording then stops the session at a
        # point where a request can be sent, wherever the signal landed (even mid-start).
        with CtrlC() as ctrl_c:
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
            ctrl_c.before_start()
            reply = link.start("start %s %s duration=%dms" % (args.program, " ".join(params), duration_ms))
            view.note(words.started(reply, args.unit))
            stopped_by_user, faulted = _record(args, link, ctrl_c, view, writer, columns, duration_ms)
            link.request("tel off")
            view.end()
            if faulted:
                view.note("the device went to its safe state (alarm: %s): pump off, vent open. Fix the cause, then "
                          "'vacuumctl alarms clear'" % faulted.replace(",", ", "))
    finally:
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


def _record(args: argparse.Namespace, link: DeviceLink, ctrl_c: CtrlC, view: LiveView, writer: Any,
            columns: tuple[str, ...], duration_ms: int) -> tuple[bool, str]:
    """The running session until it has ended and --tail-ms more of it is
    recorded -> (stopped by Ctrl-C, the alarms if the device faulted)."""
    def stop() -> None:
        view.note("Ctrl-C: stopping the session and venting")
        view.note(words.stopped(link.request("stop")))

    rec = Recording(link, ctrl_c, writer=writer, columns=columns, on_ctrl_c=stop)
    dots = DotAdvance(view, None if args.advance_after is None else int(args.advance_after * 1000))
    faulted = ""
    ended = False
    end_seen_at: int | None = None
    for msg in rec.messages():
        if msg is None:
            continue
        if msg.kind == "tel":
            view.show(msg.fields, duration_ms)
            if not rec.stopping:
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
        elif msg.kind in ("alarm", "event"):
            view.seen(msg)
            if msg.kind == "event" and msg.text.split()[1:2] == ["dot_done"]:
                dots.dot_done(msg, view.last_t_ms, args.unit)
            else:
                view.note(words.message(msg, args.unit))
            if msg.kind == "event" and "session_end" in msg.text:
                ended = True
    return rec.stopping, faulted
