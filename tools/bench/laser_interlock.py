#!/usr/bin/env python3
"""Laser interlock: time from the applicator's lift to the end of the
emission, by ground truth, over every phase of the lift within a control
tick, with the contact switch working and with it stuck closed (the vacuum
alone). Part of `make bench`.

Unchanged firmware on the simulated laser applicator board (sim_laser,
default 60 mL cup), run directly (no pty): `start roller_laser ramp=1s
duration=8s`; the laser emits from about 2.1 s; the lift (`contact_lost`,
the cup opened by 300 L/min at 10 kPa) comes 5000 + k ms after the pump is
first driven, k = 0..period-1 (every phase of the board's control tick, 10 ms
at 100 Hz). Ground truth every 1 ms. Figures: device ms (the truth's clock
is the device's uptime) and control ticks, and how long the laser was still lit while the applicator's
true vacuum was already below the contact threshold (10 kPa).
"""
import csv
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "boards", "sim"))
from boardfacts import control_period_ms  # noqa: E402

MPY = os.path.join(os.path.dirname(sys.executable), "micropython")
CONTACT_PA = 10_000
TICK_MS = control_period_ms("sim_laser")
LIFT_AFTER_MS = 5_000


def run(phase_ms, switch_stuck):
    events = [{"after_pump_on_ms": LIFT_AFTER_MS + phase_ms, "fault": "contact_lost"}]
    if switch_stuck:
        events.insert(0, {"after_pump_on_ms": 3_000, "fault": "contact_switch_stuck"})
    tmp = tempfile.mkdtemp(prefix="laser_interlock_")
    scn = os.path.join(tmp, "scn.json")
    truth = os.path.join(tmp, "truth.csv")
    with open(scn, "w") as f:
        json.dump({"description": "laser interlock bench", "board": "sim_laser", "events": events}, f)
    r = subprocess.run([MPY, "-X", "heapsize=4M", "boards/sim/runner.py", "--scenario", scn, "--until-ms", "9000",
                        "--truth-csv", truth, "--truth-interval-ms", "1"], cwd=ROOT, input="start roller_laser ramp=1s duration=8s\r\n",
                       capture_output=True, text=True, check=False)
    with open(truth, newline="") as f:
        rows = [x for x in csv.DictReader(f) if x.get("event") is not None]
    lift = next(int(x["t_ms"]) for x in rows if "contact_lost" in x["event"].split("|"))
    after = [x for x in rows if int(x["t_ms"]) >= lift]
    assert int(after[0]["laser"]) > 0, "not emitting at the lift: %s" % r.stdout[-500:]
    dark = next(int(x["t_ms"]) for x in after if int(x["laser"]) == 0)
    below = next(int(x["t_ms"]) for x in after if int(x["true_vacuum_pa"]) < CONTACT_PA)
    lit_below = max(0, dark - below)
    relit = [x for x in after if int(x["t_ms"]) > dark and int(x["laser"]) > 0]
    return dark - lift, lit_below, bool(relit)


def main():
    print("LASER INTERLOCK: lift -> end of emission, sim_laser, roller_laser at 20 kPa, contact threshold 10 kPa; device ms (ticks of %d ms)" % TICK_MS)
    print("%-34s %6s %16s %22s" % ("contact switch", "phase", "lift -> off", "lit below threshold"))
    worst = {}
    for stuck in (False, True):
        name = "stuck closed (vacuum alone)" if stuck else "working"
        for k in range(TICK_MS):
            ms, lit_below, relit = run(k, stuck)
            assert not relit, "the laser came back on after the lift"
            w = worst.get(name, (0, 0))
            worst[name] = (max(w[0], ms), max(w[1], lit_below))
            print("%-34s %4d ms %9d ms (%d) %19d ms" % (name, k, ms, -(-ms // TICK_MS), lit_below))
    for name, (ms, lit) in worst.items():
        print("worst, switch %s: %d ms = %d tick(s); lit below the threshold at most %d ms" % (name, ms, -(-ms // TICK_MS), lit))
    return 0


if __name__ == "__main__":
    sys.exit(main())
