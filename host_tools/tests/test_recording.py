"""recording.Recording, the one telemetry loop of run, monitor and tune,
and tune._collect on it, against a scripted link: the CSV gets every
telemetry line in the columns asked for, Ctrl-C either stops the session
once and goes on until the device is idle or ends the recording, a reboot,
a silent device and a vanished port are sentences."""
from __future__ import annotations

import csv
import io

import pytest

from vacuumctl import recording, tune
from vacuumctl.errors import DeviceLost, DeviceReset, UserError
from vacuumctl.recording import Recording
from vacuumctl.telemetry import Message


class FakeCtrlC:
    def __init__(self, pressed_after: int = 10**6):
        self.calls = 0
        self.pressed_after = pressed_after

    def is_set(self) -> bool:
        self.calls += 1
        return self.calls > self.pressed_after


class ScriptedLink:
    """next_message() plays lines (None: a wait with nothing); request() records."""

    def __init__(self, lines: list[str | None], lost_at_end: bool = False):
        self.script = [None if t is None else Message.from_text(t) for t in lines]
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


def _tel(t: int, state: str = "run") -> str:
    return "tel t_ms=%d vacuum_pa=%d state=%s alarms=none" % (t, 100 + t, state)


def _states(states: list[str]) -> list[str | None]:
    return [_tel(i, s) for i, s in enumerate(states)]


def never(fields: dict, events: list[Message]) -> bool:
    return False


def test_every_telemetry_line_goes_to_the_csv_and_every_message_is_yielded():
    link = ScriptedLink([_tel(0), None, "event session_end reason=done", _tel(10, "idle")])
    out = io.StringIO()
    rec = Recording(link, FakeCtrlC(), writer=csv.writer(out), columns=("t_ms", "vacuum_pa", "state"))  # type: ignore[arg-type]
    seen = [m.kind if m else None for _, m in zip(range(4), rec.messages())]
    assert seen == ["tel", None, "event", "tel"]
    assert list(csv.reader(io.StringIO(out.getvalue()))) == [["0", "100", "run"], ["10", "110", "idle"]]


def test_ctrl_c_stops_once_and_the_recording_goes_on():
    link = ScriptedLink([_tel(0), _tel(10), _tel(20), _tel(30, "idle")])
    stops: list[int] = []
    rec = Recording(link, FakeCtrlC(pressed_after=1), on_ctrl_c=lambda: stops.append(1))  # type: ignore[arg-type]
    got = [m.fields["t_ms"] for _, m in zip(range(4), rec.messages()) if m]
    assert got == [0, 10, 20, 30] and stops == [1] and rec.stopping


def test_ctrl_c_without_a_stop_ends_the_recording():
    link = ScriptedLink([_tel(0), _tel(10), _tel(20)])
    rec = Recording(link, FakeCtrlC(pressed_after=2), silence_s=None, reboot_during=None)  # type: ignore[arg-type]
    assert [m.fields["t_ms"] for m in rec.messages() if m] == [0, 10]
    assert rec.stopping and len(link.script) == 1


def test_a_reboot_is_a_sentence_or_a_message():
    rec = Recording(ScriptedLink([_tel(0), "boot vacuumfw 1.0"]), FakeCtrlC(), reboot_during="the test")  # type: ignore[arg-type]
    with pytest.raises(DeviceReset, match="the device rebooted during the test"):
        list(rec.messages())
    watch = Recording(ScriptedLink(["boot vacuumfw 1.0", _tel(0)]), FakeCtrlC(), reboot_during=None)  # type: ignore[arg-type]
    assert [m.kind for _, m in zip(range(2), watch.messages()) if m] == ["boot", "tel"]


def test_silence_is_a_sentence(monkeypatch: pytest.MonkeyPatch):
    clock = iter(range(0, 1000, 10))  # each look at the clock: 10 s later
    monkeypatch.setattr(recording.time, "monotonic", lambda: next(clock))
    rec = Recording(ScriptedLink([None] * 10), FakeCtrlC())  # type: ignore[arg-type]
    with pytest.raises(UserError, match="telemetry stopped arriving for 30 s"):
        list(rec.messages())


def test_tune_ctrl_c_sends_the_stop_requests_once_and_waits_for_idle():
    link = ScriptedLink(_states(["run", "run", "run", "release", "release", "idle", "idle"]))
    tel, interrupted = tune._collect(link, never, None, FakeCtrlC(pressed_after=2), ("tune abort", "stop"))  # type: ignore[arg-type]
    assert interrupted
    assert link.sent == ["tune abort", "stop"]
    assert [f["state"] for f in tel][-1] == "idle" and len(link.script) == 1


def test_tune_done_ends_the_collection_without_stopping():
    link = ScriptedLink(_states(["run", "idle", "run"]))
    tel, interrupted = tune._collect(link, lambda f, e: f["state"] == "idle", None, FakeCtrlC(), ("stop",))  # type: ignore[arg-type]
    assert not interrupted and link.sent == [] and len(tel) == 2


def test_tune_vanished_port_raises_the_links_sentence():
    link = ScriptedLink(_states(["run"]), lost_at_end=True)
    with pytest.raises(DeviceLost, match="was lost"):
        tune._collect(link, never, None, FakeCtrlC(), ("stop",))  # type: ignore[arg-type]


def test_tune_a_reboot_mid_test_is_reported():
    link = ScriptedLink(_states(["run"]) + ["boot vacuumfw 0.1.0 reset=wdt_reset"])
    with pytest.raises(DeviceReset, match="rebooted during the test"):
        tune._collect(link, never, None, FakeCtrlC(), ("stop",))  # type: ignore[arg-type]
