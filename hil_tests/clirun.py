"""vacuumctl from the tests, as a person runs it at a shell: to its end, or
read line by line while it runs; both bounded in wall time (a liveness guard,
never a measure of the device)."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

VACUUMCTL = str(Path(sys.executable).parent / "vacuumctl")  # the .venv's command
WALL_S = 60


def vacuumctl(*args: str, stdin: str | None = None, timeout_s: float = WALL_S, cwd: Path | None = None,
              **env: str) -> subprocess.CompletedProcess[str]:
    """Run vacuumctl with args to its end. The tester's own default port
    (VACUUM_PORT) is left out of its environment; keyword arguments add or
    replace variables (VACUUMCTL_SERVICE_CODE="...", VACUUM_UNIT="mmHg")."""
    e = {k: v for k, v in os.environ.items() if k != "VACUUM_PORT"}
    e.update(env)
    return subprocess.run([VACUUMCTL, *args], capture_output=True, text=True, timeout=timeout_s, input=stdin,
                          env=e, cwd=cwd)


def wait_for_line(proc: subprocess.Popen[str], needle: str) -> str:
    """Read a running vacuumctl's stdout until a line containing needle."""
    assert proc.stdout is not None
    seen: list[str] = []
    deadline = time.monotonic() + WALL_S
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line and proc.poll() is not None:
            break
        seen.append(line)
        if needle in line:
            return line
    raise AssertionError("no %r in output: %r" % (needle, seen[-5:]))
