"""``vacuumctl config``: the device's service parameters (docs/protocol.md,
"Configuration"). A change is staged on the device, validated there against
its range, and only written to flash (read back, then applied and audited) by
``commit``. ``save FILE`` / ``load FILE`` move a whole configuration between
devices as a JSON file::

    {"format": "vacuumfw-config", "version": 1,
     "params": {"kp": 6000, "ki": 3000, "leak_delay": 4000, ...}}

Values are integers in the parameter's unit (Pa, ms or plain)."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Callable

from . import userunit
from .errors import UserError

FORMAT = "vacuumfw-config"
VERSION = 1


def parse_get(reply: str) -> dict[str, Any]:
    """``name=kp value=6000 ... | help`` -> fields (ints where numeric) + help."""
    head, _, help_text = reply.partition(" | ")
    out: dict[str, Any] = {}
    for tok in head.split():
        k, _, v = tok.partition("=")
        try:
            out[k] = int(v)
        except ValueError:
            out[k] = v
    out["help"] = help_text
    return out


def param_names(show_reply: str) -> list[str]:
    """Names from ``config show`` (``kp=6000 leak_delay=4000ms ... source=...``)."""
    names = []
    for tok in show_reply.split():
        k = tok.partition("=")[0]
        if k not in ("source", "staged_changes"):
            names.append(k)
    return names


def token(value: int, unit: str) -> str:
    """The device's input form of a value: plain, or with its unit."""
    return str(value) if unit in ("", "-") else "%d%s" % (value, unit)


def in_user_unit(f: dict[str, Any], unit: str) -> str:
    """A Pa parameter's value, staged value and range in the user's unit
    (empty for other parameters, or when the user reads Pa anyway)."""
    if f.get("unit") != "Pa" or unit == "Pa":
        return ""
    return "in %s: value %s, staged %s, range %s..%s" % (
        unit, userunit.show(f["value"], unit), userunit.show(f["staged"], unit),
        userunit.show(f["lo"], unit), userunit.show(f["hi"], unit))


def read_file(path: str) -> dict[str, int]:
    """Load and check a saved configuration; errors say what to fix."""
    try:
        data = json.loads(Path(path).read_text())
    except OSError as e:
        raise UserError("cannot read %s: %s" % (path, e.strerror)) from None
    except ValueError as e:
        raise UserError("%s is not valid JSON: %s" % (path, e)) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise UserError("%s is not a vacuumfw configuration file (expected \"format\": \"%s\")" % (path, FORMAT))
    if data.get("version") != VERSION:
        raise UserError("%s has configuration file version %r; this tool reads version %d" % (path, data.get("version"), VERSION))
    params = data.get("params")
    if not isinstance(params, dict) or not params:
        raise UserError("%s: \"params\" must be a non-empty object of name: integer" % path)
    out: dict[str, int] = {}
    for k, v in params.items():
        if not isinstance(k, str) or not k.isidentifier():
            raise UserError("%s: bad parameter name %r" % (path, k))
        if isinstance(v, bool) or not isinstance(v, int):
            raise UserError("%s: %s must be a whole number, not %r" % (path, k, v))
        out[k] = v
    return out


def write_file(path: str, params: dict[str, int], source: str) -> None:
    Path(path).write_text(json.dumps({"format": FORMAT, "version": VERSION, "from": source, "params": params}, indent=2) + "\n")


def run(args: argparse.Namespace, link: Any, confirm: Callable[[str], bool] | None = None) -> int:
    req = link.request
    action = args.action
    rest = args.args
    need = {"get": 1, "set": 2, "save": 1, "load": 1}.get(action, 0)
    if len(rest) != need and not (action == "audit" and len(rest) <= 1):
        raise UserError("usage: vacuumctl config %s%s" % (action, {"get": " NAME", "set": " NAME VALUE", "save": " FILE", "load": " FILE", "audit": " [N]"}.get(action, "")))
    if action == "show":
        names = param_names(req("config show"))
        print("%-12s %10s %10s %8s %20s  %s" % ("name", "value", "staged", "unit", "range", "description"))
        for n in names:
            f = parse_get(req("config get %s" % n))
            print("%-12s %10d %10d %8s %20s  %s" % (n, f["value"], f["staged"], f["unit"], "%d..%d" % (f["lo"], f["hi"]), f["help"]))
        return 0
    if action in ("get", "set", "diff", "commit", "revert", "reset", "audit"):
        reply = req(" ".join(["config", action] + rest))
        print(reply)
        if action == "get":
            in_unit = in_user_unit(parse_get(reply), getattr(args, "unit", userunit.DEFAULT))
            if in_unit:
                print(in_unit)
        return 0
    if action == "save":
        show = req("config show")
        params = {n: int(parse_get(req("config get %s" % n))["value"]) for n in param_names(show)}
        write_file(rest[0], params, req("version"))
        print("saved %d parameters to %s" % (len(params), rest[0]))
        return 0
    if action == "load":
        params = read_file(rest[0])
        known = param_names(req("config show"))
        unknown = [k for k in params if k not in known]
        if unknown:
            raise UserError("%s names parameters this device does not have: %s (it has: %s)" % (rest[0], ", ".join(unknown), ", ".join(known)))
        req("config revert")
        try:
            for name, value in params.items():
                unit = parse_get(req("config get %s" % name))["unit"]
                req("config set %s %s" % (name, token(value, unit)))  # the device validates the range
        except BaseException:
            req("config revert")
            raise
        diff = req("config diff")
        print("changes: %s" % diff)
        if diff == "no staged changes":
            return 0
        try:
            ok = args.yes or (confirm or _ask)("commit these changes to the device's flash? [y/N] ")
        except BaseException:  # Ctrl-C or end of input at the question: nothing stays staged
            req("config revert")
            raise
        if not ok:
            req("config revert")
            print("not committed; staged changes reverted")
            return 1
        print(req("config commit"))
        return 0
    raise UserError("unknown config action %r" % action)


def _ask(prompt: str) -> bool:
    if not sys.stdin.isatty():
        raise UserError("not committing without confirmation: run on a terminal or pass --yes")
    return input(prompt).strip().lower() in ("y", "yes")
