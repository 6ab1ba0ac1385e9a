"""The firmware's imports, read from the source (ast, no MicroPython): no
import loop among firmware modules and no arrow from a lower layer to a
higher one (docs/architecture.md, "Layers"). Imports inside functions count,
and so do the firmware's loads by name (commands._service("param_commands",
...), lazy.call_lazy(...)): a module loaded for
one call is still a dependency."""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIRMWARE = ROOT / "firmware"

# Lowest first. A module may import its own layer (without a loop) and any
# layer below; never one above. A new module must be given its place here.
LAYERS = (
    ("base", "units fixmath version textbuf hwclock frame lazy"),
    ("drivers", "outputs sensor xgzp6897d mprls bmp280 drivers serial_link annunciator"),
    ("storage", "store config passcode therapylog"),
    ("control", "pid relay controller leakrate autotune tune_result"),
    ("safety", "alarms phasecheck safety channel access"),
    ("therapy", "programs laser_programs session commission commission_result laser auxout multichannel channels"),
    ("protocol", "cmderror cmdargs commands alarm_commands access_commands config_commands param_commands tune_commands telemetry"
                 " commission_commands command_help program_help console"),
    ("app", "app main"),
)
LEVEL = {m: i for i, (_, names) in enumerate(LAYERS) for m in names.split()}

# Functions that import the module named by their first argument.
LOADERS = {"__import__", "_service", "call_lazy"}


def _called(node):
    f = node.func
    return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else None


def imports_of(source, modules):
    """The firmware modules a module's source imports, at module level, in
    functions, or by name through a loader."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        elif isinstance(node, ast.Call) and _called(node) in LOADERS and node.args:
            a = node.args[0]
            if isinstance(a, ast.Constant) and isinstance(a.value, str):
                names = [a.value]
        found.update(n.split(".")[0] for n in names if n.split(".")[0] in modules)
    return found


def graph(folder=FIRMWARE):
    modules = {p.stem for p in folder.glob("*.py")}
    return {m: imports_of((folder / (m + ".py")).read_text(), modules) - {m} for m in sorted(modules)}


def cycles(g):
    """The import loops of g: its strongly connected components of more than
    one module (Tarjan), each sorted."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(g.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(g):
        if v not in index:
            visit(v)
    return sorted(out)


def upward(g):
    return sorted("%s (%s) imports %s (%s)" % (m, LAYERS[LEVEL[m]][0], d, LAYERS[LEVEL[d]][0])
                  for m, deps in g.items() for d in deps if LEVEL[d] > LEVEL[m])


def test_no_import_loop():
    assert cycles(graph()) == []


def test_every_module_has_a_layer():
    g = graph()
    assert sorted(set(g) - set(LEVEL)) == [], "give each new firmware module its layer in LAYERS"
    assert sorted(set(LEVEL) - set(g)) == [], "LAYERS names a module that is gone"


def test_no_upward_import():
    assert upward(graph()) == []


def test_no_import_by_a_computed_name():
    # A name the test cannot read would hide an arrow: only the loaders
    # themselves may import a module named by a variable.
    hidden = []
    for p in sorted(FIRMWARE.glob("*.py")):
        for fn in ast.walk(ast.parse(p.read_text())):
            if isinstance(fn, ast.FunctionDef) and fn.name not in LOADERS:
                for node in ast.walk(fn):
                    if isinstance(node, ast.Call) and _called(node) == "__import__" and not isinstance(node.args[0], ast.Constant):
                        hidden.append("%s.%s" % (p.stem, fn.name))
    assert hidden == []


def test_the_checks_see_a_loop_and_an_upward_arrow():
    mods = {"sensor", "drivers", "commands", "console"}
    assert imports_of("def f():\n    from drivers import make_sensor\n", mods) == {"drivers"}
    assert imports_of("X = _service('commands', 'cmd')\nimport sensor as s\n", mods) == {"commands", "sensor"}
    g = {"sensor": {"drivers"}, "drivers": {"sensor"}, "console": {"commands"}, "commands": set()}
    assert cycles(g) == [["drivers", "sensor"]]
    assert upward({"sensor": {"console"}, "console": set()}) == ["sensor (drivers) imports console (protocol)"]
