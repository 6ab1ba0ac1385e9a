"""make check-32bit inside make test: the firmware's unit tests and a
closed-loop session per program and per named scenario in the official
MicroPython webassembly port, a 32-bit interpreter (tools/testing/wasm32/check32.mjs,
the npm package pinned in tools/testing/wasm32/package-lock.json, installed by make
venv). It fails on any MemoryError, internal alarm or failed unit test, and
when the firmware's 32-bit peak heap exceeds its budget."""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WASM = ROOT / "tools" / "testing" / "wasm32"


def test_firmware_in_a_32_bit_interpreter():
    node = shutil.which("node")
    assert node, "node is not installed (the 32-bit check needs Node >= 18)"
    assert (WASM / "node_modules" / "@micropython" / "micropython-webassembly-pyscript").is_dir(), \
        "the webassembly port is not installed: run make venv (npm ci in tools/testing/wasm32)"
    r = subprocess.run([node, str(WASM / "check32.mjs"), "--quiet"], capture_output=True, text=True, timeout=1800,
                       cwd=str(ROOT))
    out = r.stdout + r.stderr
    assert r.returncode == 0 and "FAIL" not in out, out[-5000:]
    last = out.strip().splitlines()[-1]
    assert re.fullmatch(r"32-bit peak heap: \d+ B", last), last
    assert "sys.maxsize 2147483647" in out and "2**30: MemoryError" in out, out[:500]
    assert re.search(r"firmware unit tests at 32 bits: \d+ passed, 0 failed", out), out[-3000:]
