"""Every ``vacuumctl`` command with its one-line help, by the module that
registers it, in the order ``vacuumctl --help`` shows them: the one place
each help is written (cmdline.add_command reads it; cli.py lists the
commands it does not import). Imports nothing, so it costs nothing to load."""
from __future__ import annotations

# (module, ((command, one-line help), ...))
COMMANDS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    ("device_cmd", (("version", "versions of this tool and (with --port) the firmware"),
                    ("status", "one status snapshot (pressures in --unit)"),
                    ("stop", "end the session on the device: pump off, vent open"))),
    ("sim_cmd", (("sim", "a simulated board: in the foreground, or in the background (--detach) for later "
                         "commands (--port sim@NAME)"),)),
    ("run_cmd", (("run", "run a program for a device-time duration and record telemetry"),)),
    ("monitor_cmd", (("monitor", "live view until Ctrl-C"),)),
    ("programs_cmd", (("programs", "programs and presets with their parameters, defaults and ranges"),
                      ("log", "the device's therapy log: a table, or CSV / JSON for scripts"))),
    ("tune", (("tune", "step test and relay autotune (docs/control.md)"),)),
    ("deploy_cmd", (("deploy", "build the firmware for a board and copy it with mpremote, verified by hash"),)),
    ("config_cmd", (("config", "service parameters: show|get|set|diff|commit|revert|reset|audit|save FILE|load FILE"),)),
    ("console_cmd", (("console", "interactive console (history, completion, live alarms)"),)),
    ("access_cmd", (("unlock", "enter the service role (asks for the code)"),
                    ("lock", "leave the service role (back to therapist)"),
                    ("passcode", "change the service code (needs the service role)"))),
    ("commission", (("commission", "measure the sensor, pump and vent fitted, on a rigid chamber "
                                   "(docs/commissioning.md)"),)),
    ("plot", (("plot", "draw a session CSV (run/monitor --csv, or simulator truth) as a PNG"),)),
    ("ports", (("ports", "list serial ports and find boards running this firmware"),)),
    ("alarms_cmd", (("alarms", "active alarms; ack, silence, clear; the alarm log (RAM or flash)"),)),
    ("ui", (("ui", "bench dashboard in the browser (local web server; prints its address first)"),)),
)


def help_of(name: str) -> str:
    """The one-line help of command `name` (KeyError for a command not listed)."""
    for _, commands in COMMANDS:
        for command, text in commands:
            if command == name:
                return text
    raise KeyError(name)
