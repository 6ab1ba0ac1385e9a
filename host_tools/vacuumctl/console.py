"""Interactive console: history, completion, and alarms that interrupt the
prompt the moment they arrive."""
from __future__ import annotations

import threading

from prompt_toolkit import PromptSession
from prompt_toolkit.completion import WordCompleter
from prompt_toolkit.patch_stdout import patch_stdout

from .errors import DeviceError, UserError
from .link import DeviceLink

_COMMANDS = ["help", "version", "status", "start", "stop", "clear", "tel", "programs", "get", "set", "pause", "resume", "next", "log", "quit"]
_WORDS = _COMMANDS + ["continuous", "target=", "ramp=", "duration=", "on", "off", "kp", "ki", "kd", "vacuum", "setpoint"]


def run_console(link: DeviceLink) -> int:
    stop = threading.Event()

    def show_events() -> None:
        while not stop.is_set():
            try:
                msg = link.messages.get(timeout=0.2)
            except Exception:  # noqa: BLE001 - queue.Empty
                continue
            if msg.kind == "alarm":
                print("\x1b[1;31m%s\x1b[0m" % msg.text)
            elif msg.kind != "tel":
                print(msg.text)

    session: PromptSession[str] = PromptSession(completer=WordCompleter(_WORDS, sentence=True))
    print("connected: %s  (quit or Ctrl-D to leave)" % link.request("version"))
    with patch_stdout():
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
                    print("ok " + link.request(line))
                except DeviceError as e:
                    print("\x1b[33merr %s %s\x1b[0m" % (e.code, e.message))
                except (UserError, TimeoutError) as e:
                    print("error: %s" % e)
        finally:
            stop.set()
    return 0
