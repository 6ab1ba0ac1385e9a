#!/usr/bin/env python3
"""Simulation speed, measured (make bench, section 3; make bench-speed alone).

A 120 s continuous session at 30 kPa on the default plant, each kind run
RUNS times (median quoted), wall time from process start to exit, start-up
included:

* plain: the simulated board alone (boards/sim/runner.py booted as the
  launcher boots it, commands on a quiet pseudo-terminal, no telemetry, no
  ground truth);
* 20 Hz telemetry: the same with 'tel on 20Hz';
* ground truth: the same writing the truth CSV (10 ms rows);
* through vacuumctl: ``vacuumctl --port sim run continuous --target 30kPa
  --duration 120`` (20 Hz telemetry: launcher, pty, host tool; the target
  of issue 15), and the same with --truth-csv.

Each as simulated seconds per wall second and as a share of the
firmware-only ceiling measured in the same run: the simulated seconds per
wall second if the simulator, the emulated bus and the host cost nothing:
the 20 Hz session's speed divided by the firmware's share of its wall time
(tick without the bus emulation, background, loop, collections) in the
probe profile of the same session (tools/bench/simprofile.py). The share,
not the profile's own times: the probes slow the whole profiled run by
about half again.
"""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import simprofile  # noqa: E402

VACUUMCTL = os.path.join(ROOT, ".venv", "bin", "vacuumctl")
SESSION_S = 120
RUNS = int(os.environ.get("BENCH_SPEED_RUNS", "3"))
TARGET_X = 200.0
# The firmware's own parts in the probe profile (the rest is the simulator).
_SIM_PARTS = ("virtual clock", "world stepping", "physics", "sensor emulation", "truth CSV", "pacing", "I2C byte path")


def firmware_share(seconds: float = 60.0) -> tuple[float, dict]:
    """(the firmware's share of the wall time of a 20 Hz telemetry session
    on the board alone, the probe profile it comes from)."""
    prof = simprofile.profile_board(seconds, 20, False, simprofile.default_heap())
    sim_us = sum(p["us"] for p in prof["parts"] if p["name"].startswith(_SIM_PARTS))
    return (prof["wall_us"] - sim_us) / prof["wall_us"], prof


def _board_run(tel: bool, truth: bool) -> float:
    with tempfile.TemporaryDirectory(prefix="simspeed-") as d:
        cmds = ("tel on 20Hz\r\n" if tel else "") + "start continuous target=30kPa duration=%ds\r\n" % (SESSION_S + 60)
        import launcher  # boards/sim (simprofile put it on the path)

        # Booted as the launcher boots a board (compiled modules, the
        # simulator's per-tick ones as machine code), without the link.
        argv = [*launcher.micropython_command(), "-X", "heapsize=%d" % simprofile.default_heap(), "boards/sim/runner.py",
                *launcher.compiled_modules(), "--until-ms", str(SESSION_S * 1000)]
        if truth:
            argv += ["--truth-csv", os.path.join(d, "truth.csv")]
        t0 = time.monotonic()
        simprofile.run_on_idle_link(argv, cmds, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return time.monotonic() - t0


def _vacuumctl_run(truth: bool) -> float:
    with tempfile.TemporaryDirectory(prefix="simspeed-") as d:
        argv = [VACUUMCTL, "--port", "sim", "run", "continuous", "--target", "30kPa", "--duration", str(SESSION_S)]
        if truth:
            argv += ["--truth-csv", os.path.join(d, "truth.csv")]
        t0 = time.monotonic()
        r = subprocess.run(argv, cwd=d, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False)
        wall = time.monotonic() - t0
        if r.returncode != 0:
            raise SystemExit("bench: vacuumctl run failed: " + r.stderr[-500:])
        return wall


KINDS = [
    ("plain session, board alone", lambda: _board_run(False, False)),
    ("20 Hz telemetry, board alone", lambda: _board_run(True, False)),
    ("ground truth CSV (10 ms), board alone", lambda: _board_run(False, True)),
    ("20 Hz telemetry through vacuumctl run", lambda: _vacuumctl_run(False)),
    ("20 Hz telemetry + truth CSV, vacuumctl", lambda: _vacuumctl_run(True)),
]


def load_note() -> str:
    try:
        one, five, _ = os.getloadavg()
    except OSError:
        return ""
    return "load average %.1f (1 min) / %.1f (5 min) on %d cores" % (one, five, os.cpu_count() or 0)


def main() -> None:
    print("3. SIMULATION SPEED: %d s continuous session at 30 kPa, default plant; wall time from start to exit, start-up included;" % SESSION_S)
    print("   median of %d runs (%s)" % (RUNS, load_note()))
    share, prof = firmware_share()
    rows = []
    for name, run in KINDS:
        walls = [run() for _ in range(RUNS)]
        wall = statistics.median(walls)
        rows.append((name, wall, SESSION_S / wall))
    # The probes slow the profiled run as a whole (by about half again), so its
    # firmware time is not a figure to divide by; its share is. The ceiling
    # is the same session's speed without probes over that share.
    ceiling = rows[1][2] / share
    print("   %-42s %8s %14s %12s" % ("session", "wall s", "sim s/wall s", "of ceiling"))
    for name, wall, x in rows:
        print("   %-42s %8.2f %14.0f %11.0f%%" % (name, wall, x, 100.0 * x / ceiling))
    print("   %-42s %8s %14.0f %11s" % ("firmware-only ceiling", "", ceiling, "100%"))
    print("   (the 20 Hz session's speed over the firmware's share of its wall time, %.0f %% in the probe profile)" % (100 * share))
    target = rows[3][2]
    print("   target: >= %.0f sim s/wall s through vacuumctl with 20 Hz telemetry, start-up included: %.0f -> %s" % (
        TARGET_X, target, "MET" if target >= TARGET_X else "NOT MET"))
    if ceiling < TARGET_X:
        # The profile's per-loop figures, scaled back by how much the probes
        # slowed its run against the same session without them.
        slow = (prof["wall_us"] / 1e6 / prof["sim_s"]) * rows[1][2]
        bg = _per_loop(prof, "firmware background") + _per_loop(prof, "serial input") + _per_loop(prof, "telemetry formatting")
        period_ms = 1000.0 * prof["sim_s"] / (prof["loops"] or 1)
        print("   the firmware alone (tick ~%.0f us, background ~%.0f us per %.0f ms loop, and its collections) caps the board below the target;" % (
            _per_loop(prof, "firmware tick") / slow, bg / slow, period_ms))
        print("   docs/simulation.md, 'Where the time goes'")
    print()


def _per_loop(prof: dict, prefix: str) -> float:
    loops = prof["loops"] or 1
    return sum(p["us"] for p in prof["parts"] if p["name"].startswith(prefix)) / loops


if __name__ == "__main__":
    main()
