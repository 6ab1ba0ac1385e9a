"""The dashboard as a technician starts it (``vacuumctl --port P ui``), and
headless Chromium from the system's packages driven by Playwright, for
hil_tests/test_ui_*.py. Playwright's own browser downloads are never used:
the executable is the system's (``make browser`` installs it)."""
from __future__ import annotations

import os
import re
import select
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

VACUUMCTL = str(Path(sys.executable).parent / "vacuumctl")
HOW_TO_ENABLE = ("the dashboard's browser tests need Chromium from the system's packages: run 'make browser' "
                 "(as root on Debian/Ubuntu it runs 'apt-get install chromium'), or set VACUUM_CHROMIUM=/path/to/chromium")
# Flags that work headless as root in a container, with nothing fetched from the network.
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--autoplay-policy=no-user-gesture-required"]
FIRST_LINE = re.compile(r"^ui: (http://127\.0\.0\.1:(\d+)/)$")
WALL_S = 60.0  # a broken run stops here; every assertion waits on device time or the page's state


def chromium_path() -> str | None:
    for exe in (os.environ.get("VACUUM_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser",
                shutil.which("chromium"), shutil.which("chromium-browser")):
        if exe and os.access(exe, os.X_OK):
            return exe
    return None


def need_chromium() -> str:
    """The browser's path; without one a skip that says how to enable the
    tests (on CI a failure: there they must run)."""
    exe = chromium_path()
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("no Chromium on CI: " + HOW_TO_ENABLE)
        pytest.skip(HOW_TO_ENABLE)
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.skip("the browser tests need the playwright package: run 'make venv'")
    return exe


class Dashboard:
    """``vacuumctl --port PORT ui --http-port 0 --no-browser`` in the background."""

    def __init__(self, port: str, *extra: str):
        self.stderr = ""
        self.proc = subprocess.Popen([VACUUMCTL, "--port", port, "ui", "--http-port", "0", "--no-browser", *extra],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
        self.first_line = self._line(30.0)
        m = FIRST_LINE.match(self.first_line)
        if not m:
            self.stop()
            raise AssertionError("vacuumctl ui printed %r first (stderr: %s)" % (self.first_line, self.stderr))
        self.url = m.group(1)
        self.port = int(m.group(2))

    def _line(self, timeout_s: float) -> str:
        assert self.proc.stdout is not None
        r, _, _ = select.select([self.proc.stdout], [], [], timeout_s)
        if not r:
            self.stop()
            raise AssertionError("vacuumctl ui printed nothing for %g s (stderr: %s)" % (timeout_s, self.stderr))
        return self.proc.stdout.readline().rstrip("\n")

    def stop(self) -> tuple[int, str, str]:
        """Ctrl-C, as a technician stops it; its output."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            out, err = self.proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, err = self.proc.communicate()
        self.stderr = err
        return self.proc.returncode, out, err


def device_ms(page) -> int:
    """The device time of the last telemetry line the page has."""
    return int(page.evaluate("VC.state.lastTel ? Number(VC.state.lastTel.t_ms) : -1"))


def wait_device_ms(page, t_ms: int) -> None:
    """Until the page has telemetry from device time t_ms on (polling, with a wall-time guard)."""
    page.wait_for_function("(t) => VC.state.lastTel && Number(VC.state.lastTel.t_ms) >= t", arg=t_ms,
                           timeout=WALL_S * 1000)


def wait_truth(truth, pred, after_ms: int = 0) -> dict:
    """The first ground-truth row (device time > after_ms) for which pred holds."""
    deadline = time.monotonic() + WALL_S
    while time.monotonic() < deadline:
        for row in truth.rows():
            if int(row["t_ms"]) > after_ms and pred(row):
                return row
        time.sleep(0.05)  # polling a growing file, not a test delay
    raise AssertionError("the ground truth never showed it (after t=%d ms)" % after_ms)


def screenshot(page, shots: Path | None, name: str) -> None:
    """Into $VACUUM_UI_SCREENSHOTS (make ui-screenshots: docs/dashboard/) when set."""
    if shots is not None:
        page.screenshot(path=str(shots / name), full_page=False)
