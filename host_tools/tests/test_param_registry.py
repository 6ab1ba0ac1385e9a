"""One registry per parameter: firmware/config.py's PARAMS holds each service
parameter's unit, range and default. Every place a user reads a range
(`config get`, `get`/`set`, docs/protocol.md, docs/control.md) must agree with
it, and `set` must take its range from it rather than keep its own (read from
the source with ast, constants resolved across the firmware's modules)."""
import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIRMWARE = ROOT / "firmware"
DOCS = ROOT / "docs"


def _constants():
    """NAME -> int for every module-level `NAME = const(...)` or int literal
    of the firmware (names are unique where the registry uses them)."""
    out = {}
    for p in sorted(FIRMWARE.glob("*.py")):
        for node in ast.parse(p.read_text()).body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                v = node.value
                if isinstance(v, ast.Call) and getattr(v.func, "id", None) == "const":
                    v = v.args[0]
                try:
                    out.setdefault(node.targets[0].id, _eval(v, out))
                except ValueError:
                    pass
    return out


def _eval(node, names):
    if isinstance(node, ast.Constant) and isinstance(node.value, int):
        return node.value
    if isinstance(node, ast.Name) and node.id in names:
        return names[node.id]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_eval(node.operand, names)
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mult, ast.Add, ast.Sub)):
        a, b = _eval(node.left, names), _eval(node.right, names)
        return a * b if isinstance(node.op, ast.Mult) else a + b if isinstance(node.op, ast.Add) else a - b
    raise ValueError(ast.dump(node))


def registry():
    """name -> (unit, lo, hi, default) from config.PARAMS."""
    tree = ast.parse((FIRMWARE / "config.py").read_text())
    names = _constants()
    units = {"PA": "Pa", "MS": "ms", "PLAIN": ""}
    params = next(n.value for n in tree.body if isinstance(n, ast.Assign) and getattr(n.targets[0], "id", "") == "PARAMS")
    out = {}
    for call in params.elts:
        name, unit, lo, hi, default = call.args
        out[name.value] = (units[unit.id], _eval(lo, names), _eval(hi, names), _eval(default, names))
    return out


def test_the_registry_reads():
    r = registry()
    assert r["tau"] == ("ms", 10, 2000, 25) and r["kp"] == ("", 0, 4_000_000, 0)
    assert r["cal_offset"][1] < 0 < r["cal_offset"][2]


def test_protocol_md_configuration_table_matches_the_registry():
    text = (DOCS / "protocol.md").read_text()
    rows = {m[0]: m[1:] for m in re.findall(r"^\| `(\w+)` \| (\S+) \| (-?\d+)\.\.(\d+) \| ([^|]+?) \|", text, re.M)}
    r = registry()
    assert sorted(rows) == sorted(r)
    for name, (unit, lo, hi, default) in r.items():
        d_unit, d_lo, d_hi, d_default = rows[name]
        assert (d_unit, int(d_lo), int(d_hi)) == (unit or "-", lo, hi), name
        # cal_offset and cal_gain: "board's CAL_... or N"
        assert d_default.split()[-1] == str(default), name


def test_protocol_md_set_ranges_match_the_registry():
    text = (DOCS / "protocol.md").read_text()
    prose = text[text.index("Parameters: `vacuum`"):text.index("## Configuration and logs")]
    r = registry()
    found = re.findall(r"`(\w+)` \([^)]*?(-?\d+)\.\.(\d+)\)", prose.replace("\n", " "))
    assert {n for n, _, _ in found} == {"kp", "ki", "kd", "tau", "ti_factor", "lead"}
    for name, lo, hi in found:
        assert (int(lo), int(hi)) == r[name][1:3], name


def test_control_md_tuning_ranges_match_the_registry():
    text = (DOCS / "control.md").read_text().replace("\n", " ")
    r = registry()
    found = re.findall(r"`(tau|ti_factor|lead)` \((\d+)-(\d+)[^,]*, (\d+)\)", text)
    assert len(found) == 3
    for name, lo, hi, default in found:
        assert (int(lo), int(hi), int(default)) == r[name][1:], name


def test_set_takes_its_ranges_from_the_registry():
    # param_commands keeps no range of its own for a configuration parameter:
    # its setters parse through config.parse_value (so 'set' and 'config set'
    # answer alike), and the controller's defaults are the registry's.
    src = (FIRMWARE / "param_commands.py").read_text()
    assert "_GAIN_MAX" not in src and not re.search(r"_set_tuning\(\"\w+\", ", src)
    assert "from_below(config.parse_value, config.find(name), token)" in src
    c = _constants()
    r = registry()
    assert (c["TAU_MS"], c["TI_FACTOR"], c["LEAD_TICKS"]) == (r["tau"][3], r["ti_factor"][3], r["lead"][3])
    assert re.search(r'Param\("tau", MS, 10, 2000, TAU_MS\)', (FIRMWARE / "config.py").read_text())
