"""Messages that used to be wrong or unhelpful, each as a user meets it:
'config load' without the role names 'config load'; a port that is not a
serial port; an unknown board for deploy lists the boards; a board left at
its MicroPython REPL (by mpremote, or by a Ctrl-C on an idle board) is
soft-reset and answers; 'a session is running'; 'programs' without a board
points at the simulated one."""
from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
import serial

from clirun import vacuumctl
from vacuumctl import cli, ports
from vacuumctl.link import DeviceLink

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
BOARDS = ", ".join(sorted(p.stem for p in (ROOT / "boards").glob("*.py") if p.stem != "manifest"))




def test_config_load_without_the_role_names_config_load(pty, tmp_path):
    f = tmp_path / "c.json"
    f.write_text(json.dumps({"format": "vacuumfw-config", "version": 1, "params": {"kp": 5000}}))
    r = vacuumctl("--port", pty, "config", "load", str(f), "--yes")
    assert r.returncode == 1
    assert "device refused: 'config load' needs the service role. Run 'vacuumctl unlock' first" in r.stderr, r.stderr
    assert "config revert" not in r.stderr


def test_a_file_that_is_not_a_serial_port_is_a_sentence():
    r = vacuumctl("--port", "/dev/null", "status")
    assert r.returncode == 1
    assert r.stderr.startswith("vacuumctl: /dev/null is not a serial port"), r.stderr
    assert "Inappropriate ioctl" not in r.stderr and "(25," not in r.stderr


def test_an_unknown_board_for_deploy_lists_the_boards():
    r = vacuumctl("--port", "/dev/null", "deploy", "--board", "picco")
    assert r.returncode == 1 and "there is no board 'picco'" in r.stderr and BOARDS in r.stderr, r.stderr
    r = subprocess.run(["make", "-s", "deploy", "BOARD=picco", "PORT=/dev/null"], cwd=ROOT, capture_output=True,
                       text=True, timeout=60)
    assert r.returncode != 0 and "there is no board 'picco'" in r.stdout + r.stderr
    assert BOARDS.replace(",", "") in r.stdout + r.stderr  # make lists them space-separated


def test_programs_without_a_board_points_at_the_simulated_board(monkeypatch, capsys):
    monkeypatch.setattr(ports.list_ports, "comports", lambda: [])
    monkeypatch.delenv("VACUUM_PORT", raising=False)
    assert cli.main(["programs"]) == 2
    err = capsys.readouterr().err
    assert "no board running this firmware was found" in err
    assert "'vacuumctl --port sim programs' shows the programs of the simulated board" in err


def test_a_session_is_running_says_so_in_full(pty):
    with DeviceLink.open(pty) as link:
        link.request("start continuous target=20kPa duration=1h")
        from vacuumctl.errors import DeviceError

        with pytest.raises(DeviceError) as e:
            link.request("start continuous target=20kPa")
        assert e.value.message == "a session is running; 'stop' it first"
        link.request("pause")
        with pytest.raises(DeviceError) as e:
            link.request("start continuous target=20kPa")
        assert e.value.message == "a session is paused; 'stop' it first"
        link.request("stop")


def test_a_board_left_at_the_repl_by_mpremote_is_soft_reset_and_answers(pty):
    r = subprocess.run([str(BIN / "mpremote"), "connect", pty, "exec", "print(6 * 7)"], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0 and "42" in r.stdout, r.stderr
    # mpremote leaves the board at its REPL: the firmware does not run.
    r = vacuumctl("ports", pty)
    assert "at its MicroPython REPL" in r.stdout, r.stdout
    r = vacuumctl("--port", pty, "status")
    assert r.returncode == 0, r.stderr
    assert "the board was at its MicroPython REPL" in r.stderr and "soft reset (Ctrl-D)" in r.stderr
    assert r.stdout.startswith("state              idle")
    # Running again, so nothing more to say.
    r = vacuumctl("--port", pty, "status")
    assert r.returncode == 0 and r.stderr == ""


def test_a_board_left_in_the_raw_repl_is_soft_reset_too(pty):
    with serial.Serial(pty, 115200, timeout=0.1) as ser:
        ser.write(b"\r\x03")  # idle: the firmware stops for the REPL
        seen = b""
        deadline = time.monotonic() + 20
        while b">>> " not in seen:
            assert time.monotonic() < deadline, seen
            seen += ser.read(256)
        ser.write(b"\r\x01")  # raw REPL, as a tool that was killed half way leaves it
        while b"raw REPL; CTRL-B to exit\r\n>" not in seen:
            assert time.monotonic() < deadline, seen
            seen += ser.read(256)
    r = vacuumctl("--port", pty, "version")
    assert r.returncode == 0 and "firmware  vacuumfw" in r.stdout, r.stdout + r.stderr
    assert "the board was at its MicroPython REPL" in r.stderr
