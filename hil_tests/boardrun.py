"""The hardware selection: what `pytest hil_tests --port P` runs on a board
that keeps its state (a real board, or sim@NAME), how long it will take in
real time (said before it starts, from the estimate table
hil_tests/board_times.json), and the summary at the end: which parts of the
board were exercised, what was skipped and why, what the known-state
fixture had to undo (hil_tests/boardstate.py).

On such a board: tests that do not use a board are deselected (make test
runs them); tests that need fault injection, ground truth or another plant
are skipped (simulated board only); tests marked `long` are skipped unless
--long, with their reason."""
from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from boardstate import BoardKeeper, is_persistent

TABLE = Path(__file__).with_name("board_times.json")
BOARD_FIXTURES = ("device", "terminal", "port", "open_device")
UNKNOWN_TEST_S = 10.0  # a test not yet in the table: a generous guess
SIM_ONLY = "needs fault injection or ground truth: simulated board only"
OTHER_PLANT = "runs on other simulated plants (scenarios): simulated board only"

# Which parts of the board each test module exercises (on a real board: the
# firmware driving that hardware; what only ground truth can see, such as the
# buzzer's pattern, is checked on the simulated board).
PARTS: dict[str, tuple[str, ...]] = {
    "test_access": ("serial link", "access (roles, unlock)", "storage (flash)"),
    "test_alarms": ("sensor", "pump", "vent valve", "alarms"),
    "test_alarms_host": ("serial link", "alarms"),
    "test_alarms_interrupted": ("alarms", "storage (flash)"),
    "test_autotune": ("sensor", "pump", "vent valve", "storage (flash)"),
    "test_cli": ("serial link", "host tool"),
    "test_cli_host": ("serial link", "host tool"),
    "test_cli_messages": ("serial link", "host tool"),
    "test_cli_monitor_plot": ("sensor", "host tool"),
    "test_cli_tune": ("sensor", "pump", "vent valve", "host tool"),
    "test_cli_units": ("serial link", "host tool"),
    "test_console_pty": ("serial link", "host tool"),
    "test_gc_schedule": ("control loop timing",),
    "test_heap_budget": ("control loop timing",),
    "test_protocol": ("serial link",),
    "test_programs": ("sensor", "pump", "vent valve"),
    "test_programs_presets": ("sensor", "pump", "vent valve"),
    "test_programs_shapes": ("sensor", "pump", "vent valve"),
    "test_safe_state": ("pump", "vent valve", "alarms"),
    "test_scenarios": ("sensor", "pump", "vent valve"),
    "test_sensors_boards": ("sensor",),
    "test_session": ("sensor", "pump", "vent valve"),
    "test_storage": ("storage (flash)",),
    "test_therapy_log": ("storage (flash)",),
    "test_roller_laser": ("laser and rollers",),
    "test_ui_browser": ("dashboard",),
    "test_ui_server": ("dashboard", "serial link"),
}
# The board's parts, each listed in the summary as exercised or not (the host
# tool and the dashboard are listed when a test of theirs ran on the board).
ALL_PARTS = ("sensor", "pump", "vent valve", "alarms", "buzzer and LED", "storage (flash)", "access (roles, unlock)",
             "serial link", "control loop timing", "laser and rollers")
WHY_NOT = {  # a part no test of this selection can exercise on a board that keeps its state
    "buzzer and LED": "their patterns are checked by ground truth on the simulated board (make test); on a real board, "
                      "listen and look while test_alarms raises its alarm",
    "laser and rollers": "only a board with a laser (sim_laser and its hardware) has them; their tests inject faults",
}

KEEPER: list[BoardKeeper | None] = [None]
_state: dict[str, Any] = {}


def _persistent(config: pytest.Config) -> bool:
    return is_persistent(str(config.getoption("--port")))


def uses_board(item: pytest.Item) -> bool:
    return any(f in getattr(item, "fixturenames", ()) for f in BOARD_FIXTURES)


def configure(config: pytest.Config) -> None:
    _state.clear()
    _state.update(reports={}, times={}, wall={}, deselected=0, started=time.monotonic(), estimate_s=None)


def select(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not _persistent(config):
        return
    kept, dropped = [], []
    for item in items:
        (kept if uses_board(item) else dropped).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept
    _state["deselected"] = len(dropped)
    run_long = bool(config.getoption("--long"))
    for item in items:
        names = item.fixturenames
        long = item.get_closest_marker("long")
        sim_only = item.get_closest_marker("sim_only")
        if sim_only is not None:
            item.add_marker(pytest.mark.skip(reason=sim_only.args[0] if sim_only.args else SIM_ONLY))
        elif "needs_sim" in names:
            item.add_marker(pytest.mark.skip(reason=SIM_ONLY))
        elif "open_device" in names:
            item.add_marker(pytest.mark.skip(reason=OTHER_PLANT))
        elif long is not None and not run_long:
            why = long.args[0] if long.args else "minutes of device time"
            item.add_marker(pytest.mark.skip(reason="long: %s; --long runs it" % why))


def _skipped_at_collection(item: pytest.Item) -> bool:
    return any(m.name == "skip" for m in item.iter_markers())


def board_speed(port: str) -> float:
    """Device seconds per real second: 1 for a real board, the detached sim's --speed."""
    if port.startswith("sim@"):
        from vacuumctl.simboards import find

        try:
            s = find(port[4:]).speed
            return float(s) if s not in ("max", "") else 0.0
        except Exception:  # noqa: BLE001 - the keeper says why it cannot reach the board
            return 1.0
    return 1.0


def load_table() -> dict[str, Any]:
    try:
        return json.loads(TABLE.read_text())
    except (OSError, ValueError):
        return {"tests": {}}


def estimate_s(nodeid: str, table: dict[str, Any], speed: float) -> float | None:
    """Real seconds for one test on a board running at `speed` (1: real
    time): its device time at that speed plus the host's own time, both as
    measured (hil_tests/board_times.json)."""
    t = table.get("tests", {}).get(nodeid)
    if t is None:
        return None
    device_s = t["device_ms"] / 1000.0
    host_s = max(0.0, t["wall_s"] - device_s / float(table.get("speed", 1)))
    return host_s + (device_s / speed if speed > 0 else 0.0)


def announce(session: pytest.Session) -> None:
    config = session.config
    if not _persistent(config):
        return
    port = str(config.getoption("--port"))
    speed = board_speed(port)
    table = load_table()
    to_run = [i for i in session.items if not _skipped_at_collection(i)]
    known = [estimate_s(i.nodeid, table, speed) for i in to_run]
    unknown = sum(1 for k in known if k is None)
    total = sum(k if k is not None else UNKNOWN_TEST_S for k in known)
    _state["estimate_s"] = total
    tr = config.pluginmanager.get_plugin("terminalreporter")
    if tr is None:
        return
    pace = "real time" if speed == 1 else ("%gx real time" % speed if speed else "full speed")
    tr.write_line("")
    tr.write_line("hardware selection on %s (%s): %d tests to run, %d skipped (listed at the end), "
                  "%d that do not use a board deselected (make test runs them)"
                  % (port, pace, len(to_run), len(session.items) - len(to_run), _state["deselected"]))
    tr.write_line("estimated duration: %s of real time%s" % (
        _minutes(total), " (%d tests not in %s counted at %g s each)" % (unknown, TABLE.name, UNKNOWN_TEST_S)
        if unknown else ""))


def _minutes(s: float) -> str:
    return "%d min %02d s" % (s // 60, s % 60) if s >= 60 else "%.0f s" % s


def record(report: pytest.TestReport) -> None:
    if not _state:
        return
    reports = _state["reports"]
    walls = _state["wall"]
    walls[report.nodeid] = walls.get(report.nodeid, 0.0) + report.duration  # setup, call, teardown: the keeper's time too
    if report.when == "call" or (report.when == "setup" and report.outcome != "passed") or (
            report.when == "teardown" and report.outcome == "failed"):
        prev = reports.get(report.nodeid)
        if prev is None or prev[0] == "passed":
            reason = ""
            if report.skipped and isinstance(report.longrepr, tuple):
                reason = str(report.longrepr[2]).removeprefix("Skipped: ")
            reports[report.nodeid] = (report.outcome, reason)


def note_time(nodeid: str, device_ms: int | None) -> None:
    """The device time a test took (from the end of the keeper's setup to its teardown)."""
    if _state and device_ms is not None:
        _state["times"][nodeid] = device_ms


def _module(nodeid: str) -> str:
    return nodeid.split("::")[0].rsplit("/", 1)[-1].removesuffix(".py")


def summary(tr: Any, config: pytest.Config) -> None:
    if not _state or not _persistent(config) or not _state["reports"]:
        return
    out = config.getoption("--board-times-out")
    if out:
        port = str(config.getoption("--port"))
        tests = {n: {"device_ms": d, "wall_s": round(_state["wall"].get(n, 0.0), 2)}
                 for n, d in sorted(_state["times"].items())}
        Path(out).write_text(json.dumps({"speed": board_speed(port) or 1, "port": port, "tests": tests}, indent=1) + "\n")
    reports: dict[str, tuple[str, str]] = _state["reports"]
    tr.section("the board after this run", sep="=")
    parts: dict[str, dict[str, int]] = {p: {"passed": 0, "failed": 0, "skipped": 0} for p in ALL_PARTS}
    for nodeid, (outcome, _) in reports.items():
        for p in PARTS.get(_module(nodeid), ()):
            parts.setdefault(p, {"passed": 0, "failed": 0, "skipped": 0})[outcome] += 1
    tr.write_line("parts of the board exercised (tests passed / failed / skipped):")
    for p, n in parts.items():
        if n["passed"] or n["failed"]:
            verdict = "FAILED: see the failures above" if n["failed"] else "ok"
            tr.write_line("  %-24s %3d / %d / %d  %s" % (p, n["passed"], n["failed"], n["skipped"], verdict))
    missing = [p for p, n in parts.items() if not (n["passed"] or n["failed"]) and p in ALL_PARTS]
    if missing:
        tr.write_line("not exercised here:")
        for p in missing:
            why = WHY_NOT.get(p, "every test of it was skipped (reasons below)" if parts[p]["skipped"]
                              else "no test of this selection uses it")
            tr.write_line("  %-24s %s" % (p, why))
    reasons: dict[str, int] = {}
    for outcome, reason in reports.values():
        if outcome == "skipped":
            reasons[reason] = reasons.get(reason, 0) + 1
    if reasons:
        tr.write_line("skipped, and why:")
        for reason, n in sorted(reasons.items(), key=lambda x: -x[1]):
            tr.write_line("  %3d  %s" % (n, reason))
    keeper = KEEPER[0]
    if keeper is not None and keeper.fixes:
        tr.write_line("left behind by tests and undone before the next one: " +
                      ", ".join("%s x%d" % (k, v) for k, v in sorted(keeper.fixes.items())))
    took = time.monotonic() - _state["started"]
    est = _state.get("estimate_s")
    tr.write_line("took %s of real time%s" % (_minutes(took), " (estimated %s)" % _minutes(est) if est else ""))
