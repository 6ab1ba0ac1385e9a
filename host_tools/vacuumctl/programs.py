"""The device's program descriptions (``programs NAME``) and therapy-log
records (``log N``) as Python data, and their presentation."""
from __future__ import annotations

import re

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


def _show(value: int | None, unit: str) -> str:
    if value is None:
        return "(required)"
    if unit == "Pa":
        return "%s (%s)" % (units.format_pressure(value, "kPa"), units.format_pressure(value, "mmHg"))
    if unit == "mHz":
        return "%gHz" % (value / 1000)
    if unit == "pct":
        return "%d%%" % value
    if value and value % 3_600_000 == 0:
        return "%dh" % (value // 3_600_000)
    if value and value % 60_000 == 0:
        return "%dmin" % (value // 60_000)
    return "%gs" % (value / 1000)


def describe(p: dict) -> list[str]:
    """Lines for a person: name, purpose, then each parameter with default and range."""
    kind = p.get("kind", "?")
    base = p.get("preset_of", "none")
    title = "%s  (%s%s, ceiling %s)" % (p["name"], kind, "" if base == "none" else ", preset of " + base,
                                          units.format_pressure(int(p.get("ceiling_pa", 0)), "kPa"))
    lines = [title, "    " + p["help"]]
    for name, q in p["params"].items():
        lines.append("    --%-9s %-24s range %s .. %s" % (name, _show(q["default"], q["unit"]), _show(q["lo"], q["unit"]), _show(q["hi"], q["unit"])))
    return lines


def parse_log_row(reply: str) -> dict[str, str]:
    return dict(w.split("=", 1) for w in reply.split() if "=" in w)
