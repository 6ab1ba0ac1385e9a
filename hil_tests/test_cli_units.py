"""`status` in the user's unit and `stop`, as a user runs them on the simulated board."""
from __future__ import annotations

import re

from clirun import vacuumctl
from vacuumctl.link import DeviceLink
from vacuumctl.telemetry import parse_fields



def test_status_shows_pressures_in_the_users_unit_and_raw_for_scripts(pty):
    with DeviceLink.open(pty) as link:
        link.request("start continuous target=225mmHg duration=1h")
    r = vacuumctl("--port", pty, "status", VACUUM_UNIT="mmHg")
    assert r.returncode == 0, r.stderr
    shown = {line[:18].strip(): line[18:].strip() for line in r.stdout.splitlines()}
    assert shown["state"] == "running" and shown["target"] == "225.0mmHg" and shown["ceiling"] == "525.0mmHg"
    # The board runs at full speed: device time moves on while the tool
    # starts, so the minutes are not fixed; the form and the order are
    # (whole minutes are written without "0 s": words.duration).
    left = re.fullmatch(r"(\d+) min(?: (\d+) s)?", shown["time left"])
    assert left and int(left[2] or 0) < 60, shown
    shown_s = int(left[1]) * 60 + int(left[2] or 0)
    assert 0 < shown_s <= 3600, shown
    r = vacuumctl("--port", pty, "status", "--raw")
    raw = parse_fields(r.stdout)
    assert raw["target_pa"] == 29998 and raw["ceiling_pa"] == 70000
    assert raw["remaining_ms"] // 1000 <= shown_s, (raw, shown)  # asked later, never more left


def test_stop_ends_the_devices_session(pty):
    with DeviceLink.open(pty) as link:
        link.request("start continuous target=20kPa duration=1h")
    r = vacuumctl("--port", pty, "stop")
    assert r.returncode == 0 and r.stdout.strip() == "stopped: pump off, the vent releases to ambient", r.stdout + r.stderr
    with DeviceLink.open(pty) as link:
        assert parse_fields(link.request("status"))["state"] in ("release", "idle")
    assert vacuumctl("--port", pty, "stop").stdout.strip() == "nothing to stop: no session is running"
