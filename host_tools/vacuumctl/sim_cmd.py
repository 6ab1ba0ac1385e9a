"""``vacuumctl sim``: a simulated board in the foreground for other programs
to connect to, or in the background (--detach) for later commands
(--port sim@NAME); --list and --stop for those."""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from . import simboards, words
from .cmdline import add_command, speed_arg
from .errors import UserError
from .paths import sim_dir
from .simport import scenario_arg


def register(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    s = add_command(sub, "sim", description="Without --detach: a simulated board in the foreground for other programs to "
                                "connect to; it prints 'port: /dev/pts/N' and runs until Ctrl-C. With --detach: "
                                "it keeps running in the background and every later command reaches it with "
                                "--port sim@NAME, as separate commands reach a real board on the bench (an "
                                "unlock, a staged change or an autotune result stay). --list shows them, "
                                "--stop NAME ends one.",
                    examples="""examples:
  vacuumctl sim --detach --name bench           # a simulated board that stays, in the background
  vacuumctl --port sim@bench unlock             # ... every later command reaches the same board
  vacuumctl --port sim@bench config set leak_delay 3min
  vacuumctl sim --list                          # the background boards
  vacuumctl sim --stop bench                    # a running session is stopped and vented first
  vacuumctl sim                                 # in the foreground, real time; prints "port: /dev/pts/N"
  vacuumctl sim leg_chamber_15l --speed 3 --truth-csv truth.csv
then, in another terminal: vacuumctl --port /dev/pts/N console  (or picocom /dev/pts/N)
Background boards are registered in $VACUUM_SIM_REGISTRY, else $XDG_RUNTIME_DIR/vacuumctl/sims,
else <tmp>/vacuumctl-<uid>/sims.""")
    s.add_argument("scenario", nargs="?", help="scenario name (boards/sim/scenarios) or JSON path")
    s.add_argument("--speed", type=speed_arg, default="1", help="simulated seconds per wall second, or max (default 1 = real time)")
    s.add_argument("--truth-csv", help="write the physics ground truth to this CSV")
    s.add_argument("--flash", help="the board's flash image (created blank if missing; kept across runs): deploy to it")
    s.add_argument("--detach", action="store_true", help="keep the board running in the background; prints its name")
    s.add_argument("--name", help="with --detach: the board's name (default: the scenario's), for --port sim@NAME")
    s.add_argument("--list", action="store_true", help="the simulated boards running in the background")
    s.add_argument("--stop", metavar="NAME", help="end a background board (a running session is stopped and vented first)")
    s.add_argument("--json", action="store_true", help="--list: as JSON, for scripts")
    s.add_argument("--cpu", choices=("host", "rp2040", "esp32"),
                   help="CPU model: the firmware's own work (tick, background, collections) takes the target's "
                        "time in device time; default the scenario's, else host (no time)")
    s.set_defaults(func=cmd_sim, needs_port=False)


def cmd_sim(args: argparse.Namespace) -> int:
    if args.list:
        return _sim_list(args)
    if args.stop:
        print(simboards.stop(args.stop))
        return 0
    if args.detach:
        b = simboards.detach(args.scenario or "default", args.name, args.speed or "1", args.truth_csv, args.flash, args.cpu)
        pace = "real time" if float(b.speed if b.speed != "max" else 0) == 1 else (
            "as fast as it can" if b.speed == "max" else "%sx real time" % b.speed)
        print("simulated board '%s' runs in the background: scenario %s, board %s, %s, pty %s" % (
            b.name, Path(b.scenario).name, b.board, pace, b.port))
        print("use it with:   vacuumctl --port %s status" % b.spec)
        print("end it with:   vacuumctl sim --stop %s" % b.name)
        return 0
    if args.name:
        raise UserError("--name names a board started with --detach")
    sys.path.insert(0, str(sim_dir()))
    import launcher  # type: ignore[import-not-found]

    argv = [scenario_arg(args.scenario or "default"), "--speed", args.speed or "1"]
    if args.truth_csv:
        argv += ["--truth-csv", args.truth_csv]
    if args.flash:
        argv += ["--flash", args.flash]
    if args.cpu:
        argv += ["--cpu", args.cpu]
    return int(launcher.main(argv) or 0)


def _sim_list(args: argparse.Namespace) -> int:
    import json

    live, stale = simboards.boards()
    for name in stale:
        print("vacuumctl: removed the stale entry '%s' (its board had ended without removing it)" % name,
              file=sys.stderr)
    if args.json:
        print(json.dumps([dict(vars(b), spec=b.spec) for b in live], indent=1))
        return 0
    if not live:
        print("no simulated board is running in the background ('vacuumctl sim --detach' starts one)")
        return 0
    rows = [("name", "port", "scenario", "board", "speed", "running for", "pty")]
    for b in live:
        rows.append((b.name, b.spec, Path(b.scenario).name, b.board, b.speed,
                     words.duration(int((time.time() - b.started) * 1000)), b.port))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
    return 0
