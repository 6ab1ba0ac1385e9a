"""Every reset of the simulated board starts the firmware in the same heap as
the first boot: soft reboots (Ctrl-D), hard resets (machine.reset()) and
watchdog resets leave nothing of the previous run behind that the next one
pays for. boot_loop forgets the firmware's modules and collects; what stays in
the process is the simulator itself, the flash mount and the firmware's
interned names (qstrs: MicroPython never frees them in a running
interpreter, and the next import uses the same ones), so the firmware's own
`get heap_alloc` after each reset matches its first boot (docs/reliability.md)."""
from __future__ import annotations

import pytest
import serial

from portreader import PortReader
from vacuumctl.simport import start_sim

pytestmark = pytest.mark.usefixtures("needs_sim")

RESETS = 9
SLACK_BYTES = 4096  # measured spread between boots: under 2 KB


def _heap_alloc(ser, rd) -> int:
    ser.write(b"get heap_alloc\r")
    line = rd.until(b" unit=bytes").rsplit(b"\r\n", 1)[-1]
    return int(line.split(b"heap_alloc=")[1].split()[0])


def test_resets_of_every_kind_leave_the_heap_as_the_first_boot():
    sim = start_sim()
    try:
        with serial.Serial(sim.port, timeout=0.05) as ser:
            ser.write(b"\r\n")
            rd = PortReader(ser, sim.proc)
            rd.until(b"boot vacuumfw")
            first = _heap_alloc(ser, rd)
            seen = []
            for i in range(RESETS):
                kind = i % 3
                if kind == 0:  # soft reboot
                    ser.write(b"\x03")
                    rd.until(b">>> ")
                    ser.write(b"\x04")
                    rd.until(b"reset=soft_reset")
                elif kind == 1:  # hard reset
                    ser.write(b"\x03")
                    rd.until(b">>> ")
                    ser.write(b"import machine; machine.reset()\r")
                    rd.until(b"reset=hard_reset")
                else:  # a session arms the watchdog, the stopped firmware starves it
                    ser.write(b"start continuous target=20kPa duration=60s\r\x03")
                    rd.until(b"reason=ctrl_c")  # the Ctrl-C stopped the session, the firmware runs on
                    ser.write(b"\x03")  # idle: this one stops the firmware
                    rd.until(b"interrupted: pump off, vent open")
                    rd.until(b"reset=wdt_reset")
                    ser.write(b"clear\r")
                    rd.until(b"ok cleared")
                seen.append(_heap_alloc(ser, rd))
    finally:
        sim.stop()
    print("heap_alloc first boot %d, after each reset %s" % (first, seen))
    assert all(abs(a - first) <= SLACK_BYTES for a in seen), "first boot %d, after each reset %s" % (first, seen)
