"""``vacuumctl monitor``: watch the device's telemetry live (a line, a CSV,
a plot window or file) until Ctrl-C; the session belongs to the device."""
from __future__ import annotations

import argparse
import csv
import sys
from typing import Any

from . import userunit, words
from .cmdline import add_command, open_link, speed_arg
from .errors import UserError
from .interrupt import CtrlC
from .link import DeviceLink
from .liveview import LiveView
from .recording import Recording
from .telemetry import CSV_COLUMNS, parse_fields


def register(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    s = add_command(sub, "monitor", examples="""examples:
  vacuumctl --port /dev/ttyACM0 monitor --csv bench.csv
  vacuumctl --port sim monitor --rate 20
  vacuumctl --port /dev/ttyACM0 monitor --plot --unit mmHg        # a live plot window (needs a display)
  vacuumctl --port /dev/ttyACM0 monitor --plot-file last_minute.png  # saved when the monitor ends
Ctrl-C ends the monitor only: a session the device runs keeps running ('vacuumctl stop' ends it).
exit status: 0; 1 if the port vanished""")
    s.add_argument("--csv", help="record telemetry to this CSV file")
    s.add_argument("--rate", default="10", help="telemetry rate in Hz (default 10)")
    s.add_argument("--speed", type=speed_arg, help="simulated board only: speed (default 1 = real time)")
    s.add_argument("--plot", action="store_true", help="a live plot window of the last --window seconds "
                                                       "(needs a display; without one the monitor says so and goes on)")
    s.add_argument("--plot-file", metavar="PNG", help="at exit, save the last --window seconds as a PNG (no display needed)")
    s.add_argument("--window", type=float, default=60.0, help="seconds of device time the plot shows (default 60)")
    userunit.add_argument(s)
    s.set_defaults(func=cmd_monitor)


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
        with open_link(args) as link:
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
    # inside the link's queue or lock code and wedge the exit. Watching
    # waits for the device as long as it takes and shows a reboot's banner.
    with CtrlC() as ctrl_c:
        rec = Recording(link, ctrl_c, writer=writer, silence_s=None, reboot_during=None,
                        wait_s=0.05 if window is not None else 0.2)
        for msg in rec.messages():
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
                if trace is not None:
                    trace.add(msg.fields)
            else:
                view.seen(msg)
                view.note(words.message(msg, args.unit))
        view.end()  # Ctrl-C ended the recording (a no-op after the window's note)
    try:
        link.request("tel off")
    except (UserError, TimeoutError):
        pass
    if state in ("run", "pause"):
        # Monitoring is watching: the session belongs to the device.
        print("vacuumctl: monitor stopped; the session on the device keeps running "
              "('vacuumctl stop' ends it)", file=sys.stderr)
