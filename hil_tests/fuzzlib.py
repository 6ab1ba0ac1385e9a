"""Shared pieces of the serial-protocol fuzz tests (test_fuzz_*.py).

* ``FUZZ`` : hypothesis settings: derandomized (the same cases every run),
  no example database, example count from $FUZZ_EXAMPLES (default 100 in
  ``make test``; ``make fuzz`` runs 5000).
* ``FuzzBoard``: one long-running simulated board per test module, a raw
  serial client with a reader thread (so a flood never fills the pty and
  loses replies), and an incremental reader of the ground-truth CSV.
* ``model_lines``: what the firmware's line reader (serial_link.py) makes
  of a byte stream: complete lines, each ``line``, ``long`` (E_LONG) or
  ``bad`` (E_CHAR). The oracle the tests compare the replies with.
* strategies of bytes and lines that are invalid by construction.
"""
from __future__ import annotations

import importlib.util
import os
import re
import threading
import time
from pathlib import Path

import serial
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from devicekit import FACTORY_CODE
from vacuumctl.simport import SimProcess, start_sim

ROOT = Path(__file__).resolve().parent.parent
FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "100"))
FUZZ = settings(max_examples=FUZZ_EXAMPLES, derandomize=True, database=None, deadline=None,
                suppress_health_check=list(HealthCheck), print_blob=True)

LINE_MAX = 200  # firmware/serial_link.py
CTRL_C = 0x03  # Ctrl-C: the firmware stops at it by design (serial_link.INTERRUPT, docs/protocol.md)
WALL_TIMEOUT_S = 30.0
# Device time per wall second: 20x real time. Most of a fuzz run is the host
# drawing cases and checking replies; at `max` the board simulated that idle
# time too (about 20 min of device time per module, 11 s of CPU), at 20x a
# few minutes, and the modules take the same wall time (the board runs at
# full speed while it is behind, e.g. answering a flood). Nothing here
# depends on device time passing while the host thinks. The launcher keeps
# up to 1 MB of output a busy host has not read yet (as a host's serial
# driver does), so a flood's replies are not lost; it drops only what nobody
# reads at all. FUZZ_SPEED=max runs the board as fast as it goes.
FUZZ_SPEED = os.environ.get("FUZZ_SPEED", "20")
UNLOCK_EVERY = 20  # cases; each lasts seconds of device time at most
UNLOCK_AFTER_MS = 300_000  # and at least every 5 min of device time (the role lasts 10)


def firmware_frame():
    """firmware/frame.py itself (it imports in CPython): the device's own
    request decoder is the oracle for which frames it must refuse."""
    spec = importlib.util.spec_from_file_location("fw_frame", ROOT / "firmware" / "frame.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def command_names() -> set[str]:
    """Every command word the firmware dispatches: the keys of each
    module's ``COMMANDS = {...}`` table (commands.py merges the others,
    e.g. alarm_commands.py's ``hb``)."""
    names: set[str] = set()
    for path in sorted((ROOT / "firmware").glob("*.py")):
        text = path.read_text()
        at = text.find("\nCOMMANDS = {")
        if at >= 0:
            block = text[at:text.index("\n}", at)]
            names |= set(re.findall(r'^    "([a-z]+)": ', block, re.M))
    return names


# ---- the line reader's model ------------------------------------------------
def model_lines(stream: bytes) -> list[tuple[str, bytes]]:
    """Complete lines the firmware's SerialLink (echo off) reads from stream,
    as (kind, text); an unterminated tail is not a line yet."""
    out: list[tuple[str, bytes]] = []
    cur = bytearray()
    long = bad = after_cr = False
    for c in stream:
        if c in (10, 13):
            if c == 10 and after_cr:
                after_cr = False
                continue
            after_cr = c == 13
            if not cur and not long and not bad:
                continue
            out.append(("long" if long else "bad" if bad else "line", bytes(cur)))
            cur = bytearray()
            long = bad = False
            continue
        after_cr = False
        if c == CTRL_C:
            return out  # the firmware stops here (serial_link.INTERRUPT); fuzz input never holds it
        if c < 32 or c > 126:
            bad = True
            continue
        if len(cur) >= LINE_MAX:
            long = True
            continue
        cur.append(c)
    return out


# ---- the board ---------------------------------------------------------------
class FuzzBoard:
    """A simulated board (FUZZ_SPEED), a raw client and its ground truth."""

    def __init__(self, scenario: str, tmp: Path):
        self.truth_path = tmp / "truth.csv"
        self.sim: SimProcess = start_sim(scenario, speed=FUZZ_SPEED, truth_csv=str(self.truth_path))
        self.ser = serial.Serial(self.sim.port, 115200, timeout=0.05)
        self._lines: list[bytes] = []
        self._partial = b""
        self._cv = threading.Condition()
        self._stop = threading.Event()
        self._reader = threading.Thread(target=self._read_loop, daemon=True)
        self._reader.start()
        self._truth_pos = 0
        self._truth_tail = b""
        self._truth_cols: list[str] | None = None
        self.truth_rows = 0
        self.truth_last_ms = 0
        self._unlocked_ms = 0
        self.cases = 0
        self.lines_sent = 0
        self.bytes_sent = 0

    def _read_loop(self) -> None:
        while not self._stop.is_set():
            try:
                data = self.ser.read(65536)
            except (serial.SerialException, OSError, TypeError):
                return
            if not data:
                continue
            with self._cv:
                buf = self._partial + data
                *done, self._partial = buf.split(b"\n")
                self._lines.extend(d.rstrip(b"\r") for d in done)
                self._cv.notify_all()

    def keep_service_role(self) -> None:
        """Human mode: unlock every UNLOCK_EVERY cases, so the service
        commands among the bad lines reach their own validation (the device
        drops the role after 10 min of device time without a service command)."""
        if self.cases % UNLOCK_EVERY and self.truth_last_ms - self._unlocked_ms < UNLOCK_AFTER_MS:
            return
        self.exchange(b"unlock " + FACTORY_CODE.encode() + b"\r\n", lambda ls: any(ln.startswith(b"ok role=service") for ln in ls))
        self._unlocked_ms = self.truth_last_ms

    def mark(self) -> int:
        with self._cv:
            return len(self._lines)

    def send(self, data: bytes) -> None:
        self.ser.write(data)
        self.ser.flush()
        self.bytes_sent += len(data)

    def exchange(self, data: bytes, done) -> list[bytes]:
        """Send data; the lines that follow it, once done(lines) holds."""
        m = self.mark()
        self.send(data)
        return self.wait_lines(m, done)

    def wait_reply(self, data: bytes, prefix: bytes) -> bytes:
        """Send data; the last line that follows it once a line starts with prefix."""
        return self.exchange(data, lambda ls: any(ln.startswith(prefix) for ln in ls))[-1]

    def echo_off(self) -> None:
        """Human mode without the echo of what is sent."""
        self.exchange(b"\r\necho off\r\n", lambda ls: any(ln.endswith(b"ok echo off") for ln in ls))

    def wait_lines(self, since: int, done, timeout_s: float = WALL_TIMEOUT_S) -> list[bytes]:
        """Lines from index since on, once done(lines) holds."""
        deadline = time.monotonic() + timeout_s
        with self._cv:
            while True:
                got = self._lines[since:]
                if done(got):
                    return got
                left = deadline - time.monotonic()
                if left <= 0 or not self.sim.alive():
                    raise AssertionError("device stopped answering; output so far: %r" % got[-20:])
                self._cv.wait(min(left, 0.2))

    def check_truth_safe(self) -> None:
        """Every new ground-truth row: pump off, vent fully open."""
        with open(self.truth_path, "rb") as f:
            f.seek(self._truth_pos)
            data = f.read()
        self._truth_pos += len(data)
        data = self._truth_tail + data
        *rows, self._truth_tail = data.split(b"\n")
        for raw in rows:
            cells = raw.decode().split(",")
            if self._truth_cols is None:
                self._truth_cols = cells
                self._i_t = cells.index("t_ms")
                self._i_pump = cells.index("pump_duty")
                self._i_vent = cells.index("valve_duty")
                continue
            self.truth_rows += 1
            self.truth_last_ms = int(cells[self._i_t])
            assert cells[self._i_pump] == "0" and cells[self._i_vent] == "65535", \
                "outputs left the safe state at t=%s ms: %s" % (cells[self._i_t], raw.decode())

    def close(self) -> None:
        self._stop.set()
        self._reader.join(timeout=1.0)
        self.ser.close()
        self.sim.stop()


CRASH_MARKS = (b"Traceback", b"fatal:", b"interrupted:", b">>>", b"MicroPython", b"boot ", b"err E_INTERNAL", b"  File ")


def assert_no_crash(lines: list[bytes]) -> None:
    """No traceback, fatal error, REPL, reboot banner or E_INTERNAL reply
    (a machine-mode line's "<SEQ "/"!N " prefix is skipped). Replies quote
    the line they refuse, so only line starts count."""
    for ln in lines:
        body = re.sub(rb"^[<!]\d+ ", b"", ln)
        assert not body.startswith(CRASH_MARKS), "device output shows a crash/reset: %r" % ln


# ---- strategies ---------------------------------------------------------------
COMMANDS = command_names()
PRESSURE_UNITS = ("Pa", "kPa", "hPa", "mbar", "mmHg", "inHg", "atm", "cmH2O")
VALID_UNITS = set(PRESSURE_UNITS) | {u.lower() for u in PRESSURE_UNITS} | {"ms", "s", "min", "h", "Hz"}
# Pa per unit, rounded down: an integer above CEILING/pa_per_unit is out of range.
PA_PER_UNIT = {"Pa": 1, "kPa": 1000, "hPa": 100, "mbar": 100, "mmHg": 133, "inHg": 3386, "atm": 101325, "cmH2O": 98}
CEILING_PA = 71_000  # compiled-in absolute maximum (safety.ABS_MAX_VACUUM_PA)

NAN_INF = st.sampled_from(["nan", "NaN", "-nan", "inf", "-inf", "+inf", "Infinity", "INF", "1e999", "1e5",
                           "1E3", "2e-3", "0x1F", "1_000", "--5", "+-3", ".", "-", "1..5", "3,5", ""])


def _typo(unit: str) -> st.SearchStrategy[str]:
    return st.one_of(
        st.just(unit + unit[-1]),
        st.just(unit[:-1]),
        st.just(unit.upper()),
        st.just(" " + unit),
        st.text(alphabet="abcdefghijklmnopqrstuvwxyzAPHgz%", min_size=1, max_size=6),
    ).filter(lambda t: t not in VALID_UNITS)


UNIT_TYPO = st.sampled_from(PRESSURE_UNITS + ("ms", "s", "min", "Hz")).flatmap(_typo)


@st.composite
def bad_pressure(draw) -> str:
    """A pressure token the firmware must refuse (never a valid target)."""
    kind = draw(st.integers(0, 4))
    if kind == 0:  # NaN/inf/exponent spellings with a valid unit
        return draw(NAN_INF) + draw(st.sampled_from(PRESSURE_UNITS))
    if kind == 1:  # a number above the compiled-in ceiling
        unit = draw(st.sampled_from(PRESSURE_UNITS))
        v = draw(st.integers(CEILING_PA // PA_PER_UNIT[unit] + 2, 10 ** 40))
        frac = draw(st.sampled_from(["", ".0", ".5", ".999"]))
        return "%d%s%s" % (v, frac, unit)
    if kind == 2:  # negative
        return "-%d%s" % (draw(st.integers(1, 10 ** 12)), draw(st.sampled_from(PRESSURE_UNITS)))
    if kind == 3:  # unit typo on an in-range number
        return "%d%s" % (draw(st.integers(5, 25)), draw(UNIT_TYPO))
    return str(draw(st.integers(0, 100000)))  # bare number


@st.composite
def bad_duration(draw) -> str:
    kind = draw(st.integers(0, 3))
    if kind == 0:
        return draw(NAN_INF) + draw(st.sampled_from(["ms", "s", "min", "h"]))
    if kind == 1:
        return "%d%s" % (draw(st.integers(10 ** 9, 10 ** 30)), draw(st.sampled_from(["s", "min", "h"])))
    if kind == 2:
        return "%d%s" % (draw(st.integers(5, 25)), draw(UNIT_TYPO))
    return draw(st.sampled_from(["0s", "0ms", "-1s", "5"]))


@st.composite
def bad_command(draw) -> str:
    """A line starting with a real command that the firmware must refuse."""
    prog = draw(st.sampled_from(["continuous", "intermittent", "npwt_continuous", "npwt_intermittent", "pulse"]))
    kind = draw(st.integers(0, 13))
    if kind == 0:
        return "start %s target=%s" % (prog, draw(bad_pressure()))
    if kind == 1:
        return "start continuous target=20kPa duration=%s" % draw(bad_duration())
    if kind == 2:
        return "start continuous target=%s duration=%s" % (draw(bad_pressure()), draw(st.sampled_from(["10s", "1h"])))
    if kind == 3:
        return "set %s %s" % (draw(st.sampled_from(["kp", "ki", "kd"])),
                              draw(st.one_of(st.integers(-10 ** 30, -1).map(str), st.integers(100_000_001, 10 ** 40).map(str),
                                             NAN_INF.filter(lambda s: not s.isdigit()), st.just("5kPa"), st.just("1.5"))))
    if kind == 4:
        return "set %s %s" % (draw(st.sampled_from(["ceiling", "trip", "vacuum", "setpoint", "plant_gain"])), draw(bad_pressure()))
    if kind == 5:
        return "set target %s" % draw(st.one_of(bad_pressure(), st.just("20kPa")))  # no session: E_STATE
    if kind == 6:
        return "tel on %s" % draw(st.sampled_from(["0Hz", "0.05Hz", "201Hz", "1000000Hz", "10", "nanHz", "1e3Hz", "infHz", "-5Hz", "5 Hz", "5Hzz"]))
    if kind == 7:
        return "config set %s %s" % draw(st.sampled_from([
            ("kp", "-1"), ("kp", "4000001"), ("leak_delay", "0s"), ("leak_delay", "11min"), ("cal_gain", "2000000"),
            ("cal_offset", "9000Pa"), ("nope", "1"), ("kp", "nan"), ("leak_delay", "1e999s"), ("cal_offset", "infPa")]))
    if kind == 8:
        return "%s %s" % (draw(st.sampled_from(["mode", "echo"])), draw(st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=8)
                                                                       .filter(lambda w: w not in ("on", "off", "human", "machine"))))
    if kind == 9:
        return "%s %s" % (draw(st.sampled_from(["status", "version", "stop", "clear", "pause", "resume", "next"])),
                          draw(st.text(alphabet="abcxyz019=", min_size=1, max_size=8)))
    if kind == 10:
        return "log %s" % draw(st.sampled_from(["99999", "-1", "x", "1 2", "1e3"]))
    if kind == 11:
        return "start %s" % draw(st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=20).filter(lambda p: p not in PROGRAM_NAMES))
    if kind == 12:
        return "start continuous target=20kPa %s" % draw(st.sampled_from(["target=10kPa", "speed=3", "=5", "target", "ramp=-1s", "ramp=1e9h"]))
    return draw(st.sampled_from(["start", "get", "set", "set kp", "get nothing", "tel", "tel sideways", "mode", "config", "config frob",
                                 "config get", "selftest", "selftest boom", "help nothing", "tune", "tune commit", "flashlog nope"]))


# programs.names() of the firmware
PROGRAM_NAMES = set("continuous intermittent dynamic dotted pulse face_dotted body_sliding cupping_back decompression "
                    "interval_legs npwt_continuous npwt_intermittent npwt_dynamic gradient vacuum_laser roller_laser".split())


def _not_a_command(b: bytes) -> bytes:
    """Random text never starts a line with a real command word (such a
    line gets an "x" in front), so every random line is invalid by
    construction."""
    parts = re.split(rb"(\r|\n)", b)
    for i, part in enumerate(parts):
        first = next((w for w in part.split(b" ") if w), b"")
        if first.decode("latin-1") in COMMANDS:
            parts[i] = b"x" + part
    return b"".join(parts)


RANDOM_BYTES = st.binary(min_size=0, max_size=300).map(lambda b: b.replace(bytes([CTRL_C]), b"")).map(_not_a_command)
PRINTABLE = st.text(alphabet=[chr(c) for c in range(32, 127)], max_size=250).map(lambda s: _not_a_command(s.encode()))
LONG_LINE = st.integers(LINE_MAX + 1, 6000).flatmap(lambda n: st.sampled_from([b"x", b"start continuous target=30kPa ", b"\xff"]).map(lambda p: (p * (n // len(p) + 1))[:n]))
TERMINATOR = st.sampled_from([b"\n", b"\r", b"\r\n"])
