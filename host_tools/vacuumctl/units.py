"""Unit parsing and formatting for the host tool.

This is the host-side twin of ``firmware/units.py``: it accepts exactly the
same tokens, rejects exactly the same tokens with the same messages, and
:func:`to_device_pa` / :func:`to_device_ms` / :func:`to_device_mhz` give the
very integer the firmware computes (exact rational arithmetic, rounded half
away from zero). ``host_tools/tests/test_units.py`` runs both and compares.

Rules (shared with the firmware):

* A value is one token: optional ``+``/``-``, a decimal mantissa, a unit, no
  spaces: ``30kPa``, ``-5kPa``, ``225mmHg``, ``0.3atm``, ``1.5min``, ``0.5Hz``.
* The mantissa is digits with at most one ``.``, which needs a digit on both
  sides (``.5kPa`` and ``5.kPa`` are rejected). No exponents, hex, nan, inf.
* Units are matched as spelled in the tables or all-lowercase (``kPa`` and
  ``kpa``; ``KPA`` is rejected with "did you mean kPa?").
* A number without a unit is an error, never a guess.
* At most :data:`MAX_LEN` characters, and the value in device units
  (Pa, ms, mHz) must round to at most :data:`LIMIT` in magnitude.
* Negative values parse; range checking is the caller's job.
"""

from __future__ import annotations

import argparse
from fractions import Fraction
from typing import Final

__all__ = [
    "LIMIT",
    "MAX_LEN",
    "PRESSURE_UNITS",
    "PRESSURE_UNITS_EXACT",
    "DURATION_UNITS",
    "RATE_UNITS",
    "UnitError",
    "duration_ms_arg",
    "format_pressure",
    "parse_duration",
    "parse_hz",
    "parse_int",
    "parse_pressure",
    "pressure_arg",
    "to_device_mhz",
    "to_device_percent",
    "to_device_ms",
    "to_device_pa",
]

MAX_LEN: Final = 24
"""Longest accepted token, in characters."""

LIMIT: Final = 1_000_000_000
"""Largest accepted magnitude in device units (Pa, ms, mHz)."""


class UnitError(ValueError):
    """A token that is not a valid value of the expected kind."""


# name -> (numerator, denominator): one unit = numerator/denominator device units.
_PRESSURE: Final[tuple[tuple[str, int, int], ...]] = (
    ("Pa", 1, 1),
    ("kPa", 1000, 1),
    ("hPa", 100, 1),
    ("mbar", 100, 1),
    ("mmHg", 133322387, 1000000),
    ("inHg", 3386389, 1000),
    ("atm", 101325, 1),
    ("cmH2O", 980665, 10000),
)
_DURATION: Final[tuple[tuple[str, int, int], ...]] = (
    ("ms", 1, 1),
    ("s", 1000, 1),
    ("min", 60000, 1),
    ("h", 3600000, 1),
)
_RATE: Final[tuple[tuple[str, int, int], ...]] = (("Hz", 1000, 1),)  # device unit: mHz
_PERCENT: Final[tuple[tuple[str, int, int], ...]] = (("%", 1, 1),)  # device unit: whole percent
_KINDS: Final = (("pressure", _PRESSURE), ("duration", _DURATION), ("rate", _RATE), ("percentage", _PERCENT))
_PRESSURE_KIND: Final = 0
_DURATION_KIND: Final = 1
_RATE_KIND: Final = 2
_PERCENT_KIND: Final = 3
# Display decimals used by format_pressure (same as firmware format_pa).
_DECIMALS: Final[dict[str, int]] = {
    "Pa": 0, "kPa": 1, "hPa": 0, "mbar": 0, "mmHg": 0, "inHg": 2, "atm": 3, "cmH2O": 0,
}

PRESSURE_UNITS_EXACT: Final[dict[str, Fraction]] = {n: Fraction(a, b) for n, a, b in _PRESSURE}
"""Canonical pressure unit name -> exact size in Pa."""

PRESSURE_UNITS: Final[dict[str, float]] = {n: float(f) for n, f in PRESSURE_UNITS_EXACT.items()}
"""Canonical pressure unit name -> size in Pa (float)."""

DURATION_UNITS: Final[dict[str, float]] = {n: a / 1000 for n, a, _ in _DURATION}
"""Canonical duration unit name -> size in seconds."""

RATE_UNITS: Final[dict[str, float]] = {"Hz": 1.0}
"""Canonical rate unit name -> size in Hz."""


def _names(table: tuple[tuple[str, int, int], ...]) -> str:
    return ", ".join(u[0] for u in table)


def _find(table: tuple[tuple[str, int, int], ...], unit: str) -> int:
    for i, (name, _, _) in enumerate(table):
        if unit == name or unit == name.lower():
            return i
    return -1


def _one_edit(a: str, b: str) -> bool:
    """True if a and b differ by exactly one substitution, insertion or deletion."""
    if len(a) > len(b):
        a, b = b, a
    if len(b) - len(a) > 1:
        return False
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    if len(a) == len(b):
        return i < len(a) and a[i + 1:] == b[i + 1:]
    return a[i:] == b[i + 1:]


def _suggest(table: tuple[tuple[str, int, int], ...], unit: str) -> str:
    """Case-only match wins; else all units one edit away (both >= 2 chars)."""
    lo = unit.lower()
    for name, _, _ in table:
        if lo == name.lower():
            return name
    hits = [
        name for name, _, _ in table
        if min(len(lo), len(name)) >= 2 and _one_edit(lo, name.lower())
    ]
    return " or ".join(hits)


def _split(tok: str) -> tuple[bool, int, int, str]:
    """Token -> (negative, mantissa digits as int, fraction digit count, unit)."""
    if not isinstance(tok, str):
        raise TypeError("expected str, got %s" % type(tok).__name__)
    n = len(tok)
    if n == 0:
        raise UnitError("empty value")
    if n > MAX_LEN:
        raise UnitError("value too long (max %d characters)" % MAX_LEN)
    for c in tok:
        o = ord(c)
        if o == 32:
            raise UnitError("'%s' must not contain spaces" % tok)
        if o < 33 or o > 126:
            raise UnitError("value contains an illegal character")
    i = 0
    neg = False
    if tok[0] in "+-":
        neg = tok[0] == "-"
        i = 1
    rest = tok[i:].lower()
    if rest.startswith("nan") or rest.startswith("inf"):
        raise UnitError("'%s' is not a number" % tok)
    m = 0
    nd = 0
    fd = -1
    while i < n:
        c = tok[i]
        if "0" <= c <= "9":
            m = m * 10 + ord(c) - 48
            nd += 1
            if fd >= 0:
                fd += 1
        elif c == ".":
            if fd >= 0:
                raise UnitError("'%s' is not a valid number" % tok)
            fd = 0
        else:
            break
        i += 1
    if nd == 0:
        raise UnitError("'%s' has no number" % tok)
    if fd == 0 or fd == nd:
        raise UnitError("'%s' is not a valid number" % tok)
    return neg, m, max(fd, 0), tok[i:]


def _round(neg: bool, num: int, den: int) -> int:
    """num/den (both >= 0) rounded half away from zero, then given the sign."""
    q = (2 * num + den) // (2 * den)
    return -q if neg else q


def _parse(tok: str, kind: int) -> tuple[Fraction, int]:
    """-> (exact value in device units, rounded device integer)."""
    name, table = _KINDS[kind]
    neg, m, fd, unit = _split(tok)
    if not unit:
        raise UnitError("'%s' needs a %s unit: %s" % (tok, name, _names(table)))
    k = _find(table, unit)
    if k < 0:
        for other, t in _KINDS:
            if t is not table and _find(t, unit) >= 0:
                raise UnitError("'%s' is a %s, expected a %s" % (tok, other, name))
        if any(c in "0123456789.+-" for c in unit):
            raise UnitError("'%s' is not a valid number" % tok)
        hint = _suggest(table, unit)
        if hint:
            raise UnitError("'%s' has unknown unit '%s'; did you mean %s?" % (tok, unit, hint))
        raise UnitError(
            "'%s' has unknown unit '%s'; %s units: %s" % (tok, unit, name, _names(table))
        )
    _, num, den = table[k]
    v = _round(neg, m * num, 10**fd * den)
    if v > LIMIT or v < -LIMIT:
        raise UnitError("'%s' is too large" % tok)
    exact = Fraction(m * num, 10**fd * den)
    return (-exact if neg else exact), v


def parse_pressure(text: str) -> float:
    """Pressure token -> Pa (float, unrounded). ``'225mmHg'`` -> 29997.537...

    Raises :class:`UnitError` for anything the firmware would reject.
    """
    return float(_parse(text, _PRESSURE_KIND)[0])


def parse_duration(text: str) -> float:
    """Duration token -> seconds (float). ``'1.5min'`` -> 90.0."""
    return float(_parse(text, _DURATION_KIND)[0] / 1000)


def parse_hz(text: str) -> float:
    """Rate token -> Hz (float). ``'0.5Hz'`` -> 0.5."""
    return float(_parse(text, _RATE_KIND)[0] / 1000)


def to_device_pa(text: str) -> int:
    """Pressure token -> the integer Pa ``firmware/units.parse_pressure_pa`` gives."""
    return _parse(text, _PRESSURE_KIND)[1]


def to_device_ms(text: str) -> int:
    """Duration token -> the integer ms ``firmware/units.parse_duration_ms`` gives."""
    return _parse(text, _DURATION_KIND)[1]


def to_device_mhz(text: str) -> int:
    """Rate token -> the integer mHz ``firmware/units.parse_millihz`` gives."""
    return _parse(text, _RATE_KIND)[1]


def to_device_percent(text: str) -> int:
    """Percentage token -> the integer percent ``firmware/units.parse_percent`` gives."""
    return _parse(text, _PERCENT_KIND)[1]


def parse_int(text: str) -> int:
    """Plain integer for counts (``'3'``, ``'-2'``), as ``firmware/units.parse_int``."""
    neg, m, fd, unit = _split(text)
    if unit or fd:
        raise UnitError("'%s' is not a whole number" % text)
    if m > LIMIT:
        raise UnitError("'%s' is too large" % text)
    return -m if neg else m


def format_pressure(pa: float, unit: str) -> str:
    """Pa -> display string, e.g. ``format_pressure(30000, 'kPa') == '30.0kPa'``.

    Decimals: kPa 1, inHg 2, atm 3, every other unit 0; rounded half away from
    zero, never ``-0``. For integer ``pa`` the result equals the firmware's
    ``format_pa``; a float is used at its exact binary value.
    """
    k = _find(_PRESSURE, unit)
    if k < 0:
        raise UnitError("unknown pressure unit '%s'" % unit)
    name, num, den = _PRESSURE[k]
    dec = _DECIMALS[name]
    try:
        x = Fraction(pa)
    except (OverflowError, ValueError) as e:  # inf / nan
        raise UnitError("cannot format %r" % (pa,)) from e
    neg = x < 0
    x = abs(x)
    q = _round(False, x.numerator * den * 10**dec, x.denominator * num)
    s = str(q)
    if dec:
        s = s.rjust(dec + 1, "0")
        s = s[:-dec] + "." + s[-dec:]
    if neg and q:
        s = "-" + s
    return s + name


def pressure_arg(text: str) -> int:
    """argparse ``type=`` for pressures: token -> device integer Pa."""
    try:
        return to_device_pa(text)
    except UnitError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def duration_ms_arg(text: str) -> int:
    """argparse ``type=`` for durations: token -> device integer ms."""
    try:
        return to_device_ms(text)
    except UnitError as e:
        raise argparse.ArgumentTypeError(str(e)) from None
