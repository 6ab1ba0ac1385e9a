"""``vacuumctl``: the technician's command-line tool.

Every command takes ``--port PORT``: a serial device path, or ``sim`` /
``sim:SCENARIO`` to start the simulated board behind a pseudo-terminal.

Each command lives in its own module, which adds it with ``register(sub)``
(its help, options and examples beside its code; cmdline.py); COMMANDS
lists them in the order ``vacuumctl --help`` shows them.
"""
from __future__ import annotations

import argparse
import os
import sys
from typing import Any, Callable

from . import __doc__ as _pkg_doc  # noqa: F401
from . import (access_cmd, alarms_cmd, commission, config_cmd, console_cmd, deploy_cmd, device_cmd, helptext,
               monitor_cmd, plot, ports, programs_cmd, run_cmd, sim_cmd, tune, ui, units, userunit)
from .errors import DeviceError, UserError
# The live line lives in liveview.py; these names stay importable from here.
from .liveview import LiveView, Progress, progress_bar  # noqa: F401
from .simport import is_sim_port

COMMANDS = (device_cmd, sim_cmd, run_cmd, monitor_cmd, programs_cmd, tune, deploy_cmd, config_cmd, console_cmd,
            access_cmd, commission, plot, ports, alarms_cmd, ui)


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
    for module in COMMANDS:
        module.register(sub)
    helptext.add_top(p)
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
    if getattr(args, "needs_port", True) and not args.port:
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
