"""pytest collects the MicroPython unit tests one by one.

firmware/tests/test_*.py and boards/sim/tests/test_*.py are MicroPython, not
CPython: each top-level ``def test_*`` of those files becomes its own pytest
item (node id ``firmware/tests/test_pid.py::test_NAME``, marker
``micropython``), found by reading the source, never by importing it. The
first item of a file to run starts the real MicroPython interpreter once on
tools/testing/mpy_unittest.py with every item of that file this pytest process
selected (in name order, as the runner always runs them); each item then
reports its own result, with its output and MicroPython traceback.

The ``micropython_json`` fixture runs a driver script in the same
interpreter, for CPython tests that cross-check the host's code against the
firmware's on the same cases."""
from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

pytest_plugins = ["longfirst"]  # the parallel run starts its longest tests first (tools/testing/longfirst.py)

ROOT = Path(__file__).resolve().parent
MICROPYTHON_TEST_DIRS = (ROOT / "firmware" / "tests", ROOT / "boards" / "sim" / "tests")
MICROPYTHON = Path(sys.executable).parent / "micropython"  # the .venv's MicroPython Unix port
RUNNER = ROOT / "tools" / "testing" / "mpy_unittest.py"
FILE_TIMEOUT_S = 600


def pytest_pycollect_makemodule(module_path: Path, parent: pytest.Collector) -> Any:
    if module_path.parent in MICROPYTHON_TEST_DIRS:
        return MicroPythonFile.from_parent(parent, path=module_path)
    return None


class MicroPythonFailure(Exception):
    """A test that failed in MicroPython: the message is its output."""


class MicroPythonFile(pytest.File):
    """A MicroPython test file: one item per top-level ``def test_*``."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._results: dict[str, tuple[str, str]] | None = None

    def collect(self) -> Iterator["MicroPythonItem"]:
        for name, lineno in defined_tests(self.path):
            item = MicroPythonItem.from_parent(self, name=name)
            item.lineno = lineno
            item.add_marker("micropython")
            yield item

    def result(self, name: str) -> tuple[str, str]:
        """("ok" | "fail", output) of one test; the file runs once, for every
        item of it this process selected."""
        if self._results is None:
            names = [it.name for it in self.session.items if it.parent is self]
            self._results = _run(self.path, names)
        return self._results[name]


def defined_tests(path: Path) -> list[tuple[str, int]]:
    """(name, line) of each top-level ``def test_*`` of a MicroPython file."""
    tree = ast.parse(path.read_text(), str(path))
    return [(node.name, node.lineno) for node in tree.body
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")]


class MicroPythonItem(pytest.Item):
    lineno = 0

    def runtest(self) -> None:
        assert isinstance(self.parent, MicroPythonFile)
        outcome, output = self.parent.result(self.name)
        if outcome != "ok":
            raise MicroPythonFailure(output)
        self.add_report_section("call", "MicroPython", output)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        if isinstance(excinfo.value, MicroPythonFailure):
            output = str(excinfo.value).rstrip()
            # The last line (the exception) first: pytest's one-line summary shows it.
            return "MicroPython: %s\n%s" % (output.rsplit("\n", 1)[-1], output)
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, self.lineno - 1, "%s (MicroPython)" % self.name


def _run(path: Path, names: list[str]) -> dict[str, tuple[str, str]]:
    """Run the named tests of one file in MicroPython -> {name: (outcome, output)}.
    A test the run never finished (the file did not load, the interpreter
    died) fails with what the run printed."""
    rel = str(path.relative_to(ROOT))
    argv = [str(MICROPYTHON), str(RUNNER), "--pytest"] + ["%s::%s" % (rel, n) for n in names]
    try:
        r = subprocess.run(argv, capture_output=True, text=True, timeout=FILE_TIMEOUT_S, cwd=str(ROOT))
        stdout, stderr, how = r.stdout, r.stderr, "exit status %d" % r.returncode
    except subprocess.TimeoutExpired as e:
        stdout, stderr = _text(e.stdout), _text(e.stderr)
        how = "timed out after %d s" % FILE_TIMEOUT_S
    results: dict[str, tuple[str, str]] = {}
    current: str | None = None
    lines: list[str] = []
    hidden: set[str] = set()
    for line in stdout.splitlines():
        if line.startswith("@@all"):
            hidden = set(line.split()[1:]) - {n for n, _ in defined_tests(path)}
        elif line.startswith("@@begin "):
            current, lines = line[len("@@begin "):], []
        elif line.startswith("@@end ") and current is not None:
            results[current] = (line.rsplit(" ", 1)[1], "\n".join(lines))
            current = None
        elif current is not None:
            lines.append(line)
    unfinished = "the MicroPython run ended before this test finished (%s):\n%s%s" % (
        how, ("\n".join(lines) + "\n") if current is not None else stdout[-3000:], stderr[-3000:])
    for name in names:
        results.setdefault(name, ("fail", unfinished))
    if hidden:  # a test only MicroPython sees (not a top-level def) would never be reported: say so
        why = "%s defines tests pytest cannot collect (not top-level 'def test_*'): %s" % (rel, ", ".join(sorted(hidden)))
        results = {name: ("fail", (output + "\n" + why).strip()) for name, (_, output) in results.items()}
    return results


def _text(data: bytes | str | None) -> str:
    if isinstance(data, bytes):
        return data.decode(errors="replace")
    return data or ""


# What runs a micropython_json driver: firmware/ on the import path, then
# the driver, then one JSON reply a line for each JSON request line.
_DRIVER_FRAME = """
import sys, json
sys.path.insert(0, %r)
%s
while True:
    line = sys.stdin.readline()
    if not line:
        break
    try:
        r = ['ok', answer(json.loads(line))]
    except ERROR as e:
        r = ['err', str(e)]
    except Exception as e:
        r = ['exc', type(e).__name__ + ': ' + str(e)]
    print(json.dumps(r))
"""


@pytest.fixture(scope="session")
def micropython_json() -> Callable[[str, list[list]], list[list]]:
    """``run(driver, requests) -> replies``: the driver, MicroPython source
    importing from firmware/, defines ``answer(request)`` and ``ERROR`` (the
    firmware module's error class); each request (a JSON value) gets the
    reply ``['ok', answer(request)]``, ``['err', message]`` when it raised
    ERROR, or ``['exc', 'Type: message']`` for any other exception."""
    mpy = str(MICROPYTHON) if MICROPYTHON.exists() else shutil.which("micropython")
    if mpy is None:
        pytest.skip("MicroPython Unix port not found (.venv/bin/micropython)")

    def run(driver: str, requests: list[list]) -> list[list]:
        script = _DRIVER_FRAME % (str(ROOT / "firmware"), driver)
        proc = subprocess.run([mpy, "-X", "heapsize=8M", "-c", script],
                              input="".join(json.dumps(r) + "\n" for r in requests),
                              capture_output=True, text=True, timeout=120, check=False)
        assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr
        return [json.loads(line) for line in proc.stdout.splitlines()]

    return run
