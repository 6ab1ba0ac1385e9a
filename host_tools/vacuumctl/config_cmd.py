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
import re
import sys
from pathlib import Path
from typing import Any, Callable

from . import userunit, words
from .cmdline import add_command, ask_yes, open_link
from .errors import FRESH_SIM_HINT, ServiceRoleNeeded, UserError
from .telemetry import parse_fields

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


def units_of(show_reply: str) -> dict[str, str]:
    """``kp=6000 leak_delay=4000ms cal_offset=0Pa ...`` -> {name: unit}."""
    out = {}
    for tok in show_reply.split():
        k, _, v = tok.partition("=")
        if k in ("source", "staged_changes"):
            continue
        out[k] = v.lstrip("-0123456789")
    return out


def shown(v: int | str, unit: str, user_unit: str) -> str:
    """A parameter's value for a person: pressures in the user's unit,
    durations in s/min, plain numbers as they are."""
    if unit == "Pa":
        return words.pressure(v, user_unit)
    if unit == "ms":
        return words.duration(v)
    return str(v)


_CHANGE = re.compile(r"(\w+) (-?\d+)->(-?\d+)")


def changes_text(text: str, unit_of: dict[str, str], user_unit: str) -> str:
    """``kp 0->5000, leak_delay 4000->180000`` -> ``kp 0 -> 5000, leak_delay 4 s -> 3 min``."""
    return _CHANGE.sub(lambda m: "%s %s -> %s" % (m.group(1), shown(m.group(2), unit_of.get(m.group(1), ""), user_unit),
                                                  shown(m.group(3), unit_of.get(m.group(1), ""), user_unit)), text)


def audit_lines(reply: str, unit_of: dict[str, str] | None = None, user_unit: str = userunit.DEFAULT) -> list[str]:
    """``2 audit entries: t_ms=5120 role=service unlock ok; ...`` -> one
    line per entry: device uptime, role after it, what happened."""
    head, sep, body = reply.partition(": ")
    if not sep:
        return [reply]
    out = ["%-10s %-10s %s" % ("uptime", "role", "entry")]
    for rec in body.split("; "):
        f = dict(w.split("=", 1) for w in rec.split() if "=" in w and w.split("=", 1)[0] in ("t_ms", "role"))
        rest = " ".join(w for w in rec.split() if w.split("=", 1)[0] not in ("t_ms", "role"))
        out.append("%-10s %-10s %s" % (words.uptime(f.get("t_ms")), f.get("role", "-"), changes_text(rest, unit_of or {}, user_unit)))
    return out


def _fresh_sim_note(link: Any) -> None:
    if getattr(link, "sim", None) is not None:
        print("vacuumctl: note: %s." % FRESH_SIM_HINT, file=sys.stderr)


def run(args: argparse.Namespace, link: Any, confirm: Callable[[str], bool] | None = None) -> int:
    req = link.request
    action = args.action
    rest = args.args
    unit = getattr(args, "unit", userunit.DEFAULT)
    need = {"get": 1, "set": 2, "save": 1, "load": 1}.get(action, 0)
    if len(rest) != need and not (action == "audit" and len(rest) <= 1):
        raise UserError("usage: vacuumctl config %s%s" % (action, {"get": " NAME", "set": " NAME VALUE", "save": " FILE", "load": " FILE", "audit": " [N]"}.get(action, "")))
    if action == "show":
        names = param_names(req("config show"))
        rows = [("name", "value", "staged", "range", "description")]
        for n in names:
            f = parse_get(req("config get %s" % n))
            u = str(f["unit"])
            rows.append((n, shown(f["value"], u, unit), "" if f["staged"] == f["value"] else shown(f["staged"], u, unit),
                         "%s .. %s" % (shown(f["lo"], u, unit), shown(f["hi"], u, unit)), str(f["help"])))
        for line in words.table(rows):
            print(line)
        return 0
    if action == "get":
        f = parse_get(req("config get %s" % rest[0]))
        u = str(f["unit"])
        print("%s: %s" % (rest[0], f["help"]))
        staged = "" if f["staged"] == f["value"] else " (staged: %s; 'vacuumctl config commit' applies it)" % shown(f["staged"], u, unit)
        print("  value    %s%s" % (shown(f["value"], u, unit), staged))
        print("  range    %s .. %s, default %s" % (shown(f["lo"], u, unit), shown(f["hi"], u, unit), shown(f.get("default", "-"), u, unit)))
        print("  set by   the %s role" % f.get("role", "service"))
        return 0
    if action in ("set", "diff", "commit", "revert", "reset"):
        reply = req(" ".join(["config", action] + rest))
        unit_of = units_of(req("config show"))
        if action == "set":
            f = parse_fields(reply.split("(", 1)[0])
            name = rest[0]
            print("staged %s = %s (in use: %s); 'vacuumctl config commit' writes it to flash and applies it" % (
                name, shown(str(f.get(name, "?")).rstrip("Pamsh"), unit_of.get(name, ""), unit),
                shown(reply.split("committed ", 1)[-1].split(";", 1)[0].rstrip("Pamsh"), unit_of.get(name, ""), unit)))
        elif action == "diff":
            print("staged, not yet committed: " + changes_text(reply, unit_of, unit) if reply != "no staged changes" else reply)
            if reply == "no staged changes":
                _fresh_sim_note(link)
        elif action == "commit":
            if reply == "nothing to commit":
                print("nothing to commit: no staged changes")
                _fresh_sim_note(link)
            else:
                print(changes_text(reply, unit_of, unit).replace("committed ", "committed to flash and applied: ", 1))
        else:
            print(changes_text(reply, unit_of, unit))
        return 0
    if action == "audit":
        for line in audit_lines(req(" ".join(["config", "audit"] + rest)), units_of(req("config show")), unit):
            print(line)
        return 0
    if action == "save":
        show = req("config show")
        params = {n: int(parse_get(req("config get %s" % n))["value"]) for n in param_names(show)}
        write_file(rest[0], params, req("version"))
        print("saved %d parameters to %s" % (len(params), rest[0]))
        return 0
    if action == "load":
        params = read_file(rest[0])
        show = req("config show")
        known = param_names(show)
        unknown = [k for k in params if k not in known]
        if unknown:
            raise UserError("%s names parameters this device does not have: %s (it has: %s)" % (rest[0], ", ".join(unknown), ", ".join(known)))
        try:
            req("config revert")
        except ServiceRoleNeeded as e:  # the first service command of a load: name the load
            raise ServiceRoleNeeded(e.code, e.message, fresh_sim=getattr(link, "sim", None) is not None,
                                    form="config load") from None
        try:
            for name, value in params.items():
                u = parse_get(req("config get %s" % name))["unit"]
                req("config set %s %s" % (name, token(value, u)))  # the device validates the range
        except BaseException:
            req("config revert")
            raise
        diff = req("config diff")
        print("changes: %s" % (changes_text(diff, units_of(show), unit) if diff != "no staged changes" else "none"))
        if diff == "no staged changes":
            return 0
        try:
            ok = args.yes or (confirm or ask_yes)("commit these changes to the device's flash? [y/N] ")
        except BaseException:  # Ctrl-C or end of input at the question: nothing stays staged
            req("config revert")
            raise
        if not ok:
            req("config revert")
            print("not committed; staged changes reverted")
            return 1
        print(changes_text(req("config commit"), units_of(show), unit).replace("committed ", "committed to flash and applied: ", 1))
        return 0
    raise UserError("unknown config action %r" % action)


def register(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    s = add_command(sub, "config", description="set stages a change on the device (validated against its range); commit writes "
                                "it to flash, reads it back, applies it and records it in the audit log. "
                                "save/load move a whole configuration as a JSON file.",
                    examples="""examples:
  vacuumctl --port /dev/ttyACM0 config show            # every parameter: value, staged, unit, range, description
  vacuumctl --port /dev/ttyACM0 config set leak_delay 3min
  vacuumctl --port /dev/ttyACM0 config set cal_offset -300Pa
  vacuumctl --port /dev/ttyACM0 config save bench1.json
  vacuumctl --port /dev/ttyACM1 config load bench1.json  # shows the changes, asks before committing
set, commit, reset and load need the service role: 'vacuumctl unlock' first, or $VACUUMCTL_SERVICE_CODE.
Each vacuumctl call opens the port anew; with --port sim that is a fresh simulated board each time:
start one that stays with 'vacuumctl sim --detach' and use --port sim@NAME for steps that build on each other.
exit status: 0 ok; 1 refused (the reason is printed) or load not confirmed""")
    s.add_argument("action", choices=("show", "get", "set", "diff", "commit", "revert", "reset", "audit", "save", "load"))
    s.add_argument("args", nargs="*", help="NAME [VALUE] for get/set, FILE for save/load, N for audit")
    s.add_argument("--yes", action="store_true", help="load: commit without asking")
    userunit.add_argument(s)
    s.set_defaults(func=cmd_config, takes_extra=True)


def cmd_config(args: argparse.Namespace, extra: list[str]) -> int:
    # A negative value (config set cal_offset -300Pa) looks like an option.
    for tok in extra:
        if len(tok) < 2 or tok[0] != "-" or not (tok[1].isdigit() or tok[1] == "."):
            raise UserError("unexpected argument '%s'" % tok)
    args.args = args.args + extra
    with open_link(args) as link:
        return run(args, link)
