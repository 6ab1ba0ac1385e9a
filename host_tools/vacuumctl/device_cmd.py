"""``vacuumctl version``, ``status`` and ``stop``: what the device is and
does, and ending its session."""
from __future__ import annotations

import argparse

from . import userunit, words
from .cmdline import add_command, open_link, speed_arg
from .errors import UserError
from .telemetry import parse_fields
from .version import TOOL_VERSION as VERSION


def register(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    s = add_command(sub, "version", examples="""examples:
  vacuumctl version                      # this tool, and the one board found (if exactly one)
  vacuumctl --port /dev/ttyACM0 version  # firmware, protocol, board, MCU, unique id
exit status: 0; 1 if the device speaks another protocol (it is not driven)""")
    s.set_defaults(func=cmd_version, needs_port=False)

    s = add_command(sub, "status", examples="""examples:
  vacuumctl --port sim status
  vacuumctl status --unit mmHg           # with exactly one board plugged in; pressures in mmHg
  vacuumctl --port sim status --raw      # the device's own reply (Pa, ms), for scripts""")
    s.add_argument("--raw", action="store_true", help="the device's reply as it is (Pa, ms): for scripts")
    s.add_argument("--json", action="store_true", help="the device's fields as a JSON object (Pa, ms, duty 0..65535)")
    s.add_argument("--speed", type=speed_arg, help="simulated board only: speed (default max)")
    userunit.add_argument(s)
    s.set_defaults(func=cmd_status)

    s = add_command(sub, "stop", examples="""examples:
  vacuumctl --port /dev/ttyACM0 stop     # ends the device's session: pump off, vent open ("idle" if none ran)""")
    s.set_defaults(func=cmd_stop)


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
        with open_link(args) as link:  # refuses another protocol major with a sentence
            for line in describe(parse_fields(link.request("version"))):
                print(line)
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    with open_link(args) as link:
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
    with open_link(args) as link:
        print(words.stopped(link.request("stop")))
    return 0
