"""Driving the simulated board's serial port byte by byte: a reader that
waits for markers (and notices a board that died), and the watchdog reset
that follows a session whose firmware was stopped."""
from __future__ import annotations

import time

import serial


class PortReader:
    """Reads the port up to a marker, keeping what follows it for the next call."""

    def __init__(self, ser: serial.Serial, proc):
        self.ser = ser
        self.proc = proc
        self.data = b""

    def until(self, marker: bytes, timeout_s: float = 30) -> bytes:
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


def after_watchdog(ser, rd):
    """A session armed the watchdog: the stopped firmware no longer feeds it
    and the board resets ~1 s later; the session cut short is reported from
    the therapy log on flash (its start record was written whole)."""
    boot = rd.until(b"reset=wdt_reset")
    rd.until(b"event session_interrupted")
    ser.write(b"clear\r")
    rd.until(b"ok cleared")
    return boot
