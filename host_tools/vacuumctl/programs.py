"""The device's program descriptions (``programs NAME``) and therapy-log
records (``log N``) as Python data, and their presentation."""
from __future__ import annotations

import re
from decimal import Decimal

from . import units

_PARAM = re.compile(r"^(\w+)=(!|-?\d+)(Pa|ms|mHz|pct)?\[(-?\d+)(Pa|ms|mHz|pct)\.\.(-?\d+)(Pa|ms|mHz|pct)\]$")
LOG_COLUMNS = ("seq", "boot", "start_ms", "end_ms", "program", "params", "elapsed_ms", "delivered_ms", "end", "alarms", "stored")


def parse_program(reply: str) -> dict:
    """``NAME kind=K preset_of=P wound=W ceiling_pa=C p=default[lo..hi] ... help: text``."""
    head, _, help_text = reply.partition(" help: ")
    words = head.split()
    out: dict = {"name": words[0], "params": {}, "help": help_text.strip()}
    for w in words[1:]:
        m = _PARAM.match(w)
        if m:
            out["params"][m.group(1)] = {
                "default": None if m.group(2) == "!" else int(m.group(2)),
                "unit": m.group(5), "lo": int(m.group(4)), "hi": int(m.group(6)),
            }
            continue
        key, _, value = w.partition("=")
        out[key] = int(value) if value.lstrip("-").isdigit() else value
    return out


def typable(pa: int, unit: str, lo: int, hi: int) -> str:
    """A range bound as a person types it back: the shown value, entered as
    it reads (``--target 70.0kPa``), is accepted. Rounding to the shown
    decimals could step outside the range (50663 Pa -> '50.7kPa' = 50700 Pa):
    then the value one step inside is shown."""
    text = units.format_pressure(min(max(pa, lo), hi), unit)
    digits = text[:-len(unit)]
    number = Decimal(digits)
    step = Decimal(1).scaleb(-len(digits.partition(".")[2]))
    for _ in range(3):
        v = units.to_device_pa(text)
        if v > hi:
            number -= step
        elif v < lo:
            number += step
        else:
            return text
        text = "%s%s" % (number, unit)
    return text


def _show(value: int | None, unit: str, user_unit: str = "kPa", bounds: tuple[int, int] | None = None) -> str:
    if value is None:
        return "(required)"
    if unit == "Pa":
        other = "mmHg" if user_unit != "mmHg" else "kPa"
        if bounds is not None:
            return "%s (%s)" % (typable(value, user_unit, *bounds), typable(value, other, *bounds))
        return "%s (%s)" % (units.format_pressure(value, user_unit), units.format_pressure(value, other))
    if unit == "mHz":
        return "%gHz" % (value / 1000)
    if unit == "pct":
        return "%d%%" % value
    if value and value % 3_600_000 == 0:
        return "%dh" % (value // 3_600_000)
    if value and value % 60_000 == 0:
        return "%dmin" % (value // 60_000)
    return "%gs" % (value / 1000)


def describe(p: dict, user_unit: str = "kPa") -> list[str]:
    """Lines for a person: name, purpose, then each parameter with default
    and the range this board accepts (the device reports it: pressures end
    at the program's and the board's ceiling)."""
    kind = p.get("kind", "?")
    base = p.get("preset_of", "none")
    title = "%s  (%s%s, at most %s on this board)" % (
        p["name"], kind, "" if base == "none" else ", preset of " + base,
        typable(int(p.get("ceiling_pa", 0)), user_unit, 0, int(p.get("ceiling_pa", 0))))
    lines = [title, "    " + p["help"]]
    if p.get("kind") == "gradient" and "channels" in p and int(p["channels"]) < 2:
        lines.append("    needs a board with 2 or more pump/vent/sensor channels; this one has %s" % p["channels"])
    for name, q in p["params"].items():
        b = (q["lo"], q["hi"])
        lines.append("    --%-9s %-24s range %s .. %s" % (name, _show(q["default"], q["unit"], user_unit),
                                                      _show(q["lo"], q["unit"], user_unit, b),
                                                      _show(q["hi"], q["unit"], user_unit, b)))
    return lines


def parse_log_row(reply: str) -> dict[str, str]:
    return dict(w.split("=", 1) for w in reply.split() if "=" in w)
