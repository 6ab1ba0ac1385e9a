#!/usr/bin/env python3
"""Where one simulated second of wall time goes (docs/simulation.md).

    python tools/bench/simprofile.py [--seconds 60] [--tel-hz 20] [--truth] [--heap BYTES]
        [--scenario NAME] [--start "PROGRAM ARGS"]
    python tools/bench/simprofile.py --host [--seconds 120]

Without --host: the simulated board alone (no pty, no host), a continuous
session at 30 kPa on the default plant, with a ticks_us probe around each
part (tools/bench/simprofile_mpy.py); prints microseconds of wall time per
simulated second for each part, with the probes' own cost removed.

With --host: the whole chain as a technician runs it,
``vacuumctl --port sim run continuous --target 30kPa --duration N`` (20 Hz
telemetry), and the CPU time of each process in it (vacuumctl with its link
thread, the launcher's relay, MicroPython), read from /proc while they run.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
MPY = os.path.join(ROOT, ".venv", "bin", "micropython")
VACUUMCTL = os.path.join(ROOT, ".venv", "bin", "vacuumctl")
sys.path.insert(0, os.path.join(ROOT, "boards", "sim"))


def default_heap() -> int:
    import launcher  # type: ignore[import-not-found]

    return launcher.sim_heap_bytes("pico")


def run_on_idle_link(argv: list[str], commands: str, **kw) -> subprocess.CompletedProcess:
    """Run the board with `commands` on a pseudo-terminal that stays open and
    quiet after them, as a board's serial line is between commands: a file
    at its end would be 'ready' at every poll and read 0 bytes, two system
    calls a pass that no board makes."""
    import pty
    import tty

    master, slave = pty.openpty()
    try:
        tty.setraw(slave)
        os.write(master, commands.encode())
        return subprocess.run(argv, stdin=slave, check=False, **kw)
    finally:
        os.close(slave)
        os.close(master)


def profile_board(seconds: float, tel_hz: int, truth: bool, heap: int, scenario: str = "default",
                  start: str = "continuous target=30kPa") -> dict:
    cmds = ("tel on %dHz\r\n" % tel_hz if tel_hz else "") + "start %s duration=%ds\r\n" % (start, seconds + 100)
    with tempfile.TemporaryDirectory(prefix="simprofile-") as d:
        argv = [MPY, "-X", "heapsize=%d" % heap, os.path.join(HERE, "simprofile_mpy.py"), "--until-ms", str(int(seconds * 1000)),
            "--scenario", scenario]
        if truth:
            argv += ["--truth-csv", os.path.join(d, "truth.csv")]
        r = run_on_idle_link(argv, cmds, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    line = next((ln for ln in r.stderr.splitlines() if ln.startswith("SIMPROFILE ")), None)
    if line is None:
        raise SystemExit("simprofile: the instrumented board printed no profile:\n" + r.stderr)
    return json.loads(line[len("SIMPROFILE "):])


def print_board(res: dict, label: str) -> None:
    s = res["sim_s"]
    wall = res["wall_us"]
    print("%s: %.0f simulated s in %.3f s wall = %.0fx real time (probe cost %.2f us, subtracted)" % (
        label, s, wall / 1e6, s / (wall / 1e6), res["probe_us"]))
    print("  %-52s %10s %9s %8s" % ("part (indented: inside the part above)", "us/sim s", "us/call", "share"))
    depth = {}
    for p in res["parts"]:
        depth[p["name"]] = 0 if p["parent"] is None else depth[p["parent"]] + 1
        per_call = p["us"] / p["calls"] if p["calls"] else 0.0
        print("  %-52s %10.0f %9.2f %7.1f%%" % ("  " * depth[p["name"]] + p["name"], p["us"] / s, per_call, 100.0 * p["us"] / wall))
    rest = res["rest_us"]
    print("  %-52s %10.0f %9s %7.1f%%" % ("the rest: firmware loop code, boot, unprobed", rest / s, "", 100.0 * rest / wall))
    print("  %-52s %10.0f" % ("total", wall / s))


# ---- the whole chain with the host -----------------------------------------
def _cpu_s(pid: int) -> float | None:
    try:
        with open("/proc/%d/stat" % pid, "rb") as f:
            st = f.read()
    except OSError:
        return None
    fields = st[st.rindex(b")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    out = []
    try:
        for tid in os.listdir("/proc/%d/task" % pid):
            with open("/proc/%d/task/%s/children" % (pid, tid)) as f:
                out += [int(x) for x in f.read().split()]
    except OSError:
        pass
    return out


def profile_host(seconds: float) -> dict:
    argv = [VACUUMCTL, "--port", "sim", "run", "continuous", "--target", "30kPa", "--duration", str(seconds)]
    t0 = time.monotonic()
    p = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seen: dict[int, tuple[str, float]] = {}
    while p.poll() is None:
        stack = [p.pid]
        while stack:
            pid = stack.pop()
            cpu = _cpu_s(pid)
            if cpu is not None:
                try:
                    with open("/proc/%d/cmdline" % pid, "rb") as f:
                        cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
                except OSError:
                    cmd = "?"
                role = "micropython (firmware + simulator)" if "runner.py" in cmd else (
                    "launcher relay (CPython)" if "launcher.py" in cmd else "vacuumctl + link (CPython)")
                # A forked child shows its parent's command line until it
                # execs, and an exited one (zombie) shows none: keep the role
                # once known.
                old = seen.get(pid)
                if old is not None and not role.startswith("vacuumctl"):
                    pass
                elif old is not None:
                    role = old[0]
                seen[pid] = (role, cpu)
            stack += _children(pid)
        time.sleep(0.01)
    wall = time.monotonic() - t0
    by_role: dict[str, float] = {}
    for role, cpu in seen.values():
        by_role[role] = by_role.get(role, 0.0) + cpu
    return {"wall_s": wall, "sim_s": seconds, "cpu_s": by_role, "rc": p.returncode}


def print_host(res: dict) -> None:
    s = res["sim_s"]
    print("vacuumctl --port sim run continuous --target 30kPa --duration %g (20 Hz telemetry): %.2f s wall = %.0fx real time, start-up included" % (
        s, res["wall_s"], s / res["wall_s"]))
    print("  %-40s %8s %12s" % ("process", "CPU s", "ms/sim s"))
    for role, cpu in sorted(res["cpu_s"].items()):
        print("  %-40s %8.2f %12.2f" % (role, cpu, 1000.0 * cpu / s))
    print("  (CPU read from /proc every 10 ms; the last 10 ms of each process may be missed)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--tel-hz", type=int, default=20)
    ap.add_argument("--truth", action="store_true", help="write the ground-truth CSV (10 ms rows)")
    ap.add_argument("--scenario", default="default", help="the plant (a named scenario or a file)")
    ap.add_argument("--start", default="continuous target=30kPa",
                    help="the program and its arguments, as after 'start' (duration added)")
    ap.add_argument("--heap", type=int, default=0, help="MicroPython heap (default: the launcher's for the pico)")
    ap.add_argument("--host", action="store_true", help="profile the whole chain through vacuumctl instead")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    if a.host:
        res = profile_host(a.seconds)
        print(json.dumps(res) if a.json else "", end="\n" if a.json else "")
        if not a.json:
            print_host(res)
        return
    res = profile_board(a.seconds, a.tel_hz, a.truth, a.heap or default_heap(), a.scenario, a.start)
    if a.json:
        print(json.dumps(res))
    else:
        print_board(res, "simulated board, %s telemetry%s" % ("%d Hz" % a.tel_hz if a.tel_hz else "no", ", truth CSV" if a.truth else ""))


if __name__ == "__main__":
    main()
