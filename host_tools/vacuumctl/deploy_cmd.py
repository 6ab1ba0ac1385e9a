"""``vacuumctl deploy``: tools/deploy/deploy.py of the checkout the tool is
installed from (build, copy with mpremote, verify by hash, reset)."""
from __future__ import annotations

import argparse
import subprocess
import sys

from .cmdline import add_command
from .errors import UserError
from .paths import repo_root
from .simboards import is_named_sim
from .simport import is_sim_port


def register(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    s = add_command(sub, "deploy", examples="""examples:
  vacuumctl --port /dev/ttyACM0 deploy --board pico        # build .mpy, copy with mpremote, verify SHA-256, reset
  vacuumctl sim --flash board.img                          # a blank simulated board with its own flash ...
  vacuumctl --port /dev/pts/5 deploy --board pico          # ... deployed the same way
exit status: 0 every file verified; 1 build, copy or verification failed (the file is named)""")
    s.add_argument("--board", required=True, help="board definition in boards/ (pico, pico2, esp32_devkitc)")
    s.add_argument("--no-build", action="store_true", help="deploy build/BOARD/ as it is")
    s.set_defaults(func=cmd_deploy)


def cmd_deploy(args: argparse.Namespace) -> int:
    """tools/deploy/deploy.py of the checkout the tool is installed from."""
    if is_sim_port(args.port):
        raise UserError("deploy needs the port of a running board: for the simulated board start "
                        "'vacuumctl sim --flash IMG' and pass the pty it prints as --port")
    if is_named_sim(args.port):
        from .simboards import port_of

        args.port = port_of(args.port)  # a background simulated board started with --flash IMG
    argv = [sys.executable, str(repo_root() / "tools" / "deploy" / "deploy.py"), "--board", args.board, "--port", args.port]
    if args.no_build:
        argv.append("--no-build")
    r = subprocess.run(argv, capture_output=True, text=True)
    sys.stdout.write(r.stdout)
    if r.returncode != 0:
        raise UserError((r.stderr.strip() or "deploy failed").removeprefix("deploy: "))
    return 0
