"""make check-32bit inside make test: the firmware's unit tests and a
closed-loop session per program and per named scenario in the official
MicroPython webassembly port, a 32-bit interpreter (tools/testing/wasm32/check32.mjs,
the npm package pinned in tools/testing/wasm32/package-lock.json, installed by make
venv). It fails on any MemoryError, internal alarm or failed unit test, and
when the firmware's 32-bit peak heap exceeds its budget.

It runs as independent parts, side by side in the parallel run: the unit
tests in UNIT_SHARES shares (every unit-test file in one of them), and the
sessions in SHARES shares (check32.mjs --shard: each share
also runs the first program's session, after which the on-demand modules are
weighed, so each share checks the budget as the whole run does; the whole
run's peak is the largest share's). Two session shares: each more repeats
the first session and the on-demand modules' weighing, about 1.4 s of CPU
(with 4, the sessions took about 4 s more CPU; 2026-12-06); a unit share
repeats only the interpreter's own check, about 0.2 s."""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
WASM = ROOT / "tools" / "testing" / "wasm32"
SHARES = 2
UNIT_SHARES = 3


def _check32(*args: str) -> str:
    node = shutil.which("node")
    assert node, "node is not installed (the 32-bit check needs Node >= 18)"
    assert (WASM / "node_modules" / "@micropython" / "micropython-webassembly-pyscript").is_dir(), \
        "the webassembly port is not installed: run make venv (npm ci in tools/testing/wasm32)"
    r = subprocess.run([node, str(WASM / "check32.mjs"), "--quiet", *args], capture_output=True, text=True,
                       timeout=1800, cwd=str(ROOT))
    out = r.stdout + r.stderr
    assert r.returncode == 0 and "FAIL" not in out, out[-5000:]
    assert "sys.maxsize 2147483647" in out and "2**30: MemoryError" in out, out[:500]
    return out


@pytest.mark.parametrize("share", range(UNIT_SHARES), ids=["share%d_of_%d" % (k, UNIT_SHARES) for k in range(UNIT_SHARES)])
def test_firmware_unit_tests_in_a_32_bit_interpreter(share):
    out = _check32("--only", "unit", "--shard", "%d/%d" % (share, UNIT_SHARES))
    m = re.search(r"firmware unit tests at 32 bits: (\d+) passed, 0 failed \((\d+) of (\d+) files, share %d/%d\)"
                  % (share, UNIT_SHARES), out)
    assert m and int(m.group(1)) > 0 and int(m.group(2)) >= int(m.group(3)) // UNIT_SHARES, out[-3000:]


@pytest.mark.parametrize("share", range(SHARES), ids=["share%d_of_%d" % (k, SHARES) for k in range(SHARES)])
def test_firmware_sessions_in_a_32_bit_interpreter(share):
    out = _check32("--only", "sessions", "--shard", "%d/%d" % (share, SHARES))
    last = out.strip().splitlines()[-1]
    assert re.fullmatch(r"32-bit peak heap: \d+ B", last), last
    assert re.search(r"sessions at 32 bits: \d+ \(\d+ programs, \d+ scenarios\), share %d/%d" % (share, SHARES),
                     out), out[-3000:]
