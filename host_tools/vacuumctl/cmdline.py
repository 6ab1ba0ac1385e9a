"""What every command module shares: how it registers itself (help,
description and examples beside the command), the argument types and how a
command opens its device.

Each command module has ``register(sub)``, which adds its commands with
``add_command``; cli.py lists the modules, in the order ``--help`` shows
their commands."""
from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from . import units
from .command_table import help_of
from .errors import UserError

if TYPE_CHECKING:
    from .link import DeviceLink



def add_command(sub: Any, name: str, examples: str | None = None,
                **kwargs: Any) -> argparse.ArgumentParser:
    """One subcommand: its one-line help (command_table.COMMANDS), an
    optional description and the like (kwargs), and its examples and exit
    statuses, shown after the options as written. A command showing
    pressures ends its options with ``userunit.add_argument(parser)``
    (--unit after the command too)."""
    if examples is not None:
        kwargs.update(epilog=examples, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser: argparse.ArgumentParser = sub.add_parser(name, help=help_of(name), **kwargs)
    return parser


def duration_arg(text: str) -> float:
    """--duration takes seconds (``20``) or a duration with unit (``5min``)."""
    try:
        return float(text) if text.replace(".", "", 1).isdigit() else units.parse_duration(text)
    except units.UnitError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def speed_arg(text: str) -> str:
    if text == "max":
        return text
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError("speed is a number of simulated seconds per wall second, or 'max'") from None
    if not 0.01 <= v <= 10000:
        raise argparse.ArgumentTypeError("speed must be between 0.01 and 10000")
    return text


def open_link(args: argparse.Namespace, truth_csv: str | None = None) -> DeviceLink:
    """The device on --port, at --speed when it is a simulated board started for this command."""
    from .link import DeviceLink  # here: a command that opens no device does not load the link
    from .simboards import is_named_sim
    from .simport import is_sim_port

    speed = getattr(args, "speed", None) or "max"
    if is_named_sim(args.port) and getattr(args, "speed", None) not in (None, "max", "1"):
        raise UserError("%s runs at the speed it was started with ('vacuumctl sim --detach --speed X'); --speed "
                        "applies to a board started for this command (--port sim)" % args.port)
    if not is_sim_port(args.port) and not is_named_sim(args.port) and getattr(args, "speed", None) not in (None, "max"):
        raise UserError("--speed applies only to a simulated board (--port sim)")
    return DeviceLink.open(args.port, speed=speed, truth_csv=truth_csv)


def ask_yes(prompt: str, without_terminal: str = "") -> bool:
    """A person's y/N on a terminal; without one, a sentence instead of a
    guess (scripts pass --yes). without_terminal: what stays as it is."""
    if not sys.stdin.isatty():
        raise UserError("not committing without confirmation: run on a terminal or pass --yes" + without_terminal)
    return input(prompt).strip().lower() in ("y", "yes")
