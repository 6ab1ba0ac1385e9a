"""The host side of protocol robustness (docs/protocol.md), against a
scripted device on a pseudo-terminal: a lost reply is retried with the same
sequence number (the device answers from its cache, so nothing runs twice),
a damaged request (E_FRAME, nothing executed) is resent, and a device that
reboots while a request is pending is reported, never re-sent, and resynced."""
from __future__ import annotations

import os
from collections import Counter
from typing import Iterator

import pytest
from ptydevice import PtyDevice

from vacuumctl import frame
from vacuumctl.errors import DeviceReset
from vacuumctl.link import DeviceLink


class ScriptedDevice(PtyDevice):
    """Answers framed requests like the firmware, with faults on request:
    drop_reply / damaged / reboot_on name command texts to misbehave on once."""

    def __init__(self) -> None:
        self.executed: Counter[str] = Counter()
        self.received: list[tuple[int, str]] = []
        self.drop_reply: set[str] = set()
        self.damaged: set[str] = set()
        self.reboot_on: set[str] = set()
        self.machine = False
        self.cache: tuple[int, bytes] | None = None
        super().__init__()

    def on_line(self, line: bytes) -> None:
        if line == b"mode machine":
            self.machine, self.cache = True, None
            return
        if not (self.machine and frame.is_framed(line)):
            return  # human mode: a framed line is not for us
        f = frame.decode_line(line)
        self.received.append((f.seq, f.text))
        if self.cache and self.cache[0] == f.seq:
            os.write(self.master, self.cache[1])  # a retry: the cached reply, not run again
            return
        if f.text in self.damaged:
            self.damaged.discard(f.text)
            os.write(self.master, frame.encode_frame("<", 0, "err E_FRAME bad checksum"))
            return
        if f.text in self.reboot_on:
            self.reboot_on.discard(f.text)
            self.machine, self.cache = False, None
            os.write(self.master, b"boot vacuumfw 0.1.0 board=pico reset=wdt_reset\r\n")
            return
        self.executed[f.text] += 1
        text = "firmware=0.1.0 protocol=1 board=pico" if f.text == "version" else "n=%d" % self.executed[f.text]
        reply = frame.encode_frame("<", f.seq, "ok " + text)
        self.cache = (f.seq, reply)
        if f.text in self.drop_reply:
            self.drop_reply.discard(f.text)  # executed, but the reply is lost on the wire
            return
        os.write(self.master, reply)


@pytest.fixture
def dev() -> Iterator[ScriptedDevice]:
    d = ScriptedDevice()
    yield d
    d.close()


@pytest.fixture
def link(dev: ScriptedDevice) -> Iterator[DeviceLink]:
    lk = DeviceLink.open(dev.path)
    lk.timeout_s = 0.3  # a lost reply is noticed quickly
    yield lk
    lk.close()


def test_a_lost_reply_is_retried_with_the_same_sequence_and_runs_once(dev, link):
    dev.drop_reply.add("start continuous target=30kPa")
    assert link.request("start continuous target=30kPa") == "n=1"
    sent = [seq for seq, text in dev.received if text == "start continuous target=30kPa"]
    assert len(sent) == 2 and sent[0] == sent[1]  # resent, same number
    assert dev.executed["start continuous target=30kPa"] == 1  # answered from the cache


def test_a_damaged_request_is_resent_because_nothing_ran(dev, link):
    dev.damaged.add("set kp 5000")
    assert link.request("set kp 5000") == "n=1"
    assert dev.executed["set kp 5000"] == 1


def test_a_reboot_while_a_request_is_pending_is_reported_not_resent_then_resynced(dev, link):
    dev.reboot_on.add("start continuous target=30kPa")
    with pytest.raises(DeviceReset, match="rebooted while 'start continuous target=30kPa' was pending; "
                                          "it was not re-sent"):
        link.request("start continuous target=30kPa")
    assert [t for _, t in dev.received].count("start continuous target=30kPa") == 1
    assert dev.executed["start continuous target=30kPa"] == 0
    assert link.resets == 1
    boot = link.next_message(5)
    assert boot is not None and boot.kind == "boot"
    # The link put the rebooted device back into machine mode by itself.
    assert link.request("status") == "n=1"


def test_a_command_is_never_repeated_with_a_new_sequence_number(dev, link):
    for _ in range(3):
        link.request("status")
    seqs = [seq for seq, text in dev.received if text == "status"]
    assert len(set(seqs)) == 3 and dev.executed["status"] == 3
