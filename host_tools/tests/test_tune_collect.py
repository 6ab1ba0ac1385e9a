"""tune._collect against a scripted link: Ctrl-C ends the test with the
stop requests and waits for the device to report idle; a vanished port is
the link's sentence."""
from __future__ import annotations

import pytest

from vacuumctl import tune
from vacuumctl.errors import DeviceLost, DeviceReset
from vacuumctl.telemetry import Message


class FakeCtrlC:
    def __init__(self, pressed_after: int):
        self.calls = 0
        self.pressed_after = pressed_after

    def is_set(self) -> bool:
        self.calls += 1
        return self.calls > self.pressed_after


class ScriptedLink:
    """next_message() plays states; request() records what was sent."""

    def __init__(self, states: list[str], lost_at_end: bool = False):
        self.script = [Message.from_text("tel t_ms=%d vacuum_pa=100 state=%s" % (i, s)) for i, s in enumerate(states)]
        self.sent: list[str] = []
        self.lost_at_end = lost_at_end

    def request(self, text: str) -> str:
        self.sent.append(text)
        return "ok"

    def next_message(self, timeout_s: float | None = None) -> Message | None:
        if self.script:
            return self.script.pop(0)
        if self.lost_at_end:
            raise DeviceLost("the connection to /dev/fake was lost (SerialException): was the board unplugged "
                             "or reset? Nothing was re-sent")
        raise AssertionError("read past the script")


def never(fields: dict, events: list[Message]) -> bool:
    return False


def test_ctrl_c_sends_the_stop_requests_once_and_waits_for_idle():
    link = ScriptedLink(["run", "run", "run", "release", "release", "idle", "idle"])
    tel, interrupted = tune._collect(link, never, None, FakeCtrlC(pressed_after=2), ("tune abort", "stop"))  # type: ignore[arg-type]
    assert interrupted
    assert link.sent == ["tune abort", "stop"]
    assert [f["state"] for f in tel][-1] == "idle" and len(link.script) == 1


def test_done_ends_the_collection_without_stopping():
    link = ScriptedLink(["run", "idle", "run"])
    tel, interrupted = tune._collect(link, lambda f, e: f["state"] == "idle", None, FakeCtrlC(10**6), ("stop",))  # type: ignore[arg-type]
    assert not interrupted and link.sent == [] and len(tel) == 2


def test_vanished_port_raises_the_links_sentence():
    link = ScriptedLink(["run"], lost_at_end=True)
    with pytest.raises(DeviceLost, match="was lost"):
        tune._collect(link, never, None, FakeCtrlC(10**6), ("stop",))  # type: ignore[arg-type]


def test_a_reboot_mid_test_is_reported():
    link = ScriptedLink(["run"])
    link.script.append(Message.from_text("boot vacuumfw 0.1.0 reset=wdt_reset"))
    with pytest.raises(DeviceReset, match="rebooted during the test"):
        tune._collect(link, never, None, FakeCtrlC(10**6), ("stop",))  # type: ignore[arg-type]
