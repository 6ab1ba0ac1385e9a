"""`vacuumctl tune` when the technician presses Ctrl-C or the board goes
away mid-test: the session is stopped safely, the tool says so in a
sentence, never a traceback."""
from __future__ import annotations

import csv
import signal
import subprocess
from pathlib import Path

from clirun import VACUUMCTL, WALL_S, wait_for_line
from vacuumctl.link import DeviceLink
from vacuumctl.simport import start_sim
from vacuumctl.telemetry import parse_fields

def _step(port: str, csv_path: Path) -> "subprocess.Popen[str]":
    return subprocess.Popen([VACUUMCTL, "--port", port, "tune", "step", "--target", "30kPa", "--hold", "3600",
                             "--csv", str(csv_path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_ctrl_c_in_tune_step_stops_the_session_and_vents(pty, tmp_path):
    out = tmp_path / "step.csv"
    proc = _step(pty, out)
    wait_for_line(proc, "Ctrl-C stops the test")
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=WALL_S)
    assert proc.returncode == 130, stdout + stderr
    assert "Ctrl-C: stopping the test and venting" in stdout
    assert "step test stopped by Ctrl-C: the device is idle and vented" in stdout
    assert "Traceback" not in stderr, stderr
    with open(out, newline="") as f:
        rows = list(csv.DictReader(f))
    assert rows[-1]["state"] == "idle" and int(rows[-1]["valve_duty"]) == 65535 and int(rows[-1]["pump_duty"]) == 0
    with DeviceLink.open(pty) as link:  # the device agrees: nothing left running
        st = parse_fields(link.request("status"))
    assert st["state"] == "idle" and st["pump_duty"] == 0, st


def test_vanished_port_during_tune_step_is_a_sentence(needs_sim, tmp_path):
    sim = start_sim("default", speed="max")
    try:
        proc = _step(sim.port, tmp_path / "step.csv")
        wait_for_line(proc, "Ctrl-C stops the test")
    finally:
        sim.stop()  # the board goes away under the test
    _, err = proc.communicate(timeout=WALL_S)
    assert proc.returncode == 1, err
    assert "the connection to %s was lost" % sim.port in err and "Traceback" not in err, err
