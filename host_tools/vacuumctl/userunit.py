"""The pressure unit the user reads output in (``--unit``, ``VACUUM_UNIT``).

The device and the wire protocol always speak integer Pa; this module only
turns those integers into what a technician reads: ``run``, ``monitor``,
``status``, ``config get`` of Pa parameters, ``tune step`` and ``plot``.
"""
from __future__ import annotations

import argparse
import os

from . import units
from .errors import UserError

DEFAULT = "kPa"
ENV = "VACUUM_UNIT"
# Live-display decimals: fine enough to see a 10 Pa change in every unit.
DECIMALS = {"Pa": 0, "kPa": 2, "hPa": 1, "mbar": 1, "mmHg": 1, "inHg": 2, "atm": 4, "cmH2O": 1}


def canonical(unit: str) -> str:
    """``kpa`` -> ``kPa``; an unknown unit is a UserError naming the choices."""
    for name in units.PRESSURE_UNITS:
        if unit in (name, name.lower()):
            return name
    raise UserError("unknown pressure unit '%s'; use one of %s" % (unit, ", ".join(units.PRESSURE_UNITS)))


def unit_arg(text: str) -> str:
    """argparse ``type=`` for ``--unit``."""
    try:
        return canonical(text)
    except UserError as e:
        raise argparse.ArgumentTypeError("%s (from --unit or $%s)" % (e, ENV)) from None


def add_argument(parser: argparse.ArgumentParser) -> None:
    """``--unit`` after a command too; SUPPRESS keeps the top-level value
    (or VACUUM_UNIT) when it is not given there."""
    parser.add_argument("--unit", type=unit_arg, default=argparse.SUPPRESS,
                        help="pressure unit of the output (default: kPa or $%s)" % ENV)


def default_unit() -> str:
    """``VACUUM_UNIT`` if set (checked by argparse like ``--unit``), else kPa."""
    return os.environ.get(ENV, "") or DEFAULT


def show(pa: float, unit: str, width: int = 0) -> str:
    """Device Pa in the user's unit: ``show(29980, 'kPa') == '29.98kPa'``,
    ``show(29980, 'mmHg', 6) == ' 224.9mmHg'`` (the number padded to width)."""
    v = pa / units.PRESSURE_UNITS[unit]
    if round(v, DECIMALS[unit]) == 0:
        v = 0.0  # no '-0.0': a reading at ambient is zero, whichever side of it the noise fell
    return "%*.*f%s" % (width, DECIMALS[unit], v, unit)
