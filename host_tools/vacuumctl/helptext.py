"""Examples and exit statuses shown by ``vacuumctl CMD --help``.

Kept apart from the parser so that each command's help reads like a man
page's EXAMPLES section without cluttering cli.py; a command that sets its
own epilog keeps it. docs/host-tool.md has the same examples with output.
"""
from __future__ import annotations

import argparse

TOP = """examples:
  vacuumctl ports                                   # which port has a board running this firmware
  vacuumctl --port sim run continuous --target 30kPa --duration 20 --plot run.png
  vacuumctl --port /dev/ttyACM0 console             # interactive, like picocom but with completion
  vacuumctl plot run.csv -o run.png
With exactly one board running this firmware plugged in, --port may be left out.
'vacuumctl COMMAND --help' shows each command's options and examples; docs/host-tool.md has them all.
exit status: 0 ok, 1 an error explained in one sentence, 2 wrong usage or no port, 3 the device
faulted during 'run' or aborted 'commission', 4 'commission' measured something implausible,
130 interrupted by Ctrl-C"""

EXAMPLES: dict[str, str] = {
    "config": """examples:
  vacuumctl --port /dev/ttyACM0 config show            # every parameter: value, staged, unit, range, description
  vacuumctl --port /dev/ttyACM0 config set leak_delay 3min
  vacuumctl --port /dev/ttyACM0 config set cal_offset -300Pa
  vacuumctl --port /dev/ttyACM0 config save bench1.json
  vacuumctl --port /dev/ttyACM1 config load bench1.json  # shows the changes, asks before committing
set, commit, reset and load need the service role: 'vacuumctl unlock' first, or $VACUUMCTL_SERVICE_CODE.
Each vacuumctl call opens the port anew; with --port sim that is a fresh simulated board each time:
start one that stays with 'vacuumctl sim --detach' and use --port sim@NAME for steps that build on each other.
exit status: 0 ok; 1 refused (the reason is printed) or load not confirmed""",
    "version": """examples:
  vacuumctl version                      # this tool, and the one board found (if exactly one)
  vacuumctl --port /dev/ttyACM0 version  # firmware, protocol, board, MCU, unique id
exit status: 0; 1 if the device speaks another protocol (it is not driven)""",
    "status": """examples:
  vacuumctl --port sim status
  vacuumctl status --unit mmHg           # with exactly one board plugged in; pressures in mmHg
  vacuumctl --port sim status --raw      # the device's own reply (Pa, ms), for scripts""",
    "stop": """examples:
  vacuumctl --port /dev/ttyACM0 stop     # ends the device's session: pump off, vent open ("idle" if none ran)""",
    "sim": """examples:
  vacuumctl sim --detach --name bench           # a simulated board that stays, in the background
  vacuumctl --port sim@bench unlock             # ... every later command reaches the same board
  vacuumctl --port sim@bench config set leak_delay 3min
  vacuumctl sim --list                          # the background boards
  vacuumctl sim --stop bench                    # a running session is stopped and vented first
  vacuumctl sim                                 # in the foreground, real time; prints "port: /dev/pts/N"
  vacuumctl sim leg_chamber_15l --speed 3 --truth-csv truth.csv
then, in another terminal: vacuumctl --port /dev/pts/N console  (or picocom /dev/pts/N)
Background boards are registered in $VACUUM_SIM_REGISTRY, else $XDG_RUNTIME_DIR/vacuumctl/sims,
else <tmp>/vacuumctl-<uid>/sims.""",
    "run": """examples:
  vacuumctl --port sim run continuous --target 30kPa --duration 20 --csv out.csv
  vacuumctl --port sim run continuous --target 225mmHg --ramp 2s --duration 1min --plot run.png
  vacuumctl --port /dev/ttyACM0 run intermittent --target 125mmHg --on 5min --off 2min --duration 1h
  vacuumctl --port /dev/ttyACM0 run face_dotted --duration 10min       # Enter starts each next dot
  vacuumctl --port /dev/ttyACM0 run face_dotted --duration 10min --advance-after 5s
Ctrl-C stops the session: the device vents to ambient, then the tool exits.
exit status: 0 session completed, 1 refused (message says why), 3 the device faulted (it is then in
its safe state), 130 stopped by Ctrl-C""",
    "monitor": """examples:
  vacuumctl --port /dev/ttyACM0 monitor --csv bench.csv
  vacuumctl --port sim monitor --rate 20
  vacuumctl --port /dev/ttyACM0 monitor --plot --unit mmHg        # a live plot window (needs a display)
  vacuumctl --port /dev/ttyACM0 monitor --plot-file last_minute.png  # saved when the monitor ends
Ctrl-C ends the monitor only: a session the device runs keeps running ('vacuumctl stop' ends it).
exit status: 0; 1 if the port vanished""",
    "console": """examples:
  vacuumctl --port sim console
  > start continuous target=30kPa duration=20s
  > get vacuum
Tab completes commands and parameters; alarms print the moment they arrive. Ctrl-D leaves.""",
    "programs": """examples:
  vacuumctl --port sim programs
  vacuumctl --port sim programs npwt_intermittent""",
    "tune": """examples:
  vacuumctl --port sim tune step --target 30kPa            # rise, overshoot, settling; CSV and PNG
  vacuumctl --port sim@bench tune auto --target 30kPa      # relay autotune on a background board; staged
  vacuumctl --port sim@bench tune commit schedule          # apply the staged result (or: tune discard)
Ctrl-C stops the test: the device vents to ambient, nothing is staged (exit 130).
details: docs/control.md""",
    "commission": """examples:
  vacuumctl --port /dev/ttyACM0 commission --volume 500mL   # a 500 mL bottle on the port; asks before committing
  vacuumctl --port sim:bench_bottle commission --volume 100mL --yes --plot curves.png
  vacuumctl --port /dev/ttyACM0 commission --json --yes     # the record as JSON (sentences on stderr)
Ctrl-C stops it: pump off, vent open, nothing staged. details: docs/commissioning.md
exit status: 0 committed; 1 declined (discarded) or an error; 3 the device aborted it (the reason is printed);
4 the result is not plausible (left staged until 'commission discard'); 130 Ctrl-C""",
    "deploy": """examples:
  vacuumctl --port /dev/ttyACM0 deploy --board pico        # build .mpy, copy with mpremote, verify SHA-256, reset
  vacuumctl sim --flash board.img                          # a blank simulated board with its own flash ...
  vacuumctl --port /dev/pts/5 deploy --board pico          # ... deployed the same way
exit status: 0 every file verified; 1 build, copy or verification failed (the file is named)""",
    "alarms": """examples:
  vacuumctl --port /dev/ttyACM0 alarms                 # active alarms: priority, latching, acknowledged
  vacuumctl --port /dev/ttyACM0 alarms ack             # the sound stops; the alarms stay
  vacuumctl --port /dev/ttyACM0 alarms silence 60s     # pause the sound (at most 2 min)
  vacuumctl --port /dev/ttyACM0 alarms clear           # after fixing the cause; logged on the device
  vacuumctl --port /dev/ttyACM0 alarms log --flash --csv alarms.csv   # the log kept across resets
Priorities are coloured on a terminal (high red, medium yellow, low cyan).
exit status: 0 ok; 1 the device refused (the reason is printed)""",
    "unlock": """examples:
  vacuumctl --port /dev/ttyACM0 unlock                 # asks for the code (not echoed); prints role=service timeout_s=600
  VACUUMCTL_SERVICE_CODE=... vacuumctl --port /dev/ttyACM0 config set leak_delay 3min   # unlocks by itself
The role lives on the device: until 'vacuumctl lock', 10 min without a service command, or a reset.
Three wrong codes lock attempts out for 30 s, doubling per further wrong code up to 15 min.
exit status: 0 unlocked; 1 wrong code or locked out (the sentence says how long)""",
    "passcode": """examples:
  vacuumctl --port /dev/ttyACM0 unlock                 # the current code (factory: 246810)
  vacuumctl --port /dev/ttyACM0 passcode               # asks for the new code twice, not echoed
exit status: 0 changed; 1 refused (no service role, a code that is not 6..32 letters or digits, flash error)""",
    "lock": """examples:
  vacuumctl --port /dev/ttyACM0 lock                   # back to the therapist role
exit status: 0""",
    "log": """examples:
  vacuumctl --port /dev/ttyACM0 log                    # a table: when, program, length, how it ended
  vacuumctl --port /dev/ttyACM0 log --csv therapy.csv  # every field, for a spreadsheet ('-': standard output)""",
}


class _TopFormatter(argparse.RawDescriptionHelpFormatter):
    """argparse sizes the name column without the commands' own indent, so a
    long command name ("commission") lost its line: count that indent."""

    def add_argument(self, action: argparse.Action) -> None:
        super().add_argument(action)
        if action.help is not argparse.SUPPRESS and isinstance(action, argparse._SubParsersAction):
            longest = max((len(self._format_action_invocation(a)) for a in action._get_subactions()), default=0)
            self._action_max_length = max(self._action_max_length, longest + self._current_indent + self._indent_increment)


def add_examples(top: argparse.ArgumentParser, sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """Give the tool and every registered command without an epilog its examples."""
    top.epilog = TOP
    top.formatter_class = _TopFormatter
    for name, parser in sub.choices.items():
        if name in EXAMPLES and not parser.epilog:
            parser.epilog = EXAMPLES[name]
            parser.formatter_class = argparse.RawDescriptionHelpFormatter
