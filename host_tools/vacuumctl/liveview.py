"""The live line of ``run`` and ``monitor``: vacuum, setpoint, duties, state,
alarms, leak and a progress bar that remembers where the session ended."""
from __future__ import annotations

import sys
from typing import TextIO

from . import userunit
from .telemetry import Message

# A session whose last running telemetry had at most this much left ended by
# its clock (until the device's session_end event says otherwise).
_NEARLY_DONE_MS = 1000
_END_LABELS = {"completed": "done", "stopped": "stopped", "ctrl_c": "stopped by Ctrl-C",
               "pause_limit": "ended: paused too long", "alarm": "ended by an alarm"}


def _clock(ms: int) -> str:
    s = ms // 1000
    if s >= 3600:
        return "%dh%02dm" % (s // 3600, s % 3600 // 60)
    return "%d:%02d" % (s // 60, s % 60)


def _bar(done: float, width: int) -> str:
    n = int(done * width + 1e-9)
    return "[%s%s] %3d%%" % ("#" * n, "." * (width - n), int(done * 100 + 1e-9))


class Progress:
    """How far a session of total_ms got: followed while it runs, frozen
    where it ended (a stop at 40 % stays at 40 %, a fault at 22 % at 22 %)."""

    def __init__(self, total_ms: int):
        self.total_ms = total_ms
        self.done = 0.0
        self.left_ms = total_ms
        self.paused = False
        self.running = False
        self.ended = False
        self.fault = False
        self.reason = ""  # from the device's session_end event, when it came

    def update(self, f: dict[str, int | str]) -> None:
        state = f.get("state")
        if state in ("run", "pause"):
            self.left_ms = int(f.get("remaining_ms", 0))
            self.done = max(0.0, min(1.0, 1 - self.left_ms / self.total_ms))
            self.paused = state == "pause"
            self.running = True
            self.ended = False
            self.fault = False
        elif self.running or self.ended:
            self.running = False
            self.ended = True
            self.fault = self.fault or state == "fault"

    def session_end(self, reason: str) -> None:
        self.reason = reason

    def completed(self) -> bool:
        if self.reason:
            return self.reason == "completed"
        return not self.fault and self.left_ms <= _NEARLY_DONE_MS

    def text(self, width: int = 20) -> str:
        if self.ended:
            if self.completed():
                return _bar(1.0, width) + " done"
            why = "fault" if self.fault else _END_LABELS.get(self.reason, "stopped")
            return "%s %s with %s left" % (_bar(self.done, width), why, _clock(self.left_ms))
        return "%s %s left%s" % (_bar(self.done, width), _clock(self.left_ms), " (paused)" if self.paused else "")


def progress_bar(f: dict[str, int | str], total_ms: int, width: int = 20) -> str:
    """``[#####...............]  25% 11:15 left`` for one telemetry line of a
    session of total_ms (without memory of how it ended: see Progress)."""
    p = Progress(total_ms)
    p.update(f)
    return p.text(width) if p.running else _bar(0.0, width) + " " + _clock(int(f.get("remaining_ms", 0))) + " left"


class LiveView:
    """One status line, redrawn in place on a terminal, appended otherwise."""

    def __init__(self, stream: TextIO = sys.stdout, every_ms: int = 500, unit: str = userunit.DEFAULT):
        self.stream = stream
        self.unit = unit
        self.tty = stream.isatty()
        self.every_ms = every_ms
        self._last_t = -10**9
        self.last_t_ms = 0  # device time of the latest telemetry, shown or not
        self._unshown: dict[str, int | str] | None = None  # the latest line, when skipped
        self.progress: Progress | None = None

    def show(self, f: dict[str, int | str], total_ms: int | None) -> None:
        if total_ms:
            if f.get("state") in ("run", "pause") and (self.progress is None or self.progress.total_ms != total_ms
                                                       or self.progress.ended):
                self.progress = Progress(total_ms)  # a (new) session
            if self.progress is not None:
                self.progress.update(f)
        t = int(f.get("t_ms", 0))
        self.last_t_ms = t
        if not self.tty and t - self._last_t < self.every_ms:
            self._unshown = f
            return
        self._last_t = t
        self._unshown = None
        vac = int(f.get("vacuum_pa", 0))
        sp = int(f.get("setpoint_pa", 0))
        bar = ""
        if total_ms and self.progress is not None:
            bar = " " + self.progress.text()
        state = str(f.get("state", "?"))
        phase = f.get("phase")
        if phase not in (None, "none"):
            state += "/" + str(phase)
        leak = int(f.get("leak_ml_min", -1))
        if leak >= 0:
            bar = " leak=%dmL/min%s" % (leak, bar)
        line = "t=%7.2fs vacuum=%s setpoint=%s pump=%5.1f%% vent=%5.1f%% %-12s alarms=%s%s" % (
            t / 1000, userunit.show(vac, self.unit, 6), userunit.show(sp, self.unit, 6),
            int(f.get("pump_duty", 0)) * 100 / 65535,
            int(f.get("valve_duty", 0)) * 100 / 65535, state, f.get("alarms", "?"), bar)
        if self.tty:
            self.stream.write("\r\x1b[K" + line)
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def seen(self, msg: Message) -> None:
        """An event or alarm passed by: the end of a session fixes its bar."""
        if msg.kind == "event" and " session_end " in msg.text + " " and self.progress is not None:
            self.progress.session_end(str(msg.fields.get("reason", "")))

    def note(self, text: str) -> None:
        if self.tty:
            self.stream.write("\r\x1b[K")
        self.stream.write(text + "\n")
        self.stream.flush()

    def end(self) -> None:
        """The last line is always shown: where the session ended (once)."""
        if self.tty:
            if self._last_t > -10**9:
                self.stream.write("\n")
        elif self._unshown is not None:
            self._last_t = -10**9
            self.show(self._unshown, self.progress.total_ms if self.progress else None)
        self._last_t = -10**9
        self._unshown = None
