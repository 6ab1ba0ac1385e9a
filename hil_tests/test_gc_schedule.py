"""Scheduled garbage collection (docs/reliability.md, "Loop timing"): the loop
counts allocating jobs (lines in and out, log records) and after enough of
them a pass collects instead of serving its background, never walking the
heap to decide (gc.mem_alloc() takes 8 ms on an RP2040). Commands that load
an on-demand module (`programs NAME`) leave garbage, so the loop must have
collected by itself during a session that runs on undisturbed."""
import json
import subprocess
from pathlib import Path

import pytest
from launcher import micropython_command  # boards/sim (pytest.ini pythonpath)
from vacuumctl.telemetry import parse_fields

ROOT = Path(__file__).resolve().parents[1]


def _status(device):
    return parse_fields(device.request("status"))


def test_loop_collects_between_ticks_when_the_heap_runs_low(device):
    device.request("start continuous target=30kPa duration=120s")
    before = _status(device)
    assert before["state"] == "run"
    runs = int(before["gc_runs"])
    for _ in range(200):
        device.request("programs continuous")
        if int(_status(device)["gc_runs"]) > runs:
            break
    after = _status(device)
    assert int(after["gc_runs"]) > runs, "no scheduled collection after 200 on-demand loads"
    assert after["state"] == "run" and after["alarms"] == "none", after


LASER_SESSION = ("roller_laser_body", "start vacuum_laser target=20kPa laser_time=2s ramp=1s duration=8s")


@pytest.mark.parametrize("session", [("continuous",), ("intermittent",), ("dotted",), ("npwt_continuous",), ("gradient",), LASER_SESSION],
                         ids=lambda s: s[0])
def test_a_background_pass_without_a_job_allocates_nothing(needs_sim, session):
    # The schedule above counts jobs, not bytes: a pass with none must leave
    # no garbage (tools/testing/idle_alloc.py). Two bound methods handed to
    # session.report() at every pass (and to the laser's report), and the
    # simulated link's poll and read, left 128 B a pass on this port.
    r = subprocess.run([*micropython_command(), str(ROOT / "tools" / "testing" / "idle_alloc.py"), *session],
                       capture_output=True, text=True, timeout=120, cwd=str(ROOT))
    lines = [ln for ln in r.stdout.splitlines() if ln.startswith("IDLE_ALLOC ")]
    assert r.returncode == 0 and lines, r.stdout[-2000:] + r.stderr[-2000:]
    s = json.loads(lines[-1][len("IDLE_ALLOC "):])
    assert s["session_end"] == "completed", s
    assert s["passes"] >= 250, s  # the session's passes after its start, bar those with a job
    assert s["allocating_passes"] == 0 and s["bytes"] == 0, s
