"""The known-state fixture (hil_tests/boardstate.py) on a simulated board
that keeps its state, as a real one does: everything a test can leave behind
is undone and checked; a board that cannot be brought there fails with a
sentence that says what was found. Each test has its own registry and board."""
from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path
from typing import Iterator

import pytest

from boardstate import BoardKeeper, NotKnownState, serial_path
from clirun import vacuumctl
from devicekit import FACTORY_CODE, HumanTerminal
from vacuumctl.link import DeviceLink
from vacuumctl.telemetry import parse_fields

pytestmark = pytest.mark.usefixtures("needs_sim")



@pytest.fixture
def board(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> Iterator[str]:
    """A detached simulated board (sim@NAME) of this test's own, ended afterwards."""
    reg = tmp_path / "registry"
    monkeypatch.setenv("VACUUM_SIM_REGISTRY", str(reg))
    scenario = getattr(request, "param", "default")
    r = vacuumctl("sim", scenario, "--detach", "--name", "kept", "--speed", "20")
    assert r.returncode == 0, r.stdout + r.stderr
    yield "sim@kept"
    for entry in reg.glob("*.json"):
        try:
            os.kill(json.loads(entry.read_text())["pid"], signal.SIGTERM)
        except (OSError, ValueError, KeyError):
            pass


def _wait_for_alarm(link: DeviceLink, name: str) -> None:
    """Read the device's lines until it raises alarm NAME (a liveness guard:
    the board runs at 20x, so its seconds are well within it)."""
    seen = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        msg = link.next_message(timeout_s=1)
        if msg is not None:
            seen.append(msg.text)
            if msg.kind == "alarm" and name in msg.text:
                return
    raise AssertionError("no %r alarm; last lines: %r" % (name, seen[-5:]))


def test_what_tests_leave_behind_is_undone_and_checked(board):
    keeper = BoardKeeper(board)
    keeper.bring_to_known_state()  # the run's start: its configuration is the baseline
    with DeviceLink.open(board) as link:
        link.request("unlock " + FACTORY_CODE)
        link.request("config set leak_delay 3min")
        link.request("config commit")  # committed: must be put back
        link.request("config set kp 5000")  # staged: must be dropped
        link.request("set tau 100ms")  # running value only: must be restored
        link.request("tel on 50Hz")
        link.request("start continuous target=20kPa duration=60s heartbeat=1s")
        # The host's heartbeat lapses (any command would renew it: only read)
        # and the session ends with the latched 'host' alarm.
        _wait_for_alarm(link, "host")
        # machine mode, the service role, telemetry on and the alarm are all left as they are
    keeper.bring_to_known_state()
    # Left in human mode: a person's terminal gets the answer to its own first line.
    term = HumanTerminal(serial_path(board))
    try:
        assert term.command("version").startswith("ok firmware=")
    finally:
        term.close()
    with DeviceLink.open(board) as link:
        st = parse_fields(link.request("status"))
        assert (st["state"], st["alarms"], st["role"], st["pump_duty"], st["valve_duty"]) == (
            "idle", "none", "therapist", 0, 65535), st
        cfg = parse_fields(link.request("config show"))
        assert cfg["leak_delay"] == "4000ms" and cfg["kp"] == 0 and cfg["staged_changes"] == 0, cfg
        assert link.request("get tau") == "tau=25 unit=ms" and link.request("get scheduled").startswith("scheduled=1")
        audit = link.request("config audit 20")
        assert "leak_delay 180000->4000" in audit, audit
    assert {"alarms cleared", "staged configuration reverted", "running gains restored"} <= set(keeper.fixes), keeper.fixes
    assert any(k.startswith("configuration restored (leak_delay)") for k in keeper.fixes), keeper.fixes


def test_nothing_to_undo_touches_nothing(board):
    keeper = BoardKeeper(board)
    keeper.bring_to_known_state()
    with DeviceLink.open(board) as link:
        before = link.request("config audit 20")
    keeper.bring_to_known_state()
    keeper.make_safe()
    with DeviceLink.open(board) as link:
        assert link.request("config audit 20") == before  # no unlock, no lock: no flash writes
    assert keeper.fixes == {}


@pytest.mark.parametrize("board", ["fault_sensor_disconnect"], indirect=True)
def test_a_board_that_cannot_get_there_fails_with_what_was_found(board):
    keeper = BoardKeeper(board)
    with DeviceLink.open(board) as link:
        deadline = time.monotonic() + 60  # the sensor stops answering at 8 s of device time (0.4 s at 20x)
        while "sensor" not in str(parse_fields(link.request("status"))["alarms"]):
            assert time.monotonic() < deadline, "no sensor alarm"
    with pytest.raises(NotKnownState) as e:
        keeper.bring_to_known_state()
    msg = str(e.value)
    assert "could not be brought to the known state before the test" in msg and "alarms=sensor" in msg, msg
    assert "check the sensor's wiring" in msg, msg
