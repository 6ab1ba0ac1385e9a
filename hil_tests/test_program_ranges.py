"""One truth for every program's range: what `programs NAME` reports on a
board is exactly what `start` accepts there, bound for bound, for every
program on every board (boards/*.py, run by the simulated board through the
scenario's "board" key); and what `vacuumctl programs` shows for a pressure
bound, typed back as it reads, is accepted."""
from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from vacuumctl import units
from vacuumctl.errors import DeviceError
from vacuumctl.link import DeviceLink
from vacuumctl.programs import describe, parse_program
from vacuumctl.telemetry import parse_fields

pytestmark = pytest.mark.usefixtures("needs_sim")

ROOT = Path(__file__).resolve().parents[1]
BOARDS = sorted(p.stem for p in (ROOT / "boards").glob("*.py") if p.stem != "manifest")
_OUT_OF_RANGE = re.compile(r"^(\w+) (-?\d+)(Pa|ms|mHz|pct) is out of range (-?\d+)(?:Pa|ms|mHz|pct)\.\.(-?\d+)(?:Pa|ms|mHz|pct)$")
_ABOVE_SESSION = re.compile(r"^duration (\d+)ms is above \w+'s maximum session (\d+)ms$")


def test_every_board_file_is_a_board_the_simulator_runs():
    import scenario  # boards/sim/scenario.py

    assert BOARDS == sorted(scenario.BOARDS), "a board in boards/ the range test would not cover"


def _token(value: int, unit: str) -> str:
    if unit == "mHz":
        return "%s%d.%03dHz" % ("-" if value < 0 else "", abs(value) // 1000, abs(value) % 1000)
    if unit == "pct":
        return "%d%%" % value
    return "%d%s" % (value, unit)


def _start(link: DeviceLink, prog: str, values: dict[str, str]) -> tuple[str, tuple[int, int] | None]:
    """('started', None), ('range', (lo, hi)) or ('other', None) (a refusal
    for another reason: a relation between parameters)."""
    line = "start %s %s" % (prog, " ".join("%s=%s" % kv for kv in values.items()))
    try:
        link.start(line)  # an absolute sensor's boot zero first
    except DeviceError as e:
        m = _OUT_OF_RANGE.match(e.message)
        if m:
            return "range", (int(m.group(4)), int(m.group(5)))
        m = _ABOVE_SESSION.match(e.message)
        if m:
            return "range", (-1, int(m.group(2)))
        assert e.code == "E_RANGE", "%s: %s" % (line, e)
        return "other", None
    link.request("stop")
    deadline = time.monotonic() + 30
    while (st := parse_fields(link.request("status")))["state"] != "idle":
        if st["state"] == "fault":
            # A target at the program's ceiling is also its trip level: a
            # small cup's overshoot trips it (overvacuum). Accepted all the same.
            assert st["alarms"] == "overvacuum", "%s: %s" % (line, st)
            link.request("clear")
        assert time.monotonic() < deadline, "did not return to idle after %s: %s" % (line, st)
    return "started", None


@pytest.mark.parametrize("board", BOARDS)
def test_the_range_shown_is_the_range_accepted_for_every_program(board, tmp_path):
    scenario = tmp_path / ("%s.json" % board)
    scenario.write_text(json.dumps({"board": board}))
    checked = 0
    with DeviceLink.open("sim:%s" % scenario) as link:
        for name in link.request("programs").split():
            reply = link.request("programs " + name)
            p = parse_program(reply)
            if p["kind"] == "gradient" and int(p["channels"]) < 2:
                with pytest.raises(DeviceError, match="needs a board with several"):
                    link.request("start %s target=20kPa" % name)
                continue
            params = p["params"]
            base = {k: _token(q["default"], q["unit"]) for k, q in params.items() if q["default"] is not None}
            base["target"] = _token(params["target"]["hi"], "Pa")  # room below it for floor, steps
            for key, q in params.items():
                lo, hi, unit = q["lo"], q["hi"], q["unit"]
                if unit == "Pa":
                    assert hi <= int(p["ceiling_pa"]), "%s %s: range above the ceiling: %s" % (name, key, reply)
                for value, inside in ((lo, True), (hi, True), (lo - 1, False), (hi + 1, False)):
                    outcome, rng = _start(link, name, {**base, key: _token(value, unit)})
                    what = "%s on %s: %s=%s (shown %d..%d)" % (name, board, key, _token(value, unit), lo, hi)
                    if inside:
                        assert outcome != "range", "refused as out of range %s: %s" % (rng, what)
                    else:
                        assert outcome == "range", "accepted (%s) outside the range shown: %s" % (outcome, what)
                        # The refusal names the same range (a session limit names its maximum).
                        assert rng in ((lo, hi), (-1, hi)), "refused with range %s: %s" % (rng, what)
                    checked += 1
            # What 'vacuumctl programs' prints, in every unit, typed back is within the range.
            for user_unit in units.PRESSURE_UNITS:
                lines = describe(p, user_unit)
                for key, q in params.items():
                    if q["unit"] != "Pa":
                        continue
                    line = next(x for x in lines if x.strip().startswith("--%s " % key))
                    shown = re.search(r"range (\S+) \((\S+)\) \.\. (\S+) \((\S+)\)$", line)
                    assert shown, line
                    for text in shown.groups():
                        assert q["lo"] <= units.to_device_pa(text) <= q["hi"], (
                            "%s %s shows %s, which the device refuses (range %d..%d Pa)" % (name, key, text, q["lo"], q["hi"]))
    assert checked > 100
