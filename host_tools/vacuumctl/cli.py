"""``vacuumctl``: the technician's command-line tool.

Every command takes ``--port PORT``: a serial device path, or ``sim`` /
``sim:SCENARIO`` to start the simulated board behind a pseudo-terminal.

Each command lives in its own module, which adds it with ``register(sub)``
(its help, options and examples beside its code; cmdline.py); COMMANDS
lists them in the order ``vacuumctl --help`` shows them, with each command's
one-line help (command_table.py, the one place each help is written:
cmdline.add_command takes it from there), so that a run imports only the
module of the command it runs (the others are listed by name and help:
``vacuumctl --help`` and a usage error read the same).
host_tools/tests/test_help.py checks the table against what the modules
register.
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys
from types import ModuleType
from typing import Any, Callable, Iterable

from . import __doc__ as _pkg_doc  # noqa: F401
from . import helptext, units, userunit
from .command_table import COMMANDS
from .errors import DeviceError, UserError
from .simport import is_sim_port

_MODULE_OF = {name: module for module, commands in COMMANDS for name, _ in commands}


def command_module(module: str) -> ModuleType:
    """The module (cli.COMMANDS' name) that registers some commands."""
    return importlib.import_module("." + module, __package__)


def __getattr__(name: str) -> Any:
    # The live line lives in liveview.py; these names stay importable from here.
    if name in ("LiveView", "Progress", "progress_bar"):
        from . import liveview

        return getattr(liveview, name)
    raise AttributeError("module %r has no attribute %r" % (__name__, name))


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


def build_parser(full: Iterable[str] | None = None) -> argparse.ArgumentParser:
    """The whole parser; with ``full``, only the modules of those commands
    are imported and register their options, every other command is listed
    by its name and help alone (a stand-in, without options)."""
    p: argparse.ArgumentParser = _Parser(prog="vacuumctl", description="Technician's tool for the open therapeutic vacuum device.")
    p.add_argument("--port", default=os.environ.get("VACUUM_PORT", ""),
                   help="serial port (e.g. /dev/ttyACM0), or sim / sim:SCENARIO for the simulated board")
    p.add_argument("--unit", type=userunit.unit_arg, default=userunit.default_unit(),
                   help="pressure unit of the output: kPa (default, or $VACUUM_UNIT), mmHg, Pa, inHg, cmH2O, "
                        "atm, hPa, mbar; also accepted after the command")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    wanted = None if full is None else {_MODULE_OF.get(name) for name in full}
    for module, commands in COMMANDS:
        if wanted is None or module in wanted:
            command_module(module).register(sub)
        else:
            for name, help in commands:
                sub.add_parser(name, help=help, add_help=False).set_defaults(stand_in=True)
    helptext.add_top(p)
    return p


def _named_command(argv: list[str]) -> str | None:
    """The word of argv naming a command, past the tool's own options (a
    guess: main checks it)."""
    it = iter(argv)
    for arg in it:
        if arg in ("--port", "--unit"):
            next(it, None)
        elif not arg.startswith("-"):
            return arg if arg in _MODULE_OF else None
    return None


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    named = _named_command(argv)
    parser = build_parser(() if named is None else (named,))
    args, extra = parser.parse_known_args(argv)
    if getattr(args, "stand_in", False):  # the guess was wrong: every command's options
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
