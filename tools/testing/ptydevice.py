"""A scripted device on a pseudo-terminal, for the CPython tests that talk
to the host tool without a board (hil_tests/test_cli_host.py,
host_tools/tests/test_link_robustness.py): a thread reads what the host
writes and hands each line to the subclass's on_line, which answers with
os.write(self.master, ...). On the tests' import path by pytest.ini."""
from __future__ import annotations

import os
import threading


class PtyDevice:
    """Subclasses set their own attributes first, then call this __init__,
    which opens the terminal (its path: self.path) and starts serving."""

    def __init__(self) -> None:
        self.master, self._slave = os.openpty()
        self.path = os.ttyname(self._slave)
        self.running = True
        # A line is answered whole or not at all: close() waits for the one
        # being answered (a reply written after the close went to a closed
        # descriptor, or to whatever file reused its number).
        self._lock = threading.Lock()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        buf = b""
        while self.running:
            try:
                buf += os.read(self.master, 1024)
            except OSError:
                return
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                with self._lock:
                    if not self.running:
                        return
                    self.on_line(line.strip())

    def on_line(self, line: bytes) -> None:
        """One line the host wrote, without its line ending."""
        raise NotImplementedError

    def close(self) -> None:
        with self._lock:
            self.running = False
            os.close(self._slave)  # (the reader's read ends: the terminal hung up)
            os.close(self.master)
