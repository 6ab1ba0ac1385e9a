"""`vacuumctl alarms` against the simulated board, as a technician runs it:
list, ack, clear, and the alarm log of this boot or on flash (across
power-ups of the same flash image), plain text when not on a terminal."""
from __future__ import annotations

import json

from vacuumctl import cli


def test_alarms_list_ack_log_clear_end_to_end(tmp_path, monkeypatch, capsys, needs_sim):
    monkeypatch.setenv("VACUUM_SIM_FLASH", str(tmp_path / "flash.img"))
    scen = tmp_path / "disconnected.json"
    scen.write_text(json.dumps({"events": [{"t_ms": 0, "fault": "sensor_disconnect"}]}))
    port = "sim:%s" % scen
    assert cli.main(["--port", port, "alarms"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == ["sensor", "high", "latched", "unacked", "stops", "therapy"], out
    assert "\x1b[" not in out  # not a terminal: plain
    assert cli.main(["--port", port, "alarms", "ack"]) == 0
    assert "acknowledged sensor" in capsys.readouterr().out
    assert cli.main(["--port", port, "alarms", "log"]) == 0
    rows = [line.split() for line in capsys.readouterr().out.splitlines()[1:]]
    assert rows and rows[0][1:3] == ["raise", "sensor"], rows
    assert cli.main(["--port", port, "alarms", "clear"]) == 0
    assert "cleared sensor" in capsys.readouterr().out
    # Four power-ups of the same flash: the flash log has the raise of each
    # boot, then the ack, the clear (and the raise that follows: still disconnected).
    csv_path = tmp_path / "alarms.csv"
    assert cli.main(["--port", port, "alarms", "log", "--flash", "--csv", str(csv_path)]) == 0
    lines = csv_path.read_text().splitlines()
    assert lines[0] == "boot,t_ms,action,alarm,value"
    recs = [line.split(",") for line in lines[1:]]
    assert {r[2] for r in recs} >= {"raise", "ack", "clear"}, recs
    # Boots are told apart by the uptime going back (the log has no boot
    # counter): here the raises of consecutive boots share t_ms=20.
    assert len({r[0] for r in recs}) >= 2, recs


def test_alarms_errors_are_sentences(capsys, needs_sim):
    assert cli.main(["--port", "sim", "alarms", "silence", "5min"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("vacuumctl: silence: 5min is out of range") and "Traceback" not in err
