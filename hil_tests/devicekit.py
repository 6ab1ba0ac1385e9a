"""What a test needs to talk to a device and judge it in device time: the
session with its telemetry helpers, the simulated board's ground truth, a
person's raw terminal, the service role. The fixtures that open them are in
conftest.py; tests import these names from here."""
from __future__ import annotations

import contextlib
import csv
import time
from pathlib import Path
from typing import Callable, ContextManager

import serial

from boardstate import FACTORY_CODE
from vacuumctl.link import DeviceLink
from vacuumctl.telemetry import Message

WALL_TIMEOUT_S = 60.0


def unlock(link: DeviceLink) -> None:
    """Enter the service role (set, config changes, tune auto, selftest)."""
    assert link.request("unlock " + FACTORY_CODE).startswith("role=service")


class Truth:
    """Reads the simulated board's ground-truth CSV as it grows."""

    def __init__(self, path: Path, waiting: Callable[[], ContextManager[None]] | None = None):
        self.path = path
        self._waiting = waiting or contextlib.nullcontext  # the link's (a gated board runs while we wait)

    def rows(self) -> list[dict[str, str]]:
        if not self.path.exists():
            return []
        with open(self.path, newline="") as f:
            rows = list(csv.DictReader(f))
        # The last line may be half written.
        return [r for r in rows if r.get("event") is not None]

    def wait_until(self, t_ms: int) -> list[dict[str, str]]:
        """Rows up to device time t_ms (the simulation runs on meanwhile)."""
        with self._waiting():
            return self._wait_until(t_ms)

    def _wait_until(self, t_ms: int) -> list[dict[str, str]]:
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
        time have passed since the call: counted from the newest line that
        had already arrived (the queue may hold seconds of older lines a
        busy host had not read yet: stop() sees them, the bound does not
        count them), else from the first line."""
        with self.link.waiting():
            return self._telemetry_until(stop, max_device_ms, on_msg)

    def _telemetry_until(self, stop: Callable[[dict], bool], max_device_ms: int,
                         on_msg: Callable[[Message], None] | None) -> list[dict]:
        out: list[dict] = []
        t0: int | None = None
        called = time.monotonic()
        # A liveness guard, not a time limit: the deadline moves with every
        # message, so a slow (loaded) machine is not a failure, a silent link is.
        for msg in self._messages(moving=True):
            if on_msg:
                on_msg(msg)
            if msg.kind != "tel":
                continue
            f = msg.fields
            out.append(f)
            t = int(f["t_ms"])
            if t0 is None or msg.arrived <= called:
                t0 = t  # (a line queued before the call: the window starts after it)
            if stop(f) or t - t0 >= max_device_ms:
                return out
        raise AssertionError("no telemetry for %s s of wall time" % WALL_TIMEOUT_S)

    def _messages(self, moving: bool):
        """The link's unsolicited messages until WALL_TIMEOUT_S of wall time
        has passed (since the last message if moving, else since the start)."""
        deadline = time.monotonic() + WALL_TIMEOUT_S
        while time.monotonic() < deadline:
            try:
                msg = self.link.messages.get(timeout=1.0)
            except Exception:  # noqa: BLE001 - queue.Empty
                continue
            if moving:
                deadline = time.monotonic() + WALL_TIMEOUT_S
            yield msg

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
        with self.link.waiting():
            for msg in self._messages(moving=False):
                if pred(msg):
                    return msg
        raise AssertionError("expected message did not arrive")


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
