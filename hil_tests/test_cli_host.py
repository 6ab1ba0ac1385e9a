"""The host tool's ports, version, error sentences and Ctrl-C, end to end on
the simulated board (a pseudo-terminal, like a USB serial port)."""
from __future__ import annotations

import csv
import os
import re
import signal
import subprocess
import time
from types import SimpleNamespace

import pytest
import serial

from clirun import VACUUMCTL, WALL_S, vacuumctl, wait_for_line
from devicekit import HumanTerminal, unlock
from ptydevice import PtyDevice
from vacuumctl import cli, frame, ports
from vacuumctl.errors import UserError
from vacuumctl.link import DeviceLink
from vacuumctl.simport import start_sim
from vacuumctl.telemetry import parse_fields



# ---- ports and version ---------------------------------------------------------
def test_ports_recognises_the_simulated_board_by_handshake(pty):
    r = vacuumctl("ports", pty)
    assert r.returncode == 0, r.stdout + r.stderr
    line = next(x for x in r.stdout.splitlines() if x.startswith(pty))
    assert "vacuumfw 0.1.0 protocol=1 board=pico" in line
    assert "not commissioned" in line  # a fresh board runs on its declared figures
    # The handshake leaves the device as a person at a terminal expects it.
    term = HumanTerminal(pty)
    try:
        assert term.command("version").startswith("ok firmware=0.1.0 protocol=1")
    finally:
        term.close()


def test_port_may_be_omitted_with_exactly_one_board(pty, monkeypatch, capsys):
    pico = SimpleNamespace(device=pty, vid=0x2E8A, pid=0x0005, description="Board in FS mode")
    monkeypatch.setattr(ports.list_ports, "comports", lambda: [pico])
    monkeypatch.delenv("VACUUM_PORT", raising=False)
    assert cli.main(["status"]) == 0
    out, err = capsys.readouterr()
    assert "using %s (vacuumfw 0.1.0 protocol=1 board=pico; not commissioned" % pty in err
    assert {x[:18].strip(): x[18:].strip() for x in out.splitlines()}["state"] == "idle"


def test_version_shows_tool_firmware_protocol_and_board(pty):
    r = vacuumctl("--port", pty, "version")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[:4] == ["vacuumctl 0.1.0 (protocol 1)", "firmware  vacuumfw 0.1.0", "protocol  1", "board     pico"]


class ForeignDevice(PtyDevice):
    """A pseudo-terminal that answers the machine-mode handshake like a
    firmware speaking protocol 2 would."""

    def __init__(self, protocol: str):
        self.protocol = protocol
        super().__init__()

    def on_line(self, line: bytes) -> None:
        if frame.is_framed(line):
            f = frame.decode_line(line)
            reply = "ok firmware=9.0.0 protocol=%s board=pico" % self.protocol
            os.write(self.master, frame.encode_frame("<", f.seq, reply))


def test_a_device_speaking_another_protocol_is_refused_with_a_sentence():
    dev = ForeignDevice("2")
    try:
        with pytest.raises(UserError, match="speaks protocol 2 but this vacuumctl 0.1.0 speaks protocol 1: "
                                            "update vacuumctl"):
            DeviceLink.open(dev.path)
        r = vacuumctl("ports", dev.path)
        assert "vacuumfw 9.0.0 protocol=2 board=pico (INCOMPATIBLE" in r.stdout
    finally:
        dev.close()


# ---- errors are sentences --------------------------------------------------------
def test_busy_port_is_a_sentence(pty):
    holder = serial.Serial(pty, exclusive=True)
    try:
        r = vacuumctl("--port", pty, "status")
    finally:
        holder.close()
    assert r.returncode == 1
    assert r.stderr.startswith("vacuumctl: port %s is busy: another program" % pty), r.stderr
    assert "Traceback" not in r.stderr


def test_missing_port_is_a_sentence():
    r = vacuumctl("--port", "/dev/ttyACM_not_there", "status")
    assert r.returncode == 1
    assert "does not exist: is the board plugged in?" in r.stderr and "Traceback" not in r.stderr


def test_device_in_alarm_refuses_run_with_a_sentence(pty):
    with DeviceLink.open(pty) as link:
        unlock(link)
        link.request("selftest exception")
        deadline = time.monotonic() + WALL_S
        while parse_fields(link.request("status"))["alarms"] == "none":
            assert time.monotonic() < deadline
    r = vacuumctl("--port", pty, "run", "continuous", "--target", "30kPa", "--duration", "5")
    assert r.returncode == 1
    assert r.stderr.startswith("vacuumctl: the device is in alarm (internal)"), r.stderr


def test_out_of_range_echoes_the_range_in_kpa(pty):
    r = vacuumctl("--port", pty, "run", "continuous", "--target", "90kPa", "--duration", "5")
    assert r.returncode == 1
    assert "target 90kPa is out of range 1kPa..70kPa (E_RANGE)" in r.stderr, r.stderr


def test_vanished_port_during_monitor_is_a_sentence(needs_sim):
    sim = start_sim("default", speed="max")
    try:
        proc = subprocess.Popen([VACUUMCTL, "--port", sim.port, "monitor"], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        wait_for_line(proc, "vacuum=")
    finally:
        sim.stop()  # the board goes away under the monitor
    _, err = proc.communicate(timeout=WALL_S)
    assert proc.returncode == 1
    assert "the connection to %s was lost" % sim.port in err and "Traceback" not in err, err


# ---- Ctrl-C ------------------------------------------------------------------
def test_ctrl_c_stops_a_host_controlled_run_safely(tmp_path, needs_sim):
    out = tmp_path / "run.csv"
    proc = subprocess.Popen([VACUUMCTL, "--port", "sim", "run", "continuous", "--target", "30kPa",
                             "--duration", "1h", "--csv", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for_line(proc, "started continuous: target 30.00kPa")
    wait_for_line(proc, " run")  # a telemetry line in the run state
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=WALL_S)
    assert proc.returncode == 130, stdout[-500:] + stderr
    assert "Ctrl-C: stopping the session and venting" in stdout
    assert "stopped: pump off, the vent releases to ambient" in stdout
    # The bar stays where the session was stopped: early in an hour.
    last = stdout.rstrip().splitlines()[-2]  # before "telemetry written to ..."
    assert re.search(r"\]\s+0% stopped with 59:\d\d left$", last), stdout[-600:]
    with open(out, newline="") as f:
        rows = list(csv.DictReader(f))
    states = [r["state"] for r in rows]
    assert "run" in states and states[-1] == "idle"
    assert int(rows[-1]["vacuum_pa"]) < 1000  # vented
    run_ms = [int(r["t_ms"]) for r in rows if r["state"] == "run"]
    assert run_ms[-1] - run_ms[0] < 3_600_000  # ended by Ctrl-C, not by the clock


def test_ctrl_c_in_monitor_leaves_a_device_session_running_and_says_so(pty):
    with DeviceLink.open(pty) as link:
        link.request("start continuous target=20kPa duration=1h")
    proc = subprocess.Popen([VACUUMCTL, "--port", pty, "monitor"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    wait_for_line(proc, " run")
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=WALL_S)
    assert proc.returncode == 0, err
    assert "the session on the device keeps running ('vacuumctl stop' ends it)" in err
    with DeviceLink.open(pty) as link:
        assert parse_fields(link.request("status"))["state"] == "run"
        link.request("stop")
