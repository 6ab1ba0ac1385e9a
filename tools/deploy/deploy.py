#!/usr/bin/env python3
"""Deploy the compiled firmware to a board with mpremote, verified by hash.

    python tools/deploy/deploy.py --board pico --port /dev/ttyACM0 [--no-build]

Builds build/<board>/ with tools/deploy/mpy_build.py (unless --no-build), then in
ONE mpremote connection: stops the firmware (mpremote's Ctrl-C), copies every
file of build/<board>/ (the firmware's .mpy files, board.mpy and main.py) to
the board's filesystem root, prints the SHA-256 of each file on the board,
and resets the board. Every hash is compared with the local file's; a
mismatch names the file and exits 1. The simulated board is deployed the
same way: `vacuumctl sim --flash IMG` prints a pty to pass as --port.
"""
from __future__ import annotations

import argparse
import hashlib
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "build"


def board_names() -> list[str]:
    """The board definitions in boards/ (manifest.py is the freeze manifest)."""
    return sorted(p.stem for p in (ROOT / "boards").glob("*.py") if p.stem not in ("__init__", "manifest"))


def mpremote_exe() -> str:
    exe = Path(sys.executable).parent / "mpremote"
    return str(exe) if exe.exists() else "mpremote"


def build(board: str) -> None:
    r = subprocess.run([sys.executable, str(ROOT / "tools" / "deploy" / "mpy_build.py"), board], capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit("deploy: the build failed:\n%s%s" % (r.stdout, r.stderr))


def deploy(board: str, port: str, timeout_s: float = 180.0, src: Path | None = None) -> list[str]:
    """Copy, hash and reset in one connection. Returns the deployed names."""
    src = src or BUILD / board
    files = sorted(p for p in src.iterdir() if p.is_file())
    if not files:
        raise SystemExit("deploy: %s is empty; run 'make mpy' first" % src)
    argv = [mpremote_exe(), "connect", port]
    for f in files:
        argv += ["fs", "cp", str(f), ":" + f.name, "+"]
    for f in files:
        argv += ["fs", "sha256sum", ":" + f.name, "+"]
    argv += ["reset"]
    try:
        r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout_s)
    except subprocess.TimeoutExpired:
        raise SystemExit("deploy: mpremote did not finish within %.0f s on %s: is the board connected and not held by another program?" % (timeout_s, port)) from None
    if r.returncode != 0:
        raise SystemExit("deploy: mpremote failed on %s (status %d): %s" % (port, r.returncode, (r.stderr or r.stdout).strip()[-400:]))
    # mpremote echoes each action ("sha256sum :NAME") and prints the hash below
    on_board = dict(re.findall(r"sha256sum :(\S+)\s+([0-9a-f]{64})", r.stdout))
    bad = []
    for f in files:
        want = hashlib.sha256(f.read_bytes()).hexdigest()
        got = on_board.get(f.name)
        if got != want:
            bad.append("%s (local %s..., board %s)" % (f.name, want[:12], (got[:12] + "...") if got else "missing"))
    if bad:
        raise SystemExit("deploy: what landed differs from what was built: %s; deploy again" % "; ".join(bad))
    return [f.name for f in files]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--board", required=True, help="board definition in boards/ (pico, pico2, esp32_devkitc)")
    p.add_argument("--port", required=True, help="serial port of the board (or the simulated board's pty)")
    p.add_argument("--no-build", action="store_true", help="deploy build/<board>/ as it is")
    p.add_argument("--from", dest="src", help="deploy this directory instead of build/<board>/ (implies --no-build)")
    a = p.parse_args(argv)
    if not (ROOT / "boards" / (a.board + ".py")).exists():
        raise SystemExit("deploy: there is no board '%s' (no boards/%s.py); the boards are: %s" % (
            a.board, a.board, ", ".join(board_names())))
    if not a.no_build and not a.src:
        build(a.board)
    names = deploy(a.board, a.port, src=Path(a.src) if a.src else None)
    print("deployed %d files to %s, each verified by SHA-256; board reset:" % (len(names), a.port))
    print("  " + " ".join(names))
    return 0


if __name__ == "__main__":
    sys.exit(main())
