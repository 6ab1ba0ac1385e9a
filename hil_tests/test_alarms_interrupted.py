"""Interrupted-session detection: a session cut short by a power loss (or a
watchdog reset) is reported at the next boot with the medium `interrupted`
alarm and an event naming the program, from the start record on flash that
has no end record. A session that ended normally, or by an alarm, is not."""
from __future__ import annotations

import json
from pathlib import Path

from devicekit import unlock
from vacuumctl.link import DeviceLink


def _scenario(tmp_path: Path, events: list[dict]) -> str:
    path = tmp_path / "cell.json"
    path.write_text(json.dumps({"description": "interrupted session", "events": events}))
    return str(path)


def _boot_after(link: DeviceLink):
    while True:
        m = link.next_message(timeout_s=30)
        assert m is not None, "no reboot seen"
        if m.kind == "boot":
            return m


def test_power_cut_mid_session_raises_interrupted_at_boot(tmp_path, monkeypatch, needs_sim):
    monkeypatch.setenv("VACUUM_SIM_FLASH", str(tmp_path / "flash.img"))
    truth = tmp_path / "truth.csv"
    scen = _scenario(tmp_path, [{"after_pump_on_ms": 3000, "fault": "power_cut", "value": 1000}])
    with DeviceLink.open("sim:" + scen, truth_csv=str(truth)) as link:
        link.request("start npwt_continuous duration=1min")
        boot = _boot_after(link)
        assert "reset=pwron_reset" in boot.text
        st = link.request("alarms")  # after the reboot's resynchronisation
        # Sent right after the banner, still in human mode: a plain line.
        ev = next(t for t in link.raw_log if t.startswith("event session_interrupted"))
        assert ev.startswith("event session_interrupted program=npwt_continuous started_ms="), ev
        assert ev.endswith("reset=pwron_reset"), ev
        assert "interrupted=medium,latched,unacked" in st and ",stops" not in st, st
        # Ground truth: the pump ran and the vacuum was at the wound level when the power went.
        rows = [r for r in truth.read_text().splitlines()[1:]]
        cut_row = next(i for i, r in enumerate(rows) if r.split(",")[-1] == "power_cut|boot" or "power_cut" in r.split(",")[-1])
        before = [r.split(",") for r in rows[:cut_row] if r.split(",")[3] != "0"]
        assert before and int(before[-1][1]) > 15_000, before[-1:]
        assert "interrupted" in link.request("flashlog alarm 5")
        # Reported once: the boot wrote the end record; an advisory alarm does not block a new session.
        assert "end=interrupted" in link.request("flashlog therapy 1")
        link.request("start continuous target=10kPa duration=2s")
        assert link.request("clear") == "cleared interrupted"


def test_completed_and_alarm_ended_sessions_are_not_interrupted(tmp_path, monkeypatch, needs_sim):
    monkeypatch.setenv("VACUUM_SIM_FLASH", str(tmp_path / "flash.img"))
    with DeviceLink.open("sim") as link:
        link.request("start continuous target=20kPa duration=2s")
        while "session_end" not in (m := link.next_message(timeout_s=30)).text:  # type: ignore[union-attr]
            pass
        recs = link.request("flashlog therapy 2")
        assert "program=continuous" in recs and "end=completed" in recs, recs
    # The next power-up (same flash): nothing was interrupted.
    with DeviceLink.open("sim") as link:
        assert link.request("alarms").startswith("active=0"), link.request("alarms")
        link.request("start continuous target=20kPa duration=20s")
        unlock(link)
        link.request("selftest exception")  # ends the session by an alarm: logged as its end
        for _ in range(50):
            if "end=alarm" in link.request("flashlog therapy 1"):
                break
        assert "end=alarm" in link.request("flashlog therapy 1")
    with DeviceLink.open("sim") as link:
        assert "interrupted" not in link.request("alarms")
