"""vacuumctl alarms: parsing the device's replies, colours only on a
terminal, errors as sentences (the end-to-end tests against the simulated
board are in hil_tests/test_alarms_host.py)."""
from __future__ import annotations

import argparse
import io

import pytest

from vacuumctl import alarms_cmd, cli
from vacuumctl.console import alarm_line
from vacuumctl.errors import UserError
from vacuumctl.telemetry import Message


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


class _Link:
    def __init__(self, replies: dict[str, str]):
        self.replies = replies
        self.sent: list[str] = []

    def request(self, text: str) -> str:
        self.sent.append(text)
        return self.replies[text]


def _args(action: str, duration: str | None = None, flash: bool = False, csv: str | None = None) -> argparse.Namespace:
    return argparse.Namespace(action=action, duration=duration, flash=flash, csv=csv, port="sim")


ACTIVE = "active=2 silence_ms=4500 sensor=high,latched,unacked,stops reset=low,latched,acked"


def test_parse_active_reply():
    silence, rows = alarms_cmd.parse_active(ACTIVE)
    assert silence == 4500
    assert [r["name"] for r in rows] == ["sensor", "reset"]
    assert rows[0] == {"name": "sensor", "priority": "high", "latching": "latched", "ack": "unacked", "stops": "stops"}
    assert rows[1]["stops"] == "" and rows[1]["ack"] == "acked"
    assert alarms_cmd.parse_active("active=0 silence_ms=0") == (0, [])


def test_list_is_coloured_on_a_terminal_and_plain_otherwise():
    link = _Link({"alarms": ACTIVE})
    plain = io.StringIO()
    alarms_cmd.run(_args("list"), link, plain)  # type: ignore[arg-type]
    text = plain.getvalue()
    assert "\x1b[" not in text
    assert "sensor" in text and "high" in text and "stops therapy" in text and "advisory" in text
    assert "sound paused for 5 s more" in text and "alarms clear" in text
    tty = _Tty()
    alarms_cmd.run(_args("list"), link, tty)  # type: ignore[arg-type]
    assert "\x1b[1;31m" in tty.getvalue() and "\x1b[36m" in tty.getvalue()  # high red, low cyan


def test_parse_log_numbers_boots_on_flash():
    ram = "log records=2 total=2: t_ms=5120 raise internal value=20012; t_ms=6200 ack internal value=0"
    rows = alarms_cmd.parse_log(ram)
    assert [(r["t_ms"], r["action"], r["alarm"], r["value"]) for r in rows] == [("5120", "raise", "internal", "20012"), ("6200", "ack", "internal", "0")]
    flash = "3 alarm records: t_ms=9000 raise leak value=3100; t_ms=9100 clear leak value=0; t_ms=1200 raise interrupted value=0"
    assert [r["boot"] for r in alarms_cmd.parse_log(flash)] == ["0", "0", "1"]
    assert alarms_cmd.parse_log("log records=0 total=0") == []
    assert alarms_cmd.parse_log("0 alarm records") == []


def test_log_csv(tmp_path):
    link = _Link({"flashlog alarm 100": "1 alarm records: t_ms=9000 raise leak value=3100"})
    out = io.StringIO()
    path = tmp_path / "a.csv"
    alarms_cmd.run(_args("log", flash=True, csv=str(path)), link, out)  # type: ignore[arg-type]
    assert path.read_text().splitlines() == ["boot,t_ms,action,alarm,value", "0,9000,raise,leak,3100"]
    assert "1 alarm log records written" in out.getvalue()


def test_ack_silence_clear_sentences():
    link = _Link({"ack": "acked sensor,leak", "silence 60000ms": "silenced 60000ms", "silence": "silenced 120000ms",
                  "clear": "cleared sensor"})
    out = io.StringIO()
    for a, d in (("ack", None), ("silence", "60s"), ("silence", None), ("clear", None)):
        alarms_cmd.run(_args(a, d), link, out)  # type: ignore[arg-type]
    text = out.getvalue()
    assert "acknowledged sensor, leak" in text and "paused for 60 s" in text and "paused for 120 s" in text
    assert "cleared sensor (logged on the device)" in text
    assert link.sent == ["ack", "silence 60000ms", "silence", "clear"]


@pytest.mark.parametrize("bad,why", [("3min", "1 s to 2 min"), ("0.5s", "1 s to 2 min"), ("soon", "duration")])
def test_bad_silence_is_a_sentence_before_any_port_opens(bad, why):
    with pytest.raises(UserError) as e:
        alarms_cmd.silence_token(bad)
    assert why in str(e.value)
    assert alarms_cmd.silence_token("90") == " 90000ms"  # a bare number is seconds


def test_cli_refuses_misplaced_options(capsys):
    assert cli.main(["--port", "sim", "alarms", "ack", "5s"]) == 1
    assert "only 'alarms silence DUR'" in capsys.readouterr().err
    assert cli.main(["--port", "sim", "alarms", "list", "--flash"]) == 1
    assert "'alarms log' only" in capsys.readouterr().err


def test_console_colours_alarm_events_by_priority():
    high = Message.from_text("alarm raise overvacuum priority=high latching=1 t_ms=12345 vacuum_pa=36120")
    med = Message.from_text("alarm raise leak priority=medium latching=1 t_ms=1 vacuum_pa=1")
    ack = Message.from_text("alarm ack leak t_ms=13000")
    assert alarm_line(high).startswith("\x1b[1;31mALARM overvacuum (high priority")
    assert alarm_line(med).startswith("\x1b[1;33m")
    assert alarm_line(ack).startswith("\x1b[1m") and alarm_line(ack).endswith("\x1b[0m")
