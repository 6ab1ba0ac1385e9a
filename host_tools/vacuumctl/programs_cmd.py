"""``vacuumctl programs`` and ``log``: the programs and presets the device
offers, and its therapy log."""
from __future__ import annotations

import argparse
import csv
import sys

from . import userunit, words
from .cmdline import add_command, open_link
from .telemetry import parse_fields


def register(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    s = add_command(sub, "programs", examples="""examples:
  vacuumctl --port sim programs
  vacuumctl --port sim programs npwt_intermittent""")
    s.add_argument("name", nargs="?", help="one program or preset")
    userunit.add_argument(s)
    s.set_defaults(func=cmd_programs)

    s = add_command(sub, "log", examples="""examples:
  vacuumctl --port /dev/ttyACM0 log                    # a table: when, program, length, how it ended
  vacuumctl --port /dev/ttyACM0 log --csv therapy.csv  # every field, for a spreadsheet ('-': standard output)""")
    s.add_argument("--csv", metavar="FILE", help="write every field as CSV to FILE ('-': standard output)")
    s.add_argument("--json", action="store_true", help="every field as JSON on standard output")
    userunit.add_argument(s)
    s.set_defaults(func=cmd_log)


def cmd_programs(args: argparse.Namespace) -> int:
    from .programs import describe, parse_program

    with open_link(args) as link:
        names = [args.name] if args.name else link.request("programs").split()
        for name in names:
            for line in describe(parse_program(link.request("programs " + name)), args.unit):
                print(line)
    return 0


def cmd_log(args: argparse.Namespace) -> int:
    """The device's therapy log (oldest first): a table for a person, CSV
    (--csv FILE, or --csv - for standard output) or JSON for scripts."""
    from .programs import LOG_COLUMNS, parse_log_row

    with open_link(args) as link:
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
