"""Interactive console: history, completion, and alarms that interrupt the
prompt the moment they arrive."""
from __future__ import annotations

import threading

from prompt_toolkit import PromptSession
from prompt_toolkit.completion import Completer, Completion
from prompt_toolkit.patch_stdout import patch_stdout

from . import userunit, words
from .alarms_cmd import paint
from .errors import DeviceError, DeviceLost, UserError
from .link import DeviceLink
from .telemetry import Message, parse_fields

_UNITS = ("Pa", "kPa", "hPa", "mbar", "mmHg", "inHg", "atm", "cmH2O")
# What follows the digits of a value, by the unit the device gives its range in.
_VALUE_UNITS = {"Pa": _UNITS, "ms": ("s", "min", "h", "ms"), "mHz": ("Hz",), "pct": ("%",), "": ()}
_TUNE_AUTO_KINDS = {"target=": "Pa", "amp=": "", "timeout=": "ms"}
_SUBCOMMANDS = {
    "tel": ["on", "off"], "mode": ["human", "machine"], "echo": ["on", "off"],
    "config": ["show", "get", "set", "diff", "commit", "revert", "reset", "audit"],
    "tune": ["auto", "status", "result", "commit", "discard", "abort"],
    "alarms": ["log"], "flashlog": ["alarm", "therapy"], "log": ["clear"],
    "selftest": ["exception", "stall"],
}


class DeviceVocabulary:
    """What the connected device says it understands: commands, programs and
    their parameters, get/set and configuration parameters. Asked once at
    connect time, so completion follows the firmware, not this tool."""

    def __init__(self, link: DeviceLink):
        self.commands = self._words_after(link, "help", "commands:")
        self.programs = self._ask(link, "programs").split()
        self.program_params: dict[str, list[str]] = {}
        self.param_units: dict[str, dict[str, str]] = {}  # program -> {"target=": "Pa", ...}
        for prog in self.programs:
            words = self._ask(link, "programs " + prog).split()
            self.program_params[prog] = [w.split("=")[0] + "=" for w in words[1:] if "[" in w]
            self.param_units[prog] = {w.split("=")[0] + "=": _range_unit(w) for w in words[1:] if "[" in w}
        self.params = self._paren_list(link, "get")
        self.config = [w.split("=")[0] for w in self._ask(link, "config show").split() if "=" in w and not w.startswith(("source=", "staged_changes="))]
        self._help: dict[str, str] = {}
        self._link = link

    @staticmethod
    def _ask(link: DeviceLink, line: str) -> str:
        try:
            return link.request(line)
        except DeviceError as e:
            return e.message
        except (UserError, TimeoutError):
            return ""

    def _words_after(self, link: DeviceLink, line: str, marker: str) -> list[str]:
        text = self._ask(link, line)
        if marker in text:
            text = text.split(marker, 1)[1].split("(", 1)[0]
        return text.split()

    def _paren_list(self, link: DeviceLink, line: str) -> list[str]:
        text = self._ask(link, line)
        if "params:" in text:
            return text.split("params:", 1)[1].split(")", 1)[0].split()
        return []

    def help_for(self, command: str) -> str:
        """The device's own help line for a command (cached)."""
        if command not in self.commands:
            return ""
        if command not in self._help:
            self._help[command] = self._ask(self._link, "help " + command)
        return self._help[command]

    def candidates(self, words: list[str], current: str) -> list[str]:
        """Completions for the word being typed, given the words before it."""
        if not words:
            return self.commands + ["quit"]
        cmd = words[0]
        if cmd == "start" and len(words) == 1:
            return self.programs
        if cmd == "start" and len(words) >= 2:
            used = {w.split("=")[0] + "=" for w in words[2:]}
            params = [p for p in self.program_params.get(words[1], []) if p not in used]
            if "=" in current:  # a value: offer the units of this parameter's kind
                key = current.split("=", 1)[0] + "="
                kind = "ms" if key == "heartbeat=" else self.param_units.get(words[1], {}).get(key, "")
                return _with_units(current, kind)
            return params + ["heartbeat="]
        if cmd in ("get", "set") and len(words) == 1:
            return self.params
        if cmd == "config" and len(words) == 2 and words[1] in ("get", "set"):
            return self.config
        if cmd == "tune" and len(words) >= 2 and words[1] == "auto":
            if "=" in current:
                return _with_units(current, _TUNE_AUTO_KINDS.get(current.split("=", 1)[0] + "=", ""))
            used = {w.split("=")[0] + "=" for w in words[2:]}
            return [k for k in _TUNE_AUTO_KINDS if k not in used]
        if cmd == "tune" and len(words) == 2 and words[1] == "commit":
            return ["fast", "no_overshoot", "schedule"]
        if cmd in ("help",) and len(words) == 1:
            return self.commands
        if cmd == "programs" and len(words) == 1:
            return self.programs
        if len(words) == 1:
            return _SUBCOMMANDS.get(cmd, [])
        return []


def _range_unit(word: str) -> str:
    """``target=![1000Pa..71000Pa]`` -> ``Pa`` (the unit the device checks it in)."""
    rng = word.split("[", 1)[1]
    return rng.split("..", 1)[0].lstrip("-0123456789")


def _with_units(current: str, kind: str) -> list[str]:
    """``target=30`` -> ``target=30kPa``, ``target=30mmHg``, ... for a pressure;
    ``s``/``min``/``h`` for a duration; nothing for a plain number."""
    head = current.rstrip("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
    if not head[-1:].isdigit():
        return []
    return [head + u for u in _VALUE_UNITS.get(kind, ())]


class DeviceCompleter(Completer):
    def __init__(self, vocab: DeviceVocabulary):
        self.vocab = vocab

    def get_completions(self, document, complete_event):  # type: ignore[no-untyped-def]
        text = document.text_before_cursor
        words = text.split()
        current = "" if text.endswith(" ") or not words else words.pop()
        for cand in self.vocab.candidates(words, current):
            if cand.startswith(current):
                yield Completion(cand, start_position=-len(current))


def alarm_line(msg: Message, unit: str = userunit.DEFAULT) -> str:
    """An alarm event as shown over the prompt, in words: a raised alarm in
    its priority's colour (high red, medium yellow, low cyan), ack,
    silence, clear and end in bold."""
    prio = msg.fields.get("priority")
    return paint(words.alarm(msg, unit), prio if isinstance(prio, str) else "raise", True)


def reply_lines(line: str, reply: str, unit: str) -> list[str]:
    """The device's reply as the console shows it: the commands a person
    reads most (status, start, stop, unlock, lock) in words, the others as
    the device says them (this is the device's own command line)."""
    cmd = line.split()[0]
    if cmd == "status" and line.strip() == "status":
        return words.status_table(parse_fields(reply), unit)
    if cmd == "start":
        return [words.started(reply, unit)]
    if cmd == "stop":
        return [words.stopped(reply)]
    if cmd in ("unlock", "lock"):
        return [words.role(reply)]
    return ["ok " + reply]


def run_console(link: DeviceLink, unit: str = userunit.DEFAULT) -> int:
    stop = threading.Event()

    def show_events() -> None:
        while not stop.is_set():
            try:
                msg = link.messages.get(timeout=0.2)
            except Exception:  # noqa: BLE001 - queue.Empty
                continue
            if msg.kind == "alarm":
                print(alarm_line(msg, unit))
            elif msg.kind != "tel":
                print(words.message(msg, unit))

    vocab = DeviceVocabulary(link)

    def toolbar() -> str:
        # Inline help: the device's own description of the command being typed.
        words = session.default_buffer.document.text.split()
        return vocab.help_for(words[0]) if words else "Tab completes commands, programs, parameters and units; quit or Ctrl-D leaves"

    session: PromptSession[str] = PromptSession(completer=DeviceCompleter(vocab), bottom_toolbar=toolbar,
                                                complete_while_typing=False)
    print("connected: %s  (quit or Ctrl-D to leave)" % link.request("version"))
    with patch_stdout(raw=True):  # raw: our colour escapes reach the terminal (not shown as "?[33m")
        threading.Thread(target=show_events, daemon=True).start()
        try:
            while True:
                try:
                    line = session.prompt("vacuum> ").strip()
                except KeyboardInterrupt:
                    continue
                except EOFError:
                    break
                if not line:
                    continue
                if line in ("quit", "exit"):
                    break
                try:
                    for out in reply_lines(line, link.request(line), unit):
                        print(out)
                except DeviceError as e:
                    print("\x1b[33merr %s %s\x1b[0m" % (e.code, e.message))
                except DeviceLost:
                    raise  # nothing more to type to: leave with the sentence
                except (UserError, TimeoutError) as e:
                    print("error: %s" % e)
        finally:
            stop.set()
    _note_running_session(link)
    return 0


def _note_running_session(link: DeviceLink) -> None:
    """Leaving the console leaves the device as it is, like closing picocom;
    say so when a session is still running there. (A simulated board started
    for this console, --port sim, powers off with it: nothing to say.)"""
    if link.sim is not None:
        return
    try:
        state = parse_fields(link.request("status")).get("state")
    except (UserError, TimeoutError):
        return
    if state in ("run", "pause"):
        print("the session on the device keeps running ('vacuumctl stop' or 'stop' here ends it)")
