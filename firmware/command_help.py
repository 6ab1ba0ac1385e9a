# Usage and purpose of every command, for 'help' only: imported on demand and
# dropped after each use (commands._service), so this text takes no RAM while
# the device works. firmware/tests/test_help_texts.py checks every command
# has its entry, and no other: so 'help' lists TEXTS' names without importing
# the command table (which loads this module).
from cmderror import E_UNKNOWN, CmdError

# name: (usage, what it does)
TEXTS = {
    "help": (
        "help [command]",
        "list commands or describe one",
    ),
    "version": (
        "version",
        "firmware, protocol and board",
    ),
    "status": (
        "status",
        "state, vacuum, outputs, alarms",
    ),
    "start": (
        "start <program> key=value ...",
        "start a session (programs: list them with 'programs'), e.g. start continuous target=30kPa ramp=5s duration=15min, start intermittent target=125mmHg on=5min off=2min duration=1h",
    ),
    "stop": (
        "stop",
        "end the session and vent to ambient",
    ),
    "clear": (
        "clear",
        "clear latched alarms once their cause is fixed (logged)",
    ),
    "tel": (
        "tel on [RATEHz] | tel off",
        "periodic telemetry lines",
    ),
    "mode": (
        "mode human|machine",
        "machine mode adds sequence numbers and CRC-16 (docs/protocol.md)",
    ),
    "echo": (
        "echo on|off",
        "echo typed characters (human mode)",
    ),
    "programs": (
        "programs [name]",
        "program and preset names; with a name: its parameters as name=default[range] (! = required), ceiling and purpose",
    ),
    "pause": (
        "pause",
        "vent and freeze the session timer (resume within 10 min)",
    ),
    "resume": (
        "resume",
        "continue a paused session",
    ),
    "next": (
        "next",
        "dotted programs: the cup has been moved, build the next dot",
    ),
    "log": (
        "log | log <index> | log clear",
        "therapy log on flash, one record per session: count, or one record (0 = oldest)",
    ),
    "get": (
        "get <param>",
        "read a parameter",
    ),
    "set": (
        "set <param> <value>",
        "change a parameter",
    ),
    "tune": (
        "tune auto target=P [amp=PCT] [timeout=DUR] | status | result | commit RULE | discard | abort",
        "relay autotune around P inside the hard limits; the result is staged until committed (rules: fast, no_overshoot, schedule)",
    ),
    "commission": (
        "commission start volume=V | status | result | commit | discard | abort | gauge READING",
        "measure the sensor, pump and vent fitted, on a rigid chamber of V (20mL..2L) on the port; staged until committed; gauge: the sensor's gain from a reference gauge read at a settled hold",
    ),
    "config": (
        "config show|get NAME|set NAME VALUE|diff|commit|revert|reset|audit [N]",
        "service parameters on flash: set stages a change, commit saves it (read back, then applied, audited)",
    ),
    "flashlog": (
        "flashlog alarm|therapy [N]",
        "the last N records of the alarm or therapy log kept on flash",
    ),
    "unlock": (
        "unlock CODE",
        "service role (set, config changes, tune auto/commit, selftest, log clear) until 'lock' or 10 min without a service command",
    ),
    "lock": (
        "lock",
        "back to the therapist role (start, stop, pause and choose programs within their ranges; read everything)",
    ),
    "passcode": (
        "passcode NEW",
        "service role: change the unlock code (6..32 letters or digits; stored as a salted hash)",
    ),
    "selftest": (
        "selftest exception | selftest stall DURATION",
        "prove the exception path ends in the safe state; block the loop to prove overrun detection",
    ),
    "alarms": (
        "alarms | alarms log [N]",
        "active alarms with priority, latching and acknowledgement; or the last N alarm log records",
    ),
    "ack": (
        "ack",
        "acknowledge active alarms: their sound stops, they stay until cleared",
    ),
    "silence": (
        "silence [DURATION]",
        "pause alarm sound for up to 2 min (default 2 min); a new alarm sounds again",
    ),
    "hb": (
        "hb",
        "host heartbeat (any valid command counts) for sessions started with heartbeat=DURATION",
    ),
}


def cmd_help(dev, args):
    if args:
        if args[0] not in TEXTS:
            raise CmdError(E_UNKNOWN, "no command '%s'; type help" % args[0])
        return "%s: %s" % TEXTS[args[0]]
    return "commands: " + " ".join(sorted(TEXTS)) + " (help <command> for details; pressures need a unit: Pa kPa hPa mbar mmHg inHg atm cmH2O)"
