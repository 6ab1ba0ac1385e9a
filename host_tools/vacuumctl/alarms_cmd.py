"""``vacuumctl alarms``: the device's alarms (docs/safety.md, docs/protocol.md).

``list`` (default) shows the active alarms with priority, latching and
acknowledgement; ``ack`` acknowledges them (their sound stops, they stay);
``silence [DUR]`` pauses the sound for up to 2 min; ``clear`` clears latched
alarms (logged on the device); ``log`` prints the alarm log of this boot
(RAM) or, with ``--flash``, the one kept on flash across resets, as a table
or ``--csv``. Priorities are coloured on a terminal (high red, medium yellow,
low cyan) and plain otherwise."""
from __future__ import annotations

import argparse
import csv
import sys
from typing import TextIO

from . import units, userunit, words
from .cmdline import add_command
from .errors import UserError
from .link import DeviceLink

COLOURS = {"high": "\x1b[1;31m", "medium": "\x1b[1;33m", "low": "\x1b[36m", "raise": "\x1b[1m"}
RESET = "\x1b[0m"
LOG_COLUMNS = ("boot", "t_ms", "action", "alarm", "value")
RAM_LOG_MAX = 32  # records the device keeps in RAM (alarms log N: 1..32)
FLASH_LOG_MAX = 100  # records flashlog returns at most


def paint(text: str, priority: str, colour: bool) -> str:
    """text in its priority's colour when colour is on (a terminal)."""
    c = COLOURS.get(priority)
    return "%s%s%s" % (c, text, RESET) if colour and c else text


def parse_active(reply: str) -> tuple[int, list[dict[str, str]]]:
    """``active=1 silence_ms=0 leak=medium,latched,unacked,stops`` ->
    (silence_ms, [{name, priority, latching, ack, stops}])."""
    silence_ms = 0
    rows = []
    for word in reply.split():
        key, _, value = word.partition("=")
        if key == "silence_ms":
            silence_ms = int(value)
        elif key != "active" and value:
            parts = value.split(",")
            rows.append({"name": key, "priority": parts[0], "latching": parts[1] if len(parts) > 1 else "",
                         "ack": parts[2] if len(parts) > 2 else "", "stops": "stops" if "stops" in parts[3:] else ""})
    return silence_ms, rows


def parse_log(reply: str) -> list[dict[str, str]]:
    """Records of ``alarms log N`` (``log records=2 total=2: t_ms=5120 raise
    internal value=20012; ...``) or ``flashlog alarm N`` (``2 alarm records:
    ...``). On flash a boot starts uptime again from 0: each record gets the
    number of the boot it belongs to (0 = the oldest one shown), counted where
    the uptime goes back: the log has no boot counter, so two boots whose
    records share an uptime read as one."""
    _, sep, body = reply.partition(": ")
    if not sep or not body.strip():
        return []
    out = []
    boot = 0
    last_t = -1
    for rec in body.split("; "):
        words = rec.split()
        if len(words) < 3 or not words[0].startswith("t_ms="):
            continue
        t = int(words[0][5:])
        if t < last_t:
            boot += 1
        last_t = t
        value = words[3].partition("=")[2] if len(words) > 3 else ""
        out.append({"boot": str(boot), "t_ms": str(t), "action": words[1], "alarm": words[2], "value": value})
    return out


def show_active(reply: str, out: TextIO, colour: bool) -> None:
    silence_ms, rows = parse_active(reply)
    if not rows:
        print("no active alarms", file=out)
    for r in rows:
        line = "%-13s %-7s %-11s %-8s %s" % (r["name"], r["priority"], r["latching"], r["ack"],
                                             "stops therapy" if r["stops"] else "advisory")
        print(paint(line, r["priority"], colour), file=out)
    if silence_ms:
        print("sound paused for %d s more" % ((silence_ms + 999) // 1000), file=out)
    if any(r["latching"] == "latched" for r in rows):
        print("latched alarms stay until 'vacuumctl alarms clear' (after the cause is fixed)", file=out)


def silence_token(text: str | None) -> str:
    """The device's silence argument: a duration with unit; a bare number is seconds."""
    if text is None:
        return ""
    try:
        ms = units.to_device_ms(text if not text.replace(".", "", 1).isdigit() else text + "s")
    except units.UnitError as e:
        raise UserError("silence: %s (give a duration such as 60s or 2min)" % e) from None
    if not 1_000 <= ms <= 120_000:
        raise UserError("silence: %s is out of range: the sound can be paused for 1 s to 2 min" % text)
    return " %dms" % ms


def run(args: argparse.Namespace, link: DeviceLink, out: TextIO | None = None) -> int:
    out = out or sys.stdout  # looked up now: pytest and callers may swap sys.stdout
    colour = out.isatty() and not getattr(args, "csv", None)
    action = args.action
    if action == "list":
        show_active(link.request("alarms"), out, colour)
    elif action == "ack":
        names = link.request("ack").split(" ", 1)[1]
        print("nothing to acknowledge" if names == "none" else
              "acknowledged %s: the sound stops, the alarm stays until cleared" % names.replace(",", ", "), file=out)
    elif action == "silence":
        reply = link.request("silence" + silence_token(args.duration))
        ms = int(reply.split()[1].rstrip("ms"))
        print("alarm sound paused for %d s (a new alarm sounds again)" % (ms // 1000), file=out)
    elif action == "clear":
        reply = link.request("clear")
        print("no alarms to clear" if reply == "no alarms" else
              "cleared %s (logged on the device)" % reply.split(" ", 1)[1].replace(",", ", "), file=out)
    else:
        reply = link.request("flashlog alarm %d" % FLASH_LOG_MAX if args.flash else "alarms log %d" % RAM_LOG_MAX)
        write_log(parse_log(reply), args.csv, out, colour, args.flash, getattr(args, "unit", userunit.DEFAULT))
    return 0


def write_log(rows: list[dict[str, str]], csv_path: str | None, out: TextIO, colour: bool, flash: bool,
              unit: str = userunit.DEFAULT) -> None:
    if csv_path:
        with open(csv_path, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(LOG_COLUMNS)
            for r in rows:
                w.writerow([r[c] for c in LOG_COLUMNS])
        print("%d alarm log records written to %s" % (len(rows), csv_path), file=out)
        return
    if not rows:
        print("the alarm log %s is empty" % ("on flash" if flash else "of this boot"), file=out)
        return
    print(("%-5s " % "boot" if flash else "") + "%10s  %-8s %-13s %s" % ("uptime", "action", "alarm", "vacuum / for"), file=out)
    for r in rows:
        line = ("%-5s " % r["boot"] if flash else "") + "%10s  %-8s %-13s %s" % (
            words.uptime(r["t_ms"]), r["action"], r["alarm"], _value(r, unit))
        # Raise records in bold: the log does not carry priorities.
        print(paint(line, "raise", colour) if r["action"] == "raise" else line, file=out)


def _value(r: dict[str, str], unit: str) -> str:
    """A record's value in words: the vacuum when an alarm rose or ended,
    how long a silence lasts; nothing for ack and clear."""
    if r["action"] in ("raise", "end"):
        return words.pressure(r["value"], unit)
    if r["action"] == "silence":
        return words.duration(r["value"])
    return "-"


def register(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """Add ``vacuumctl alarms`` to the CLI's subcommands."""
    s = add_command(sub, "alarms", description="list (default): active alarms with priority, latching and acknowledgement. "
                                "ack: the sound stops, the alarms stay. silence [DUR]: pause the sound "
                                "(1 s..2 min, default 2 min). clear: clear latched alarms (logged). "
                                "log: this boot's alarm log; --flash: the log kept on flash across resets.",
                    examples="""examples:
  vacuumctl --port /dev/ttyACM0 alarms                 # active alarms: priority, latching, acknowledged
  vacuumctl --port /dev/ttyACM0 alarms ack             # the sound stops; the alarms stay
  vacuumctl --port /dev/ttyACM0 alarms silence 60s     # pause the sound (at most 2 min)
  vacuumctl --port /dev/ttyACM0 alarms clear           # after fixing the cause; logged on the device
  vacuumctl --port /dev/ttyACM0 alarms log --flash --csv alarms.csv   # the log kept across resets
Priorities are coloured on a terminal (high red, medium yellow, low cyan).
exit status: 0 ok; 1 the device refused (the reason is printed)""")
    s.add_argument("action", nargs="?", default="list", choices=("list", "ack", "silence", "clear", "log"))
    s.add_argument("duration", nargs="?", help="silence: how long, e.g. 60s or 2min (default 2min)")
    s.add_argument("--flash", action="store_true", help="log: the alarm log on flash (survives resets)")
    s.add_argument("--csv", help="log: write CSV to this file")
    userunit.add_argument(s)
    s.set_defaults(func=cmd_alarms)


def cmd_alarms(args: argparse.Namespace) -> int:
    if args.duration is not None and args.action != "silence":
        raise UserError("'%s' takes no duration; only 'alarms silence DUR' does" % args.action)
    if (args.flash or args.csv) and args.action != "log":
        raise UserError("--flash and --csv apply to 'alarms log' only")
    silence_token(args.duration)  # a bad duration is refused before the port opens
    with DeviceLink.open(args.port, speed="max") as link:
        return run(args, link)
