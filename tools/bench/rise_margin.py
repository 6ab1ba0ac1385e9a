#!/usr/bin/env python3
"""The rise rule's margin on one plant: the largest rise over the rule's
window (vacuum minus the lowest of the last 50 ms of fresh samples) that the
supervisor saw in a whole scripted session, and the first alarm (issue 17,
docs/control.md "Rate governor of the approach").

    tools/bench/rise_margin.py PROGRAM INDEX [--seed S]   a robustness campaign plant
    tools/bench/rise_margin.py --scenario FILE --start LINE

Prints `RISE_MARGIN max_rise_pa=N alarms=[...] end=...`. The firmware runs
unchanged (boards/sim/scripted.py); only the supervisor's rule is wrapped to
record what it compares (outside the firmware, in this script's process).
"""
import sys

if sys.implementation.name == "micropython":
    ROOT = __file__.rsplit("/", 3)[0]  # (given an absolute path by the outer run)
    # inner run: micropython rise_margin.py --inner SCENARIO START
    sys.path.insert(0, ROOT + "/boards/sim")
    import scenario as scenario_mod
    import scripted
    import sessions

    scn = scenario_mod.load_scenario(sys.argv[2])
    start = sys.argv[3]
    prep = scripted.Prepared(scn, start, sessions.START_AT_MS + sessions.duration_ms(start) + 1500)
    import safety

    best = [0]
    rule = safety.Supervisor._rise_rule

    def recording(self):
        r = self._ring
        m = r[0]
        for k in range(1, self._n_rise):
            if r[k] < m:
                m = r[k]
        if self._rn >= self._n_rise and self._v - m > best[0]:
            best[0] = self._v - m
        rule(self)

    safety.Supervisor._rise_rule = recording
    prep.keep.add("safety")  # the firmware imports this (wrapped) module
    s = prep.run()
    print("RISE_MARGIN max_rise_pa=%d alarms=%s end=%s" % (best[0], s["alarms"], s["session_end"]))
else:
    import argparse
    import json
    import os
    import random
    import subprocess
    import tempfile

    HERE = os.path.dirname(os.path.abspath(__file__))
    ROOT = os.path.dirname(os.path.dirname(HERE))

    sys.path.insert(0, HERE)
    import robustness

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("program", nargs="?")
    ap.add_argument("index", nargs="?", type=int)
    ap.add_argument("--seed", type=int, default=17)
    ap.add_argument("--scenario")
    ap.add_argument("--start")
    a = ap.parse_args()
    if a.scenario:
        path, start, tmp = a.scenario, a.start, None
    else:
        scn = robustness.draw_plant(random.Random("%d:%d:%s" % (a.seed, a.index, a.program)), a.program)
        fd, tmp = tempfile.mkstemp(suffix=".json")
        with os.fdopen(fd, "w") as f:
            json.dump(scn, f)
        path, start = tmp, a.start or robustness.sessions.PROGRAMS[a.program][1]
        print("plant: %s" % json.dumps(scn["plant"]), "sensor:", scn.get("sensor"))
    try:
        r = subprocess.run([robustness.MICROPYTHON, "-X", "heapsize=%d" % robustness.HEAP, os.path.abspath(__file__), "--inner", path, start],
                           capture_output=True, text=True, cwd=ROOT)
    finally:
        if tmp:
            os.remove(tmp)
    out = [ln for ln in r.stdout.splitlines() if ln.startswith("RISE_MARGIN")]
    print(out[-1] if out else (r.stdout + r.stderr)[-800:])
    sys.exit(0 if out else 1)
