"""``vacuumctl ui``: the bench dashboard in the browser (docs/dashboard.md).

A local web server bridges the device's machine-mode link to a page: live
chart and readouts, sessions with a preview, alarms with sound, tuning,
configuration, logs and the device's console. It works the same on a real
board and on ``--port sim[:SCENARIO]``."""
from __future__ import annotations

import argparse

from .. import units, userunit
from ..cmdline import add_command
from ..errors import UserError
from ..simport import is_sim_port

DEFAULT_HEARTBEAT_S = 10.0  # device time without a host command before a dashboard session ends by itself
HEARTBEAT_MAX_MS = 600_000  # the device's range for heartbeat= (docs/protocol.md)
EXAMPLES = """examples:
  vacuumctl --port /dev/ttyACM0 ui                 # opens http://127.0.0.1:8719/ in the browser
  vacuumctl --port sim:fault_pump_fail ui --http-port 0 --no-browser   # any free port; the first line says which
  vacuumctl --port /dev/ttyACM0 ui --listen 0.0.0.0   # other machines may connect (the server says what that exposes)
Ctrl-C stops the server; a session started from the page is stopped first (the device vents).
exit status: 0 stopped by Ctrl-C; 1 an error explained in one sentence (the port was lost, busy, ...)"""


def register(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    s = add_command(
        sub, "ui",
        description="Start a local web server that shows the device live in a browser: chart, readouts, "
                    "sessions with a preview, alarms with sound, step test and autotune, configuration, "
                    "logs and the device's console. The first line printed is 'ui: http://127.0.0.1:N/'. "
                    "One page controls the device at a time; other pages watch. If the controlling page goes "
                    "away while a session it started runs, the session is stopped and the device vents. "
                    "Ctrl-C stops the server (and such a session).",
        examples=EXAMPLES)
    s.add_argument("--http-port", type=int, default=8719, help="TCP port of the page (default 8719; 0: any free port)")
    s.add_argument("--no-browser", action="store_true", help="do not open a browser")
    s.add_argument("--listen", default="127.0.0.1", metavar="ADDR",
                   help="address to serve on (default 127.0.0.1: this machine only). Another address, e.g. "
                        "0.0.0.0, lets other machines watch and control the device: the server says what that exposes")
    s.add_argument("--speed", help="simulated board only: simulated seconds per wall second (default 1)")
    s.add_argument("--heartbeat", default=None, metavar="DUR",
                   help="sessions started from the page carry the device's host heartbeat: with no command from "
                        "this server for DUR of device time the device stops them itself (default 10s, scaled by "
                        "--speed on a simulated board; 0 turns it off)")
    userunit.add_argument(s)  # the page's unit until the technician picks another there
    s.set_defaults(func=cmd_ui)


def heartbeat_ms(text: str | None, port: str, speed: str) -> int:
    if text is not None:
        try:
            ms = units.to_device_ms(text if not text.replace(".", "", 1).isdigit() else text + "s")
        except units.UnitError as e:
            raise UserError("--heartbeat: %s" % e) from None
        if ms and not 500 <= ms <= HEARTBEAT_MAX_MS:
            raise UserError("--heartbeat must be 0 (off) or 0.5 s .. 10 min")
        return ms
    if not is_sim_port(port):
        return int(DEFAULT_HEARTBEAT_S * 1000)
    if speed == "max":
        return 0  # device time runs as fast as it can: no heartbeat interval holds; the board stops with the server
    return min(HEARTBEAT_MAX_MS, int(DEFAULT_HEARTBEAT_S * 1000 * max(1.0, float(speed))))


def cmd_ui(args: argparse.Namespace) -> int:
    try:
        from .server import serve
    except ImportError as e:  # pragma: no cover - aiohttp comes with make venv
        raise UserError("the dashboard needs aiohttp (%s): run 'make venv'" % e) from None
    from ..link import DeviceLink

    if not 0 <= args.http_port <= 65535:
        raise UserError("--http-port must be 0..65535")
    speed = args.speed or "1"
    if args.speed and not is_sim_port(args.port):
        raise UserError("--speed applies only to a simulated board (--port sim)")
    if speed != "max":
        try:
            if not 0.01 <= float(speed) <= 10000:
                raise ValueError
        except ValueError:
            raise UserError("--speed is a number of simulated seconds per wall second (0.01..10000), or max") from None
    hb = heartbeat_ms(args.heartbeat, args.port, speed)
    link = DeviceLink.open(args.port, speed=speed)
    link.service_code = None  # the page asks for the code; the server never keeps one
    return serve(link, args.port, args.http_port, args.listen, not args.no_browser, hb, args.unit)
