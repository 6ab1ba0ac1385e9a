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
                self.on_line(line.strip())

    def on_line(self, line: bytes) -> None:
        """One line the host wrote, without its line ending."""
        raise NotImplementedError

    def close(self) -> None:
        self.running = False
        os.close(self.master)
        os.close(self._slave)
