"""Ctrl-C as a flag, so a command stops a session at a point where it can
still talk to the device, wherever the signal landed (even mid-request)."""
from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Any


class CtrlC:
    """``with CtrlC() as ctrl_c: ... if ctrl_c.is_set(): stop safely``.

    While active, SIGINT only sets the flag; the previous handler comes back
    on exit. Must be entered from the main thread (Python's signal rule)."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._previous: Any = None

    def _handler(self, signum: int, frame: FrameType | None) -> None:
        self._event.set()

    def is_set(self) -> bool:
        return self._event.is_set()

    def before_start(self) -> None:
        """Called just before a command starts something on the device: a
        Ctrl-C until then has nothing to stop, so it is a plain interrupt."""
        if self.is_set():
            raise KeyboardInterrupt

    def __enter__(self) -> "CtrlC":
        self._previous = signal.signal(signal.SIGINT, self._handler)
        return self

    def __exit__(self, *exc: object) -> None:
        signal.signal(signal.SIGINT, self._previous)
