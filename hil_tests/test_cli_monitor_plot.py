"""`vacuumctl monitor --plot --plot-file` on the simulated board without a
display: the monitor says why there is no window, carries on as text, and
saves the last window of the session as a PNG at Ctrl-C."""
from __future__ import annotations

import os
import signal
import subprocess

from clirun import VACUUMCTL, WALL_S, wait_for_line
from vacuumctl.link import DeviceLink

def test_monitor_plot_without_display_says_so_and_saves_the_window(pty, tmp_path):
    png = tmp_path / "live.png"
    with DeviceLink.open(pty) as link:
        link.request("start continuous target=225mmHg duration=1h")
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    proc = subprocess.Popen([VACUUMCTL, "--port", pty, "--unit", "mmHg", "monitor", "--plot", "--plot-file", str(png),
                             "--window", "10"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    wait_for_line(proc, "vacuum= 225.0mmHg")  # holding the target, shown in the user's unit
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=WALL_S)
    assert proc.returncode == 0, stderr
    assert stderr.startswith("vacuumctl: no live plot window: there is no display (DISPLAY is not set"), stderr
    assert "last 10 s plotted to %s" % png in stdout
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000
    assert "Traceback" not in stderr
    with DeviceLink.open(pty) as link:
        link.request("stop")
