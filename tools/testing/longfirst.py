"""The parallel run (pytest-xdist, --dist worksteal) starts its longest tests
first, spread over the workers.

worksteal hands each worker an equal, contiguous share of the collection and
later moves tests from the end of a busy worker's queue to an idle one; a
40 s test left near the end of a share keeps one core busy alone while the
other waits. So each worker's share begins with its part of the long tests
(longest first, dealt to the least loaded share: LPT), then the short ones in
the collection's own order. The wall time of each test comes from the table
tools/testing/test_durations.json (the seconds of every test that took at
least MIN_S, setup and teardown included; refresh it after adding a long
test: ``.venv/bin/python -m pytest -q -n auto --dist worksteal -m "not
whole_machine" --record-durations tools/testing/test_durations.json``); a test
not in it counts as short. Only the order of magnitude matters. A MicroPython test file (one
interpreter run for all its tests, conftest.py) moves as one unit.

Only the order changes, only in an xdist worker (every worker computes the
same order from the same collection); a run on one process keeps the
collection's order. No test depends on another's order (CONTRIBUTING.md)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

TABLE = Path(__file__).resolve().parent / "test_durations.json"
MIN_S = 1.0    # what the table keeps
LONG_S = 3.0   # what starts a share


def load(path: Path = TABLE) -> dict[str, float]:
    try:
        return {str(k): float(v) for k, v in json.loads(path.read_text())["tests"].items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def _unit_key(item: pytest.Item) -> str:
    """The node id a duration is kept under: a MicroPython test file's path
    for each of its tests (they run as one), else the test's own."""
    if item.get_closest_marker("micropython") is not None:
        return item.nodeid.split("::", 1)[0]
    return item.nodeid


def _moves_whole(item: Any) -> bool:
    """A test whose file moves as one unit: a MicroPython file's (one
    interpreter run), or one using a fixture its file's tests share (a
    module- or class-scoped board or browser, set up again if the file's
    tests were apart)."""
    if item.get_closest_marker("micropython") is not None:
        return True
    info = getattr(item, "_fixtureinfo", None)
    defs = info.name2fixturedefs.values() if info is not None else ()
    return any(str(getattr(d[-1], "scope", "function")).endswith(("module", "class", "package")) for d in defs if d)


def order(items: list[pytest.Item], workers: int, seconds: dict[str, float]) -> list[pytest.Item]:
    """items reordered for `workers` equal contiguous shares (worksteal's)."""
    if workers < 2 or len(items) < 2 * workers:
        return items
    units: list[list[pytest.Item]] = []
    index: dict[str, int] = {}
    for item in items:
        key = item.nodeid.split("::", 1)[0] if _moves_whole(item) else item.nodeid
        if key in index:
            units[index[key]].append(item)
        else:
            index[key] = len(units)
            units.append([item])
    durations = [sum(seconds.get(it.nodeid, 0.0) for it in u)
                 + sum(seconds.get(k, 0.0) for k in {_unit_key(it) for it in u} if "::" not in k) for u in units]
    long = sorted((i for i, d in enumerate(durations) if d >= LONG_S), key=lambda i: -durations[i])
    if not long:
        return items
    heads: list[list[int]] = [[] for _ in range(workers)]
    load_s = [0.0] * workers
    for i in long:
        w = min(range(workers), key=lambda k: (load_s[k], k))
        heads[w].append(i)
        load_s[w] += durations[i]
    short = [i for i in range(len(units)) if durations[i] < LONG_S]
    # worksteal's shares: the first worker gets len // workers, and so on.
    sizes, left = [], len(items)
    for k in range(workers):
        sizes.append(left // (workers - k))
        left -= sizes[-1]
    out: list[pytest.Item] = []
    for w in range(workers):
        # The short units in order, each that fits (a share ends where
        # worksteal cuts, so the next share's long tests stay at its head).
        share = [it for i in heads[w] for it in units[i]]
        rest = []
        for i in short:
            if w < workers - 1 and len(share) + len(units[i]) > sizes[w]:
                rest.append(i)
            else:
                share.extend(units[i])
        short = rest
        out.extend(share)
    for i in short:
        out.extend(units[i])
    assert sorted(map(id, out)) == sorted(map(id, items))
    return out


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--record-durations", default="", metavar="FILE",
                     help="write the wall seconds of each test taking at least %g s (setup, call and teardown) "
                          "to FILE as JSON (the table the parallel run orders by: %s)" % (MIN_S, TABLE.name))


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    workerinput: Any = getattr(config, "workerinput", None)
    if workerinput is None:
        return
    items[:] = order(items, int(workerinput.get("workercount", 1)), load())


_seen: dict[str, float] = {}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    key = report.nodeid
    if "micropython" in report.keywords:
        key = key.split("::", 1)[0]
    _seen[key] = _seen.get(key, 0.0) + report.duration


def pytest_sessionfinish(session: pytest.Session) -> None:
    path = session.config.getoption("--record-durations")
    if not path or hasattr(session.config, "workerinput"):
        return
    tests = {k: round(v, 1) for k, v in sorted(_seen.items()) if v >= MIN_S}
    Path(path).write_text(json.dumps({"about": "wall seconds a test took, setup and teardown included, in a "
                                      "parallel run (tools/testing/longfirst.py)", "tests": tests},
                                     indent=1) + "\n")
