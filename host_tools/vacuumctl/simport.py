"""Start the simulated board behind a pseudo-terminal (``--port sim[:SCENARIO]``)."""
from __future__ import annotations

import contextlib
import os
import select
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from .errors import UserError
from .paths import sim_dir


def is_sim_port(port: str) -> bool:
    return port == "sim" or port.startswith("sim:")


def scenario_of(port: str) -> str:
    return scenario_arg(port[4:] if port.startswith("sim:") and port[4:] else "default")


def scenario_arg(ref: str) -> str:
    """A scenario file given as a path is made absolute: the simulator runs
    in the checkout, not where the command was typed."""
    if "/" in ref or ref.endswith(".json"):
        return str(Path(ref).expanduser().resolve())
    return ref


@dataclass
class SimProcess:
    """A running simulated board; ``port`` is its /dev/pts path."""

    proc: subprocess.Popen[bytes]
    port: str
    gated: bool = False  # started with an idle speed: waiting() tells the board when to run at full speed
    _waiters: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @contextlib.contextmanager
    def waiting(self) -> Iterator[None]:
        """While inside, the host waits on the board: a gated board runs at
        its speed, else at its idle speed (boards/sim/hostgate.py). Nests
        and may be entered from several threads; ungated boards ignore it."""
        if not self.gated:
            yield
            return
        self._say(+1)
        try:
            yield
        finally:
            self._say(-1)

    def _say(self, step: int) -> None:
        with self._lock:
            before = self._waiters
            self._waiters += step
            if (before == 0) == (self._waiters == 0):
                return
            word = b"w" if self._waiters else b"i"
            try:
                assert self.proc.stdin is not None
                self.proc.stdin.write(word)
                self.proc.stdin.flush()
            except (OSError, ValueError):
                pass  # the board is gone: the next request says so

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stdin is not None:
            with contextlib.suppress(OSError):
                self.proc.stdin.close()

    def alive(self) -> bool:
        return self.proc.poll() is None


def first_line(proc: subprocess.Popen[bytes], timeout_s: float) -> str:
    """The first line a starting child process writes to its stdout pipe,
    stripped; "" if it ends or says nothing within timeout_s."""
    assert proc.stdout is not None
    line = b""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        r, _, _ = select.select([proc.stdout], [], [], 0.2)
        if r:
            line = proc.stdout.readline()
            break
        if proc.poll() is not None:
            break
    return line.decode(errors="replace").strip()


def start_sim(scenario: str = "default", speed: str = "max", truth_csv: str | None = None,
              until_ms: int | None = None, extra: list[str] | None = None,
              stderr: int | None = None, timeout_s: float = 15.0, idle_speed: str | None = None) -> SimProcess:
    """Launch boards/sim/launcher.py and wait for its ``port:`` line.
    idle_speed: the board runs at speed only inside SimProcess.waiting()."""
    # -S: the launcher needs only the standard library (4 ms less per board).
    argv = [sys.executable, "-S", str(sim_dir() / "launcher.py"), scenario, "--speed", str(speed), "--hold"]
    if truth_csv:
        argv += ["--truth-csv", str(Path(truth_csv).resolve())]
    if until_ms:
        argv += ["--until-ms", str(until_ms)]
    if idle_speed is not None:
        argv += ["--idle-speed", str(idle_speed)]
    argv += extra or []
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE if stderr is None else stderr,
                            stdin=subprocess.PIPE if idle_speed is not None else None, start_new_session=True)
    text = first_line(proc, timeout_s)
    if not text.startswith("port: "):
        err = b""
        if proc.stderr is not None:
            try:
                proc.wait(timeout=2)
            except subprocess.TimeoutExpired:
                proc.kill()
            err = proc.stderr.read() or b""
        msg = err.decode(errors="replace").strip() or text or "no output"
        raise UserError("the simulated board did not start: %s" % msg)
    # Keep draining the launcher's stderr so it can never block on a full pipe.
    if proc.stderr is not None:
        _drain_in_background(proc.stderr.fileno())
    return SimProcess(proc, text[len("port: "):], gated=idle_speed is not None)


def _drain_in_background(fd: int) -> None:
    import threading

    log = os.environ.get("VACUUM_SIM_LOG")

    def pump() -> None:
        out = open(log, "ab") if log else None
        try:
            while True:
                try:
                    chunk = os.read(fd, 4096)
                except OSError:
                    return
                if not chunk:
                    return
                if out:
                    out.write(chunk)
                    out.flush()
        finally:
            if out:
                out.close()

    threading.Thread(target=pump, daemon=True).start()
