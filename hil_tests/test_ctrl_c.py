"""Ctrl-C, again and again: the board survives every one, stops in the safe
state, its REPL can allocate afterwards, and Ctrl-D brings the firmware back.

Found with this test: a Ctrl-C landing just after heap_lock() or at the jump
out of the tick's try (where the VM skips the finally) left the heap locked;
the REPL then died of MemoryError at the next Ctrl-C (about 1 simulated board
in 7 within 30 Ctrl-Cs). app.main now releases every lock level
(firmware/heapguard.py).

Known residual, not fixed: a Ctrl-C that lands inside a garbage collection
can corrupt the interpreter's heap (seen: a TypeError from a format string in
the simulator, or a crash), roughly 1 run of this test in 5. That is below
the firmware (the MicroPython VM); the test then reports xfail, and fails
outright if the board dies of a locked heap again."""
from __future__ import annotations

import random
import time

import pytest
import serial

from vacuumctl.simport import start_sim

pytestmark = pytest.mark.usefixtures("needs_sim")

ROUNDS = 30


class _Reader:
    """Reads the port up to a marker, keeping what follows it for the next call."""

    def __init__(self, ser: serial.Serial, proc):
        self.ser = ser
        self.proc = proc
        self.data = b""

    def until(self, marker: bytes, timeout_s: float = 20) -> bytes:
        deadline = time.monotonic() + timeout_s
        while marker not in self.data:
            assert self.proc.poll() is None, "the simulated board exited (status %s) after %r" % (self.proc.returncode, self.data[-300:])
            assert time.monotonic() < deadline, "no %r in %r" % (marker, self.data[-300:])
            try:
                self.data += self.ser.read(self.ser.in_waiting or 1)
            except serial.SerialException:  # the pty closed: the launcher's child died
                raise AssertionError("the simulated board exited after %r" % self.data[-300:]) from None
        i = self.data.index(marker) + len(marker)
        seen, self.data = self.data[:i], self.data[i:]
        return seen


def test_thirty_ctrl_c_each_stops_safe_and_the_repl_still_allocates(tmp_path):
    truth = tmp_path / "truth.csv"
    sim = start_sim(truth_csv=str(truth))
    try:
        _rounds(sim, truth)
    except AssertionError as e:
        if "heap is locked" in str(e) or "exited" not in str(e):
            raise
        pytest.xfail("the board died of a Ctrl-C inside a garbage collection (interpreter, see the module docstring): %s" % str(e)[-200:])


def _rounds(sim, truth):
    rng = random.Random(6)  # fixed: the same landing points every run
    try:
        with serial.Serial(sim.port, timeout=0.05) as ser:
            ser.write(b"\r\n")  # the launcher holds device time until the host's first byte
            rd = _Reader(ser, sim.proc)
            rd.until(b"boot vacuumfw")
            for i in range(ROUNDS):
                # Let the loop run a little so the Ctrl-C lands somewhere
                # else in the tick each round.
                time.sleep(rng.random() * 0.05)
                ser.write(b"\x03")
                # The launcher sends SIGINT (stops the firmware) and the byte,
                # which the REPL then reads as a Ctrl-C of its own.
                rd.until(b"interrupted: pump off, vent open")
                rd.until(b">>> ")
                ser.write(b"print(len(bytearray(40)) + %d)\r" % i)  # after the byte: never cleared by it
                rd.until(b"%d\n>>> " % (40 + i))  # allocates: the heap is unlocked
                ser.write(b"\x04")  # soft reboot: the firmware runs again
                rd.until(b"reset=soft_reset")
            assert sim.alive()
    finally:
        sim.stop()
    rows = [r for r in truth.read_text().splitlines()[1:] if r.count(",") >= 4]
    assert rows
    for r in rows:
        f = r.split(",")
        assert f[3] == "0" and f[4] == "65535", "pump off and vent open throughout: %s" % r
