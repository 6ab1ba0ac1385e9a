"""One session-recording loop, used by ``run``, ``monitor`` and ``tune``:
telemetry from the link, each line to the CSV as it arrives, Ctrl-C handled
where a request can still be sent, a silent device and a reboot reported
in one sentence each."""
from __future__ import annotations

import time
from typing import Any, Callable, Iterator

from .errors import DeviceReset, UserError
from .interrupt import CtrlC
from .link import DeviceLink
from .telemetry import CSV_COLUMNS, Message

SILENCE_S = 30  # no telemetry for this long (wall time): the device is gone or hung


class Recording:
    """``for msg in Recording(link, ctrl_c, ...).messages(): ...``

    Yields every message from the device, and None after each wait that
    brought nothing (so a caller can refresh a window). Telemetry lines
    are written to ``writer`` (a csv.writer, or None) in ``columns``
    before they are yielded.

    On Ctrl-C, ``on_ctrl_c`` runs once (it stops the session; recording
    goes on and ``stopping`` is then True); without it the recording ends.
    Silence for ``silence_s`` raises a UserError (None: wait forever); a
    boot banner raises DeviceReset naming ``reboot_during`` (None: it is
    yielded like any other message)."""

    def __init__(self, link: DeviceLink, ctrl_c: CtrlC, *, writer: Any = None,
                 columns: tuple[str, ...] = CSV_COLUMNS, on_ctrl_c: Callable[[], object] | None = None,
                 silence_s: float | None = SILENCE_S, reboot_during: str | None = "the session",
                 wait_s: float = 0.25):
        self.link = link
        self.ctrl_c = ctrl_c
        self.writer = writer
        self.columns = columns
        self.on_ctrl_c = on_ctrl_c
        self.silence_s = silence_s
        self.reboot_during = reboot_during
        self.wait_s = wait_s
        self.stopping = False  # Ctrl-C was pressed and handled

    def messages(self) -> Iterator[Message | None]:
        silent_since = time.monotonic()
        while True:
            if self.ctrl_c.is_set() and not self.stopping:
                self.stopping = True
                if self.on_ctrl_c is None:
                    return
                self.on_ctrl_c()
            msg = self.link.next_message(self.wait_s)
            if msg is None:
                if self.silence_s is not None and time.monotonic() - silent_since > self.silence_s:
                    raise UserError("telemetry stopped arriving for %d s: is the device still connected?"
                                    % self.silence_s)
                yield None
                continue
            silent_since = time.monotonic()
            if msg.kind == "boot" and self.reboot_during is not None:
                raise DeviceReset("the device rebooted during %s (%s)" % (self.reboot_during, msg.text))
            if msg.kind == "tel" and self.writer:
                self.writer.writerow([msg.fields.get(c, "") for c in self.columns])
            yield msg
