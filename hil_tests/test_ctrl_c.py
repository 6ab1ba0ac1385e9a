"""Ctrl-C, again and again: every one stops the firmware between two control
ticks in the safe state, the board's REPL works afterwards, and the firmware
comes back (Ctrl-D, or the watchdog after a session).

The firmware reads Ctrl-C as data (micropython.kbd_intr(-1) while it runs;
serial_link.INTERRUPT): no KeyboardInterrupt can land inside the heap-locked
tick, a flash write or a garbage collection, so the outcome of every round is
deterministic. The rounds mix the ways a Ctrl-C arrives: alone while idle, in
the middle of a typed line, twice in quick succession (the second one reaches
the REPL or the boot in between), behind a `start` whose therapy-log flash
write it must wait for, and during a pumping session."""
from __future__ import annotations

import random
import time

import pytest
import serial

from conftest import board_constant
from portreader import PortReader, after_watchdog
from vacuumctl.simport import start_sim

pytestmark = pytest.mark.usefixtures("needs_sim")

ROUNDS = 30
CONTROL_HZ = board_constant("pico", "CONTROL_HZ")
PERIOD_MS = 1000 // CONTROL_HZ
WDT_TIMEOUT_MS = board_constant("pico", "WDT_TIMEOUT_MS")
TRUTH_STEP_MS = 1  # --truth-interval-ms, and the physics step
IDLE, MID_LINE, TWICE, PUMPING, BEHIND_FLASH_WRITE = range(5)
SESSION = "start continuous target=40kPa ramp=10s duration=60s"


def _at_repl_then_soft_reboot(ser, rd, i):
    rd.until(b">>> ")
    ser.write(b"print(len(bytearray(40)) + %d)\r" % i)  # the REPL allocates and runs code
    rd.until(b"%d\n>>> " % (40 + i))
    ser.write(b"\x04")
    rd.until(b"reset=soft_reset")


def _tel_fields(line: bytes) -> dict:
    return dict(f.split(b"=", 1) for f in line.split()[1:])


def _wait_pumping(rd):
    # Well into the ramp (setpoint 2 kPa up): the pump runs on every tick
    # then; at its first ticks the PI may vent for one against the noise.
    while True:
        line = rd.until(b"\r\n").strip()
        if line.startswith(b"tel t_ms="):
            f = _tel_fields(line)
            if int(f[b"pump_duty"]) > 0 and int(f[b"setpoint_pa"]) >= 2_000:
                return


def test_thirty_ctrl_c_each_stops_safe_between_ticks_and_the_board_comes_back(tmp_path):
    truth = tmp_path / "truth.csv"
    sim = start_sim(truth_csv=str(truth), extra=["--truth-interval-ms", str(TRUTH_STEP_MS)])
    rng = random.Random(6)  # fixed: the same waits every run
    kinds = []
    try:
        with serial.Serial(sim.port, timeout=0.05) as ser:
            ser.write(b"\r\n")  # the launcher holds device time until the host's first byte
            rd = PortReader(ser, sim.proc)
            rd.until(b"boot vacuumfw")
            for i in range(ROUNDS):
                kind = i % 5
                kinds.append(kind)
                time.sleep(rng.random() * 0.03)  # the firmware runs on meanwhile
                if kind == IDLE:
                    ser.write(b"\x03")
                    rd.until(b"interrupted: pump off, vent open")
                    _at_repl_then_soft_reboot(ser, rd, i)
                elif kind == MID_LINE:
                    ser.write(b"start contin")
                    rd.until(b"start contin")  # echoed: the firmware holds half a line
                    ser.write(b"\x03")
                    seen = rd.until(b"interrupted: pump off, vent open")
                    assert b"ok " not in seen and b"err " not in seen, "the half line was executed: %r" % seen
                    _at_repl_then_soft_reboot(ser, rd, i)
                elif kind == TWICE:
                    ser.write(b"\x03")
                    time.sleep(rng.random() * 0.02)
                    ser.write(b"\x03")
                    rd.until(b"interrupted: pump off, vent open")
                    # The second one clears the REPL's line (or stops the
                    # boot on the way to it); the REPL then answers.
                    rd.until(b"KeyboardInterrupt")
                    _at_repl_then_soft_reboot(ser, rd, i)
                elif kind == PUMPING:
                    ser.write(SESSION.encode() + b"\r")
                    rd.until(b"ok started")
                    ser.write(b"tel on 20Hz\r")
                    _wait_pumping(rd)
                    # One write: the firmware reads the line in one tick (its
                    # reply, then that tick's telemetry) and the Ctrl-C in the next.
                    ser.write(b"tel on %dHz\r\x03" % CONTROL_HZ)  # telemetry every tick
                    seen = rd.until(b"interrupted: pump off, vent open")
                    after_ok = seen[seen.rindex(b"ok tel on %d" % CONTROL_HZ):]
                    tel = [ln for ln in after_ok.split(b"\r\n") if ln.startswith(b"tel t_ms=")]
                    assert len(tel) == 1, "one tick between the line and the Ctrl-C: %r" % after_ok
                    fields = _tel_fields(tel[0])
                    # Regulating up the ramp (at 100 Hz the PI may vent for a
                    # tick against the noise; the truth shows the pump ran).
                    assert fields[b"state"] == b"run" and int(fields[b"setpoint_pa"]) > 0, tel[0]
                    after_watchdog(ser, rd)
                else:  # BEHIND_FLASH_WRITE: `start` writes the therapy log's start record
                    ser.write(SESSION.encode() + b"\r\x03")
                    seen = rd.until(b"interrupted: pump off, vent open")
                    assert b"ok started" in seen, seen
                    after_watchdog(ser, rd)
            assert sim.alive()
    finally:
        sim.stop()
    _check_truth(truth.read_text().splitlines(), kinds)


def _check_truth(lines, kinds):
    header = lines[0].split(",")
    col = {name: header.index(name) for name in ("t_ms", "pump_duty", "valve_duty", "event")}
    rows = [r.split(",") for r in lines[1:] if r.count(",") >= len(header) - 1]
    sessions = [k for k in kinds if k in (PUMPING, BEHIND_FLASH_WRITE)]
    wdt_rows = [n for n, r in enumerate(rows) if "wdt_reset" in r[col["event"]]]
    assert len(wdt_rows) == len(sessions), "one watchdog reset per stopped session"
    for kind, n in zip(sessions, wdt_rows):
        # The last loop iteration fed the watchdog, read the Ctrl-C and made
        # the outputs safe at one device time: the watchdog fired exactly
        # WDT_TIMEOUT_MS later.
        stopped_ms = int(rows[n][col["t_ms"]]) - WDT_TIMEOUT_MS
        before = [r for r in rows[:n] if int(r[col["t_ms"]]) < stopped_ms - PERIOD_MS]
        after = [r for r in rows[:n] if int(r[col["t_ms"]]) > stopped_ms + 2 * TRUTH_STEP_MS]
        assert after, "the board sat in its REPL before the watchdog reset"
        for r in after:
            assert r[col["pump_duty"]] == "0" and r[col["valve_duty"]] == "65535", "safe from the Ctrl-C on: %s" % r
        if kind == PUMPING:
            assert any(r[col["pump_duty"]] != "0" for r in before[-PERIOD_MS * 4:]), "pumping until the Ctrl-C"
