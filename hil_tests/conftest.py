"""Fixtures that run the firmware on the simulated board (default) or on a
real board (``--port /dev/ttyACM0``) and talk to it through the host tool's
own serial code. Tests assert in device time (the t_ms of telemetry, the
t_ms of the ground-truth CSV), never with wall-clock sleeps; wall-clock
timeouts only stop a broken run from hanging."""
from __future__ import annotations

import csv
import time
from pathlib import Path
from typing import Callable, Iterator

import pytest
import serial

import boardrun
from boardstate import FACTORY_CODE, BoardKeeper, NotKnownState, is_persistent, serial_path
from vacuumctl.link import DeviceLink
from vacuumctl.simport import SimProcess, start_sim
from vacuumctl.telemetry import Message

WALL_TIMEOUT_S = 60.0
ROOT = Path(__file__).resolve().parents[1]


def board_constant(board: str, name: str) -> int:
    """An integer constant of boards/<board>.py (read as text: the file is
    MicroPython), e.g. board_constant("pico", "CONTROL_HZ")."""
    import re

    m = re.search(r"^%s\s*=\s*const\(([\d_]+)\)" % name, (ROOT / "boards" / (board + ".py")).read_text(), re.M)
    assert m, "boards/%s.py has no %s = const(N)" % (board, name)
    return int(m.group(1).replace("_", ""))


def period_ms(board: str = "pico") -> int:
    """The board's control period (the default scenario's board is the pico)."""
    return 1000 // board_constant(board, "CONTROL_HZ")


def unlock(link: DeviceLink) -> None:
    """Enter the service role (set, config changes, tune auto, selftest)."""
    assert link.request("unlock " + FACTORY_CODE).startswith("role=service")


@pytest.fixture(autouse=True)
def _no_service_code_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    # The host tool unlocks by itself when this is set; tests say when.
    monkeypatch.delenv("VACUUMCTL_SERVICE_CODE", raising=False)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--port", default="sim", help="sim (default: a fresh simulated board per test), a board that "
                     "keeps its state (a serial device with the firmware, or sim@NAME: a detached simulated board)")
    parser.addoption("--long", action="store_true", help="on a board that keeps its state, also run the tests marked "
                     "long (minutes of real time each)")
    parser.addoption("--board-times-out", default="", help="write each board test's measured device and wall "
                     "time to this JSON file (the estimate table: hil_tests/board_times.json)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "long(reason): minutes of device time; left out of the hardware selection "
                            "on a board that keeps its state unless --long")
    config.addinivalue_line("markers", "sim_only(reason): runs on the simulated board only (skipped at collection "
                            "on any other port, with the reason)")
    boardrun.configure(config)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    boardrun.select(config, items)


def pytest_collection_finish(session: pytest.Session) -> None:
    boardrun.announce(session)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    boardrun.record(report)


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:  # noqa: ANN001
    boardrun.summary(terminalreporter, config)


@pytest.fixture(scope="session")
def port(request: pytest.FixtureRequest) -> str:
    return str(request.config.getoption("--port"))


@pytest.fixture(scope="session")
def _board_keeper(port: str) -> Iterator[BoardKeeper | None]:
    keeper = BoardKeeper(port) if is_persistent(port) else None
    boardrun.KEEPER[0] = keeper
    yield keeper
    if keeper is not None:
        keeper.make_safe()


@pytest.fixture(autouse=True)
def _board_in_known_state(request: pytest.FixtureRequest) -> Iterator[None]:
    """On a board that keeps its state (a real board, sim@NAME): before each
    test that uses it, bring it to the known state and check it
    (hil_tests/boardstate.py); after the test, stop and vent it and note the
    device time the test took (the estimate table)."""
    if not boardrun.uses_board(request.node) or not is_persistent(str(request.config.getoption("--port"))):
        yield
        return
    keeper: BoardKeeper = request.getfixturevalue("_board_keeper")
    why = ""
    try:
        t0 = keeper.bring_to_known_state()
    except NotKnownState as e:
        why = str(e)
    if why:
        pytest.fail(why, pytrace=False)
    yield
    t1 = keeper.make_safe()
    boardrun.note_time(request.node.nodeid, None if t1 is None or t1 < t0 else t1 - t0)


@pytest.fixture
def needs_sim(port: str) -> None:
    if port != "sim":
        pytest.skip("needs fault injection or ground truth: simulated board only")


@pytest.fixture
def pty(needs_sim: None) -> Iterator[str]:
    """A simulated board running in the background as fast as it can; its pseudo-terminal path."""
    sim = start_sim("default", speed="max")
    try:
        yield sim.port
    finally:
        sim.stop()


class Truth:
    """Reads the simulated board's ground-truth CSV as it grows."""

    def __init__(self, path: Path):
        self.path = path

    def rows(self) -> list[dict[str, str]]:
        if not self.path.exists():
            return []
        with open(self.path, newline="") as f:
            rows = list(csv.DictReader(f))
        # The last line may be half written.
        return [r for r in rows if r.get("event") is not None]

    def wait_until(self, t_ms: int) -> list[dict[str, str]]:
        """Rows up to device time t_ms (the simulation runs on meanwhile)."""
        deadline = time.monotonic() + WALL_TIMEOUT_S
        last = -1
        while time.monotonic() < deadline:
            rows = self.rows()
            if rows and int(rows[-1]["t_ms"]) >= t_ms:
                return [r for r in rows if int(r["t_ms"]) <= t_ms]
            if rows and int(rows[-1]["t_ms"]) > last:  # progress: a slow machine is not a stall
                last = int(rows[-1]["t_ms"])
                deadline = time.monotonic() + WALL_TIMEOUT_S
            time.sleep(0.02)  # polling a file, not a test delay
        raise AssertionError("simulation did not reach t=%d ms" % t_ms)


class Session:
    """A connected device plus helpers to collect telemetry in device time."""

    def __init__(self, link: DeviceLink, truth: Truth | None):
        self.link = link
        self.truth = truth

    def request(self, text: str) -> str:
        return self.link.request(text)

    def unlock(self) -> None:
        unlock(self.link)

    def telemetry_until(self, stop: Callable[[dict], bool], max_device_ms: int,
                        on_msg: Callable[[Message], None] | None = None) -> list[dict]:
        """Collect telemetry until stop(fields) or max_device_ms of device
        time have passed since the first line."""
        out: list[dict] = []
        t0: int | None = None
        # A liveness guard, not a time limit: the deadline moves with every
        # message, so a slow (loaded) machine is not a failure, a silent link is.
        deadline = time.monotonic() + WALL_TIMEOUT_S
        while time.monotonic() < deadline:
            try:
                msg = self.link.messages.get(timeout=1.0)
            except Exception:  # noqa: BLE001 - queue.Empty
                continue
            deadline = time.monotonic() + WALL_TIMEOUT_S
            if on_msg:
                on_msg(msg)
            if msg.kind != "tel":
                continue
            f = msg.fields
            out.append(f)
            t = int(f["t_ms"])
            t0 = t if t0 is None else t0
            if stop(f) or t - t0 >= max_device_ms:
                return out
        raise AssertionError("no telemetry for %s s of wall time" % WALL_TIMEOUT_S)


    def run_to_end(self, start_line: str, max_ms: int) -> list[dict]:
        """Start a session with 50 Hz telemetry and collect it until the
        session has ended by itself and the device is idle again."""
        self.request("tel on 50Hz")
        self.request(start_line)
        ended: list[Message] = []

        def note(msg: Message) -> None:
            if msg.kind == "event" and "session_end" in msg.text:
                ended.append(msg)

        tel = self.telemetry_until(lambda f: bool(ended) and f["state"] == "idle", max_ms, on_msg=note)
        assert ended, "session did not end by itself"
        return tel

    def wait_message(self, pred: Callable[[Message], bool]) -> Message:
        """The next unsolicited message for which pred() holds."""
        deadline = time.monotonic() + WALL_TIMEOUT_S
        while time.monotonic() < deadline:
            try:
                msg = self.link.messages.get(timeout=1.0)
            except Exception:  # noqa: BLE001 - queue.Empty
                continue
            if pred(msg):
                return msg
        raise AssertionError("expected message did not arrive")


def _open_session(port: str, scenario: str, tmp_path: Path) -> Iterator[Session]:
    if port == "sim" or port.startswith("sim:"):
        truth_path = tmp_path / "truth.csv"
        link = DeviceLink.open("sim:" + scenario, truth_csv=str(truth_path))
        truth: Truth | None = Truth(truth_path)
    else:
        link = DeviceLink.open(port)
        truth = None
    try:
        yield Session(link, truth)
    finally:
        for line in ("stop", "tel off"):
            try:
                link.request(line)
            except Exception:  # noqa: BLE001 - no session to stop, or the device is gone on purpose
                pass
        if link.sim is None:
            # A board that stays: human mode, as vacuumctl leaves it, so the next
            # opener's unframed 'mode machine' is not refused as a bad frame (a retry).
            try:
                link.leave_machine_mode()
            except Exception:  # noqa: BLE001
                pass
        link.close()


@pytest.fixture
def device(port: str, tmp_path: Path) -> Iterator[Session]:
    """The firmware on the default body-cup scenario (or a real board)."""
    yield from _open_session(port, "default", tmp_path)


@pytest.fixture
def open_device(port: str, tmp_path: Path) -> Callable[[str], Session]:
    """Factory for a device on a named scenario (simulated board only)."""
    opened: list[Iterator[Session]] = []

    def make(scenario: str) -> Session:
        if port != "sim":
            pytest.skip("scenario %s needs the simulated board" % scenario)
        gen = _open_session(port, scenario, tmp_path)
        opened.append(gen)
        return next(gen)

    yield make
    for gen in opened:
        for _ in gen:
            pass


class HumanTerminal:
    """A person at a plain serial terminal: raw bytes in, lines out."""

    def __init__(self, path: str):
        self.ser = serial.Serial(path, 115200, timeout=0.05)
        self.ser.reset_input_buffer()
        self._buf = b""

    def send(self, data: bytes) -> None:
        self.ser.write(data)
        self.ser.flush()

    def reply(self, timeout_s: float = 10.0) -> str:
        """The next line that starts with ok or err (echo and telemetry skipped)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            while b"\n" in self._buf:
                line, self._buf = self._buf.split(b"\n", 1)
                text = line.decode(errors="replace").strip()
                if text.startswith("ok") or text.startswith("err"):
                    return text
            self._buf += self.ser.read(4096)
        raise AssertionError("no ok/err reply")

    def command(self, line: str | bytes) -> str:
        data = line if isinstance(line, bytes) else line.encode()
        self.send(data + b"\r\n")
        return self.reply()

    def read_for(self, pattern: str, timeout_s: float = 10.0) -> str:
        deadline = time.monotonic() + timeout_s
        seen = b""
        while time.monotonic() < deadline:
            seen += self.ser.read(4096)
            if pattern.encode() in seen:
                return seen.decode(errors="replace")
        raise AssertionError("did not see %r in %r" % (pattern, seen[-500:]))

    def close(self) -> None:
        self.ser.close()


@pytest.fixture
def terminal(port: str) -> Iterator[HumanTerminal]:
    """Raw human-mode access; on the sim a fresh board per test."""
    sim: SimProcess | None = None
    path = serial_path(port)
    if port == "sim":
        sim = start_sim("default")
        path = sim.port
    term = HumanTerminal(path)
    term.send(b"\r\n")  # end any half-typed line
    try:
        yield term
    finally:
        term.close()
        if sim:
            sim.stop()
