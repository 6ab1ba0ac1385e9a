# The simulated world over many fault events (the 72 h soak switches a leak
# on and off ~230 times): nothing in it may grow with the number of events.
#   .venv/bin/micropython tools/testing/mpy_unittest.py boards/sim/tests/test_world_events.py
import gc
import os

import scenario
from world import World


def _leaks(n, every_ms):
    return [{"t_ms": every_ms * (i + 1), "fault": "leak", "value": 0.5 if i % 2 == 0 else 0} for i in range(n)]


def test_events_without_a_truth_log_keep_no_memory():
    # Without a truth file, event notes (written only into it) must not pile up.
    w = World(scenario.validate_scenario({"events": _leaks(600, 50)}))
    w.advance_to(5_000_000)  # the first 100 events: warm-up
    gc.collect()
    before = gc.mem_alloc()
    w.advance_to(30_000_000)  # the other 500
    gc.collect()
    grown = gc.mem_alloc() - before
    assert grown < 256, grown


def test_events_reach_the_truth_log_once():
    # A name of its own: tests run in parallel (make test).
    path = "/tmp/vacuum_sim_test_world_events_%s.csv" % "".join("%02x" % b for b in os.urandom(6))
    w = World(scenario.validate_scenario({"events": _leaks(4, 50)}), truth_path=path)
    w.advance_to(400_000)
    w._truth.close()
    with open(path) as f:
        text = f.read()
    os.remove(path)
    assert text.count("leak") >= 4, text[:400]
