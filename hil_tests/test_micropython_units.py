"""Runs the firmware's and the simulator's unit tests inside the real
MicroPython interpreter (tools/mpy_unittest.py), one pytest item per file."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FILES = sorted((ROOT / "firmware" / "tests").glob("test_*.py")) + sorted((ROOT / "boards" / "sim" / "tests").glob("test_*.py"))
MICROPYTHON = str(Path(sys.executable).parent / "micropython")


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(ROOT)) for p in FILES])
def test_micropython_unit_file(path):
    r = subprocess.run([MICROPYTHON, str(ROOT / "tools" / "mpy_unittest.py"), str(path)],
                       capture_output=True, text=True, timeout=600, cwd=str(ROOT))
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert " passed, 0 failed" in r.stdout
