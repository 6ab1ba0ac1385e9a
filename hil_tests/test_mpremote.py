"""The simulated board behaves like a real board toward MicroPython's own
tools: the real mpremote (pinned in .venv) stops the firmware, copies files
into the board's littlefs flash, lists and hashes them, runs code and resets
the board; the raw REPL and raw-paste mode speak MicroPython's protocol
byte for byte; and "/" on the board is the flash root, never the host's."""
from __future__ import annotations

import hashlib
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest
import serial

from vacuumctl.simport import SimProcess, start_sim

pytestmark = pytest.mark.usefixtures("needs_sim")

# mpremote's Ctrl-Cs reach the firmware and the waiting REPL as data (no
# SIGINT), so one simulated board takes any number of connections.

MPREMOTE = str(Path(sys.executable).parent / "mpremote")


def _sim(image: Path) -> SimProcess:
    return start_sim(extra=["--flash", str(image)])


def mpremote(port: str, *args: str, timeout_s: float = 60) -> str:
    r = subprocess.run([MPREMOTE, "connect", port, *args], capture_output=True, text=True, timeout=timeout_s)
    assert r.returncode == 0, "mpremote %s failed (%d):\n%s%s" % (" ".join(args), r.returncode, r.stdout, r.stderr)
    return r.stdout


def _read_until(ser: serial.Serial, ending: bytes, timeout_s: float = 10) -> bytes:
    data = b""
    deadline = time.monotonic() + timeout_s
    while not data.endswith(ending):
        assert time.monotonic() < deadline, "no %r in %r" % (ending, data)
        data += ser.read(1)
    return data


def test_mpremote_copies_lists_hashes_and_the_file_stays_in_flash(tmp_path):
    image = tmp_path / "flash.img"
    payload = bytes(range(256)) * 40 + b"end"  # binary, and more than one 256-byte chunk
    local = tmp_path / "blob.bin"
    local.write_bytes(payload)
    sim = _sim(image)
    try:
        out = mpremote(sim.port, "fs", "cp", str(local), ":blob.bin", "+", "fs", "ls", "+",
                       "fs", "sha256sum", ":blob.bin", "+", "fs", "ls", ":/", "+",
                       "exec", "import os; print(os.getcwd(), sorted(os.listdir('/..')))")
        assert "%12d blob.bin" % len(payload) in out
        assert hashlib.sha256(payload).hexdigest() in out
        # The board's root is the flash: the listing holds the board's files only.
        assert "bin/" not in out and "etc/" not in out
        assert "/ ['blob.bin']" in out
    finally:
        sim.stop()
    # Power off and on: the file is in the flash image.
    sim = _sim(image)
    try:
        out = mpremote(sim.port, "fs", "sha256sum", ":/blob.bin")
        assert hashlib.sha256(payload).hexdigest() in out
    finally:
        sim.stop()


def test_raw_repl_and_raw_paste_speak_micropythons_protocol(tmp_path):
    sim = _sim(tmp_path / "flash.img")
    try:
        with serial.Serial(sim.port, 115200, timeout=0.2) as ser:
            ser.write(b"\r\x03")  # stop the firmware
            _read_until(ser, b"firmware stopped")
            ser.write(b"\r\x01")
            _read_until(ser, b"raw REPL; CTRL-B to exit\r\n>")
            ser.write(b"print(6 * 7)\x04")  # plain raw mode
            assert _read_until(ser, b">") == b"OK42\n\x04\x04>"  # (the Unix port prints "\\n")
            ser.write(b"1/0\x04")
            assert b"ZeroDivisionError" in _read_until(ser, b"\x04>")
            ser.write(b"\x05A\x01")  # raw-paste: accepted, window 128, one window free
            assert ser.read(5) == b"R\x01\x80\x00\x01"
            code = b"x = %r\nprint(len(x))\n" % ("y" * 300)
            sent, window = 0, 128 + 128
            while sent < len(code):  # flow control: never more than the window ahead
                n = min(window, len(code) - sent)
                ser.write(code[sent:sent + n])
                sent += n
                window -= n
                while window == 0:
                    assert ser.read(1) == b"\x01"
                    window += 128
            ser.write(b"\x04")
            assert _read_until(ser, b">").lstrip(b"\x01") == b"\x04300\n\x04\x04>"
            ser.write(b"\x04")  # soft reboot from raw mode: back in raw mode, main.py skipped
            assert _read_until(ser, b"raw REPL; CTRL-B to exit\r\n>").startswith(b"OK\r\nMPY: soft reboot\r\n")
            ser.write(b"print(x)\x04")  # the scope went with the reboot
            assert b"NameError" in _read_until(ser, b"\x04>")
            ser.write(b"\x02")
            _read_until(ser, b">>> ")
    finally:
        sim.stop()


def test_ctrl_c_stops_waiting_code_and_a_boot_survives_a_ctrl_c_at_any_point(tmp_path):
    """Code run at the REPL stops at a Ctrl-C (raised at its next wait, where
    the simulator is whole: boards/sim/ctrl_c.py). A Ctrl-C that lands
    anywhere in a reset's boot (the REPL's last code, the firmware's imports,
    its loop) leaves a board that answers: a SIGINT landing in an import's
    file read once left the interpreter's qstr lock held, and the next
    import (after a soft reboot) waited for ever."""
    sim = _sim(tmp_path / "flash.img")
    rng = random.Random(17)
    try:
        with serial.Serial(sim.port, 115200, timeout=0.2) as ser:
            ser.write(b"\r\x03")
            _read_until(ser, b"firmware stopped")
            ser.write(b"\r\x01")
            _read_until(ser, b"raw REPL; CTRL-B to exit\r\n>")
            ser.write(b"import time\nprint('go')\nwhile True:\n time.sleep_ms(10)\n\x04")
            _read_until(ser, b"go\n")
            ser.write(b"\x03")
            assert b"KeyboardInterrupt" in _read_until(ser, b"\x04>")
            for _ in range(20):
                ser.write(b"import machine; machine.reset()\x04")
                time.sleep(rng.random() * 0.1)  # where in the boot the Ctrl-C lands
                ser.write(b"\r\x03\r\x01")
                _read_until(ser, b"raw REPL; CTRL-B to exit\r\n>")
                ser.write(b"\x04")  # and a soft reboot (the import that hung)
                _read_until(ser, b"soft reboot\r\nraw REPL; CTRL-B to exit\r\n>")
    finally:
        sim.stop()


def test_mpremote_reset_boots_main_from_the_flash(tmp_path):
    image = tmp_path / "flash.img"
    main = tmp_path / "main.py"
    main.write_text("booted = 'from flash'\n")
    sim = _sim(image)
    try:
        out = mpremote(sim.port, "fs", "cp", str(main), ":main.py", "+", "reset")
        assert "main.py" in out
    finally:
        sim.stop()
    sim = _sim(image)  # power on: main.py from the flash runs
    try:
        # resume: no soft reboot, so the modules of the boot are still there;
        # then mpremote's own soft reboot is in raw mode and skips main.py, as on a board
        out = mpremote(sim.port, "resume", "exec", "import sys; m = sys.modules['main']; print(m.__file__, m.booted)",
                       "+", "soft-reset", "+", "exec", "import sys; print('main' in sys.modules)")
        assert "/flash/main.py from flash" in out
        assert out.rstrip().endswith("False")
    finally:
        sim.stop()


def test_many_connections_to_one_board_each_stop_the_firmware(tmp_path):
    sim = _sim(tmp_path / "flash.img")
    try:
        for i in range(4):
            # Each connection stops what runs (the firmware after a reset,
            # else the REPL) with its own \r\x03\x03.
            out = mpremote(sim.port, "exec", "print(%d * 7)" % i, "+", "fs", "ls")
            assert str(i * 7) in out
            if i % 2:
                mpremote(sim.port, "reset")  # the firmware boots and runs again
        assert sim.alive()
    finally:
        sim.stop()
