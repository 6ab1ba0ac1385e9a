"""Scheduled garbage collection (docs/reliability.md, "Loop timing"): the loop
counts allocating jobs (lines in and out, log records) and after enough of
them a pass collects instead of serving its background, never walking the
heap to decide (gc.mem_alloc() takes 8 ms on an RP2040). Commands that load
an on-demand module (`programs NAME`) leave garbage, so the loop must have
collected by itself during a session that runs on undisturbed."""
from vacuumctl.telemetry import parse_fields


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
