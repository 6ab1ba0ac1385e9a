"""Fixtures that run the firmware on the simulated board (default) or on a
real board (``--port /dev/ttyACM0``) and talk to it through the host tool's
own serial code. Tests assert in device time (the t_ms of telemetry, the
t_ms of the ground-truth CSV), never with wall-clock sleeps; wall-clock
timeouts only stop a broken run from hanging."""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterator

import pytest

import boardrun
from boardstate import BoardKeeper, NotKnownState, is_persistent, serial_path
from devicekit import HumanTerminal, Session, Truth
from vacuumctl.link import DeviceLink
from vacuumctl.simport import SimProcess, start_sim

# A fixture's simulated board between the test's waits: real time (a wait a
# test does not announce still ends, at this pace).
IDLE_SPEED = "1"


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


def _open_session(port: str, scenario: str, tmp_path: Path) -> Iterator[Session]:
    if port == "sim" or port.startswith("sim:"):
        truth_path = tmp_path / "truth.csv"
        # Full speed while the test waits on the board, real time in between
        # (boards/sim/hostgate.py): device time is spent where a test looks.
        link = DeviceLink.open("sim:" + scenario, truth_csv=str(truth_path), idle_speed=IDLE_SPEED)
        truth: Truth | None = Truth(truth_path, link.waiting)
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
