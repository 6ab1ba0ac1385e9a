"""boards/manifest.py, the MicroPython freeze manifest (no cross toolchain
here to build an image): run it with stand-ins for MicroPython's manifest
functions that record the calls, as tools/makemanifest.py would call them."""
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = ROOT / "boards" / "manifest.py"


class _Options:
    def __init__(self, **given):
        self.__dict__.update(given)

    def defaults(self, **kw):
        for k, v in kw.items():
            self.__dict__.setdefault(k, v)


def _run(**given):
    calls = []
    env = {
        "options": _Options(**given),
        "include": lambda path, **kw: calls.append(("include", path, kw)),
        "module": lambda path, base_path=".", opt=None: calls.append(("module", path, base_path)),
        "freeze": lambda *a, **kw: calls.append(("freeze", a, kw)),
        "package": lambda *a, **kw: calls.append(("package", a, kw)),
    }
    exec(compile(MANIFEST.read_text(), str(MANIFEST), "exec"), env)
    return calls


def _frozen(calls):
    """(module name, source file) of every module() call, relative paths
    resolved against the manifest's directory as makemanifest does."""
    out = []
    for kind, path, base in (c for c in calls if c[0] == "module"):
        src = (MANIFEST.parent / base / path).resolve()
        out.append((path[:-3], src))
    return out


def test_every_firmware_module_is_frozen_and_nothing_else():
    calls = _run()
    frozen = _frozen(calls)
    names = [n for n, _ in frozen]
    assert len(names) == len(set(names)), "a module listed twice"
    expected = {p.stem for p in (ROOT / "firmware").glob("*.py")} - {"main"}
    assert set(names) == expected, "manifest and firmware/ differ: missing %s, extra %s" % (
        sorted(expected - set(names)), sorted(set(names) - expected))
    for name, src in frozen:
        assert src == ROOT / "firmware" / (name + ".py") and src.is_file()
    # Whole directories are never frozen: firmware/tests must stay out.
    assert not [c for c in calls if c[0] in ("freeze", "package")]


def test_port_defaults_included_unless_turned_off():
    assert [c[1] for c in _run() if c[0] == "include"] == ["$(PORT_DIR)/boards/manifest.py"]
    assert not [c for c in _run(port_manifest=False) if c[0] == "include"]


def test_board_file_frozen_as_board_only_when_asked(tmp_path):
    assert "board" not in [n for n, _ in _frozen(_run())]
    (tmp_path / "board.py").write_text((ROOT / "boards" / "pico.py").read_text())
    frozen = dict(_frozen(_run(board_dir=str(tmp_path))))
    assert frozen["board"] == tmp_path / "board.py"



def test_package_json_installs_every_firmware_module():
    """`mpremote mip install ./package.json` must land the same firmware as
    `make deploy`: every firmware/*.py (main.py included), each once."""
    import json

    urls = json.loads((ROOT / "package.json").read_text())["urls"]
    fw = [src for _, src in urls if src.startswith("firmware/")]
    assert len(fw) == len(set(fw)), "a module listed twice"
    expected = {"firmware/%s" % p.name for p in (ROOT / "firmware").glob("*.py")}
    assert set(fw) == expected, "package.json and firmware/ differ: missing %s, extra %s" % (
        sorted(expected - set(fw)), sorted(set(fw) - expected))
    for dest, src in urls:
        if src.startswith("firmware/"):
            assert dest == src[len("firmware/"):]
