"""``vacuumctl console``: the device's own command line, interactive
(history, completion, live alarms); console.py holds it and is imported
only when the command runs."""
from __future__ import annotations

import argparse

from . import userunit
from .cmdline import add_command, open_link, speed_arg


def register(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    s = add_command(sub, "console", examples="""examples:
  vacuumctl --port sim console
  > start continuous target=30kPa duration=20s
  > get vacuum
Tab completes commands and parameters; alarms print the moment they arrive. Ctrl-D leaves.""")
    s.add_argument("--speed", type=speed_arg, help="simulated board only: speed (default 1 = real time)")
    userunit.add_argument(s)
    s.set_defaults(func=cmd_console)


def cmd_console(args: argparse.Namespace) -> int:
    from .console import run_console

    with open_link(args) as link:
        return run_console(link, args.unit)
