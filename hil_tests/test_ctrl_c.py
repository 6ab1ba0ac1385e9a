"""Ctrl-C, again and again, by ground truth. During a session (and while
its release runs) a Ctrl-C means "stop the pump": the session stops as
'stop' does, vented and logged (end=ctrl_c), and the firmware runs on (no
REPL, no watchdog reset). On an idle board it stops the firmware between two
control ticks in the safe state, the board's REPL works (mpremote needs it),
and the firmware comes back (Ctrl-D, or the watchdog after a session).

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

from boardfacts import board_constant
from portreader import PortReader
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


def _wait_pumping(rd) -> tuple[int, bytes]:
    """Wait for a telemetry line well into the ramp (setpoint 2 kPa up) with
    the pump on: the pump runs on every tick then; at its first ticks the PI
    may vent for one against the noise. Returns that line's device time
    (uptime) and everything read, for _pump_ticks."""
    seen = b""
    while True:
        line = rd.until(b"\r\n")
        seen += line
        line = line.strip()
        if line.startswith(b"tel t_ms="):
            f = _tel_fields(line)
            if int(f[b"pump_duty"]) > 0 and int(f[b"setpoint_pa"]) >= 2_000:
                return int(f[b"t_ms"]), seen


def _pump_ticks(seen: bytes) -> dict:
    """Device time -> pump on (duty above 0) for every telemetry line read."""
    ticks = {}
    for line in seen.split(b"\r\n"):
        line = line.strip()
        if line.startswith(b"tel t_ms="):
            f = _tel_fields(line)
            ticks[int(f[b"t_ms"])] = int(f[b"pump_duty"]) > 0
    return ticks


def _event_t_ms(seen: bytes, marker: bytes) -> int:
    line = seen[seen.rindex(marker):]
    return int(line.split(b" t_ms=", 1)[1].split()[0])


def _session_stopped_and_firmware_runs_on(ser, rd, seen: bytes = b"") -> None:
    """After a Ctrl-C in a session: it ends by itself as a stopped one
    (logged), the firmware answers, it never went to its REPL. seen: what
    was read since the Ctrl-C."""
    if b"reason=ctrl_c" not in seen:
        seen += rd.until(b"reason=ctrl_c")
    assert b"interrupted: pump off" not in seen and b"boot vacuumfw" not in seen, seen[-400:]
    ser.write(b"tel off\r")
    rd.until(b"ok tel off")
    ser.write(b"status\r")
    assert b"state=idle" in rd.until(b"role=")
    ser.write(b"log\r")
    count = int(rd.until(b"total=").split(b"count=")[-1].split()[0])
    ser.write(b"log %d\r" % (count - 1))
    assert b"end=ctrl_c" in rd.until(b"stored="), "the therapy log records how it ended"


def _idle_ctrl_c_gives_the_repl_then_the_watchdog_resets(ser, rd) -> None:
    """Idle after a session: Ctrl-C stops the firmware for the REPL; the
    watchdog (armed by the session) resets the board ~1 s later."""
    ser.write(b"\x03")
    rd.until(b"interrupted: pump off, vent open")
    rd.until(b"reset=wdt_reset")
    ser.write(b"clear\r")  # the low 'reset' alarm of a watchdog boot
    rd.until(b"ok cleared")


def test_thirty_ctrl_c_stop_sessions_safely_and_idle_boards_for_the_repl(tmp_path):
    truth = tmp_path / "truth.csv"
    sim = start_sim(truth_csv=str(truth), extra=["--truth-interval-ms", str(TRUTH_STEP_MS)])
    rng = random.Random(6)  # fixed: the same waits every run
    kinds = []
    pumping = []  # ({uptime: pump on} of its telemetry, uptime of the Ctrl-C) per PUMPING round
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
                    ser.write(b"tel on %dHz\r" % CONTROL_HZ)  # a line every tick: the first pumping one is exact
                    rd.until(b"ok tel on %d" % CONTROL_HZ)
                    ser.write(SESSION.encode() + b"\r")
                    idle = rd.until(b"ok started")  # idle ticks: the pump's first start is an edge
                    _, ramp = _wait_pumping(rd)
                    # One write: the firmware reads the line in one tick (its
                    # reply, then that tick's telemetry) and the Ctrl-C in the next.
                    ser.write(b"tel on %dHz\r\x03" % CONTROL_HZ)  # telemetry every tick
                    seen = rd.until(b"event ctrl_c action=session_stopped")
                    seen += rd.until(b"\r\n")
                    after_ok = seen[seen.rindex(b"ok tel on %d" % CONTROL_HZ):]
                    tel = [ln for ln in after_ok.split(b"\r\n") if ln.startswith(b"tel t_ms=")]
                    assert len(tel) == 1, "one tick between the line and the Ctrl-C: %r" % after_ok
                    fields = _tel_fields(tel[0])
                    # Regulating up the ramp (at 100 Hz the PI may vent for a tick
                    # against the noise; the truth shows the pump ran).
                    assert fields[b"state"] == b"run" and int(fields[b"setpoint_pa"]) > 0, tel[0]
                    stopped = _event_t_ms(seen, b"event ctrl_c")
                    # The telemetry of that loop iteration (its tick ran before
                    # the Ctrl-C was read) says 'release'; the next tick's
                    # outputs are off: pump off, vent open.
                    since = b""
                    while True:
                        nxt = rd.until(b"\r\n")
                        since += nxt
                        if nxt.strip().startswith(b"tel t_ms="):
                            f = _tel_fields(nxt.strip())
                            if int(f[b"t_ms"]) > stopped:
                                break
                            assert f[b"state"] == b"release", nxt
                    assert f[b"state"] in (b"release", b"idle") and f[b"pump_duty"] == b"0" and f[b"valve_duty"] == b"65535", nxt
                    assert int(f[b"t_ms"]) == stopped + PERIOD_MS, (nxt, stopped)
                    pumping.append((_pump_ticks(idle + ramp + seen + since), stopped))
                    _session_stopped_and_firmware_runs_on(ser, rd, since)
                    _idle_ctrl_c_gives_the_repl_then_the_watchdog_resets(ser, rd)
                else:  # BEHIND_FLASH_WRITE: `start` writes the therapy log's start record
                    ser.write(SESSION.encode() + b"\r\x03")
                    seen = rd.until(b"event ctrl_c action=session_stopped")
                    assert b"ok started" in seen, seen
                    _session_stopped_and_firmware_runs_on(ser, rd)
                    _idle_ctrl_c_gives_the_repl_then_the_watchdog_resets(ser, rd)
            assert sim.alive()
    finally:
        sim.stop()
    _check_truth(truth.read_text().splitlines(), kinds, pumping)


def _check_truth(lines, kinds, pumping):
    header = lines[0].split(",")
    col = {name: header.index(name) for name in ("t_ms", "pump_duty", "valve_duty", "event")}
    rows = [r.split(",") for r in lines[1:] if r.count(",") >= len(header) - 1]
    t = [int(r[col["t_ms"]]) for r in rows]
    pump = [r[col["pump_duty"]] != "0" for r in rows]
    safe = [r[col["pump_duty"]] == "0" and r[col["valve_duty"]] == "65535" for r in rows]
    sessions = [k for k in kinds if k in (PUMPING, BEHIND_FLASH_WRITE)]
    wdt_rows = [n for n, r in enumerate(rows) if "wdt_reset" in r[col["event"]]]
    # Only the idle Ctrl-C after each session reset the board: the Ctrl-C
    # in the session did not stop the firmware.
    assert len(wdt_rows) == len(sessions), "one watchdog reset per session round (its idle Ctrl-C)"
    pumping_rounds = [n for k, n in zip(sessions, wdt_rows) if k == PUMPING]
    starts = [n for n in range(1, len(rows)) if pump[n] and not pump[n - 1]]
    row_at = {ms: n for n, ms in enumerate(t)}
    for (ticks, stopped), wdt in zip(pumping, pumping_rounds):
        # Device uptime and simulation time differ by a constant within a
        # boot: the one under which the truth's pump matches the telemetry's
        # tick by tick. (Not one edge's: the chip's PWM rounds a duty of a
        # few units to no pulse at all, so a tick the telemetry shows as on
        # can be off in the truth.)
        # The session's ticks: from its first pump start to two after the stop.
        first = min(d for d, on in ticks.items() if on)
        window = {d: on for d, on in ticks.items() if first - PERIOD_MS <= d <= stopped + 3 * PERIOD_MS}
        edges = [d for d, on in window.items() if on and not window.get(d - PERIOD_MS, False)]
        offset, agree = None, -1
        since = max([0] + [n for n in wdt_rows if n < wdt])  # the round's: after the previous reset
        for on in starts:
            if not since < on < wdt:
                continue
            for dev in edges:
                cand = t[on] - dev
                score = sum(1 for d, p in window.items() if d + cand in row_at and pump[row_at[d + cand]] == p)
                if score > agree:
                    offset, agree = cand, score
        assert offset is not None and agree >= 0.95 * len(window), "the truth matches the telemetry (%d of %d ticks)" % (agree, len(window))
        stop_at = stopped + offset
        before = [n for n in range(row_at[first + offset], wdt) if t[n] < stop_at - PERIOD_MS]
        after = [n for n in range(row_at[first + offset], wdt) if t[n] > stop_at + PERIOD_MS + 2 * TRUTH_STEP_MS]
        assert before and after, "the round's truth rows"
        assert any(pump[n] for n in before[-PERIOD_MS * 4:]), "pumping until the Ctrl-C"
        bad = [rows[n] for n in after if not safe[n]]
        assert not bad, "pump off and vent open from the tick after the Ctrl-C on: %s" % bad[:3]
        # From the stop to the idle Ctrl-C and the watchdog: nobody pumped again.
        assert not any(pump[n] for n in after)
