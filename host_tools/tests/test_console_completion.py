"""The console's completion follows what the device reports (a fake link)."""
from __future__ import annotations

from prompt_toolkit.document import Document

from vacuumctl.console import DeviceCompleter, DeviceVocabulary
from vacuumctl.errors import DeviceError

ANSWERS = {
    "help": "commands: clear config get help programs set start status stop tune version (help <command> for details)",
    "programs": "continuous dotted",
    "programs continuous": "continuous kind=continuous ceiling_pa=70000 target=![1000Pa..71000Pa] ramp=0ms[0ms..600000ms] duration=900000ms[1000ms..604800000ms] help: hold",
    "programs dotted": "dotted kind=dotted ceiling_pa=50000 target=![1000Pa..50000Pa] hold=4000ms[3000ms..5000ms] help: dots",
    "config show": "kp=0 ki=0 tau=25ms source=defaults staged_changes=0",
    "help start": "start <program> key=value ...: start a session",
}


class FakeLink:
    def request(self, line: str) -> str:
        if line == "get":
            raise DeviceError("E_ARG", "usage: get <param> (params: kp tau vacuum)")
        return ANSWERS.get(line, "")


def _complete(text: str) -> list[str]:
    comp = DeviceCompleter(DeviceVocabulary(FakeLink()))  # type: ignore[arg-type]
    return [c.text for c in comp.get_completions(Document(text), None)]


def test_commands_programs_and_their_own_parameters():
    assert "start" in _complete("st") and "status" in _complete("st")
    assert _complete("start ") == ["continuous", "dotted"]
    assert _complete("start dotted ") == ["target=", "hold=", "heartbeat="]
    # parameters already given are not offered again
    assert _complete("start continuous target=30kPa ") == ["ramp=", "duration=", "heartbeat="]


def test_values_get_units_of_their_kind_and_params_come_from_the_device():
    assert "target=30kPa" in _complete("start continuous target=30")
    assert "target=30mmHg" in _complete("start continuous target=30")
    # A pressure gets pressure units only, a duration durations only.
    assert not {"target=30s", "target=30min", "target=30h"} & set(_complete("start continuous target=30"))
    assert _complete("start continuous duration=30") == ["duration=30s", "duration=30min", "duration=30h", "duration=30ms"]
    assert _complete("start dotted hold=4") == ["hold=4s", "hold=4min", "hold=4h", "hold=4ms"]
    assert _complete("start continuous heartbeat=5") == ["heartbeat=5s", "heartbeat=5min", "heartbeat=5h", "heartbeat=5ms"]
    assert "target=30kPa" in _complete("tune auto target=30") and "timeout=2min" in _complete("tune auto timeout=2")
    assert _complete("tune auto amp=2") == []
    assert _complete("get ") == ["kp", "tau", "vacuum"]
    assert _complete("config set ") == ["kp", "ki", "tau"]
    assert _complete("tune commit ") == ["fast", "no_overshoot", "schedule"]


def test_inline_help_is_the_devices_own():
    vocab = DeviceVocabulary(FakeLink())  # type: ignore[arg-type]
    assert vocab.help_for("start").startswith("start <program>")
    assert vocab.help_for("nonsense") == ""
