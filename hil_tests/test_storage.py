"""Persistent data on the simulated board's littlefs flash: configuration and
logs survive restarts and power cuts (including a cut in the middle of a
flash write), a corrupt file falls back to the previous good one, and every
committed change is in the audit log."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from devicekit import FACTORY_CODE, unlock
from vacuumctl.errors import DeviceError, DeviceReset
from vacuumctl.link import DeviceLink
from vacuumctl.telemetry import parse_fields

ROOT = Path(__file__).resolve().parents[1]
MICROPYTHON = str(Path(sys.executable).parent / "micropython")
# Flash write (program/erase) indices at which the commit test cuts the power;
# POWERCUT_ALL=1 (make powercut) tries every one, and one past the end.
COMMIT_WRITES = 6  # the record (two 256-byte pages since it carries commissioning's entries), rename, audit
UNLOCK_WRITES = 1  # the unlock's audit entry comes first (the simulated chip counts from boot)
CUT_POINTS = list(range(1, COMMIT_WRITES + 2)) if os.environ.get("POWERCUT_ALL") else [1, 3, 6, 7]

pytestmark = pytest.mark.usefixtures("needs_sim")


def _open(monkeypatch: pytest.MonkeyPatch, image: Path, scenario: str = "default") -> DeviceLink:
    """A power-up of the simulated board on this flash image, unlocked for
    the service commands these tests use."""
    monkeypatch.setenv("VACUUM_SIM_FLASH", str(image))
    link = DeviceLink.open("sim:" + scenario)
    unlock(link)
    return link


def _status(link: DeviceLink) -> dict:
    return parse_fields(link.request("status"))


def _kp(link: DeviceLink) -> int:
    return int(parse_fields(link.request("config get kp").split(" | ")[0])["value"])


def _commit_kp(link: DeviceLink, value: int) -> str:
    link.request("config set kp %d" % value)
    return link.request("config commit")


def test_config_survives_a_restart_and_is_audited(monkeypatch, tmp_path):
    image = tmp_path / "flash.img"
    with _open(monkeypatch, image) as link:
        assert _status(link)["storage"] == "ok"  # fresh device: defaults, no flag
        assert "source=defaults" in link.request("config show")
        assert _commit_kp(link, 5000) == "committed kp 0->5000"
        with pytest.raises(DeviceError) as e:
            link.request("config set kp 4000001")
        assert e.value.code == "E_RANGE" and "0..4000000" in str(e.value)
    assert image.stat().st_size > 0
    with _open(monkeypatch, image) as link:  # power off and on: a new process on the same image
        assert _kp(link) == 5000
        assert "source=current" in link.request("config show")
        # The gain really reaches the controller.
        assert link.request("get kp") == "kp=5000 unit=duty/kPa"
        audit = link.request("config audit")
        assert audit.startswith("3 audit entries:") and "role=service kp 0->5000" in audit, audit  # unlock, change, unlock


def test_config_commit_is_refused_while_a_session_runs(monkeypatch, tmp_path):
    with _open(monkeypatch, tmp_path / "flash.img") as link:
        link.request("start continuous target=20kPa duration=60s")
        link.request("config set kp 5000")
        with pytest.raises(DeviceError) as e:
            link.request("config commit")
        assert e.value.code == "E_STATE"
        link.request("stop")
        assert link.request("config commit") == "committed kp 0->5000"


def _corrupt(image: Path, name: str) -> None:
    """Flip a payload byte of a file inside the littlefs image (in MicroPython,
    which has littlefs)."""
    code = (
        "import sys; sys.path.insert(0, 'boards/sim')\n"
        "from flash import SimFlash\n"
        "c = SimFlash(%r); c.mount()\n"
        "f = open('/flash/data/%s', 'r+b'); f.seek(13); b = f.read(1); f.seek(13); f.write(bytes([b[0] ^ 0xFF])); f.close()\n"
        "c.close()\n" % (str(image), name)
    )
    subprocess.run([MICROPYTHON, "-c", code], cwd=str(ROOT), check=True, capture_output=True, timeout=60)


def test_corrupt_config_falls_back_to_the_previous_one_with_a_flag(monkeypatch, tmp_path):
    image = tmp_path / "flash.img"
    with _open(monkeypatch, image) as link:
        _commit_kp(link, 5000)
        _commit_kp(link, 4000)
    _corrupt(image, "config")
    with _open(monkeypatch, image) as link:
        st = _status(link)
        assert st["storage"] == "backup" and st["state"] == "idle"
        assert _kp(link) == 5000
        assert "source=backup" in link.request("config show")
        # A new commit repairs it.
        _commit_kp(link, 4500)
        assert "source=current" in link.request("config show")
    _corrupt(image, "config")
    _corrupt(image, "config.bak")
    with _open(monkeypatch, image) as link:
        assert _status(link)["storage"] == "defaults"
        assert _kp(link) == 0


def test_alarm_log_survives_a_restart(monkeypatch, tmp_path):
    image = tmp_path / "flash.img"
    with _open(monkeypatch, image) as link:
        link.request("start continuous target=20kPa duration=60s")
        link.request("selftest exception")
        while True:
            msg = link.messages.get(timeout=30)
            if msg.kind == "alarm":
                break
        assert "internal" in msg.text
        # The log write follows the alarm event in the same loop iteration.
        assert "raise internal" in link.request("flashlog alarm")
    with _open(monkeypatch, image) as link:
        recs = link.request("flashlog alarm")
        assert recs.startswith("1 alarm records:") and "raise internal" in recs
        therapy = link.request("flashlog therapy")
        assert "program=continuous params=target:20000" in therapy and "end=alarm alarms=internal" in therapy


@pytest.mark.parametrize("cut", CUT_POINTS)
def test_power_cut_during_config_commit_boots_safe_with_old_or_new(monkeypatch, tmp_path, cut):
    base = tmp_path / "base.img"
    with _open(monkeypatch, base) as link:
        _commit_kp(link, 5000)
    image = tmp_path / "flash.img"
    shutil.copy(base, image)
    scenario = tmp_path / "cut.json"
    scenario.write_text(json.dumps({"description": "power fails at flash write %d of the commit" % cut,
                                    "events": [{"t_ms": 0, "fault": "flash_cut_at_write", "value": UNLOCK_WRITES + cut}]}))
    with _open(monkeypatch, image, str(scenario)) as link:
        link.request("config set kp 4000")
        try:
            reply = link.request("config commit")
            reset = False
        except DeviceReset:
            reply, reset = "", True
        # On this image a commit is COMMIT_WRITES flash writes (record, rename, audit).
        assert reset == (cut <= COMMIT_WRITES), (cut, reset)
        st = _status(link)  # after a reset the link has re-entered machine mode
        assert st["state"] == "idle" and st["pump_duty"] == 0 and st["valve_duty"] == 65535, st
        assert st["alarms"] == "none"
        kp = _kp(link)
        assert kp in (5000, 4000), kp
        if not reset:
            assert reply == "committed kp 5000->4000" and kp == 4000
        else:
            # The device carries on (in the therapist role after the
            # reset): a commit now succeeds.
            unlock(link)
            link.request("config set kp 4200")
            assert link.request("config commit").startswith("committed kp")
            assert _kp(link) == 4200


def test_cli_config_save_on_one_device_load_on_another(monkeypatch, tmp_path, capsys):
    from vacuumctl.cli import main

    first = tmp_path / "a.img"
    monkeypatch.setenv("VACUUM_SIM_FLASH", str(first))
    monkeypatch.setenv("VACUUMCTL_SERVICE_CODE", FACTORY_CODE)  # config set/load unlock by themselves
    assert main(["--port", "sim", "config", "set", "cal_offset", "-300Pa"]) == 0
    # Each vacuumctl call is a fresh power-up of the simulated board: staged
    # values are gone, so stage and commit through one link instead.
    with _open(monkeypatch, first) as link:
        link.request("config set cal_offset -300Pa")
        link.request("config set leak_delay 3min")
        link.request("config commit")
    saved = tmp_path / "cfg.json"
    assert main(["--port", "sim", "config", "save", str(saved)]) == 0
    data = json.loads(saved.read_text())
    assert data["params"]["cal_offset"] == -300 and data["params"]["leak_delay"] == 180000
    second = tmp_path / "b.img"
    monkeypatch.setenv("VACUUM_SIM_FLASH", str(second))
    capsys.readouterr()
    assert main(["--port", "sim", "config", "load", str(saved), "--yes"]) == 0
    out = capsys.readouterr().out
    assert "leak_delay 4 s -> 3 min" in out and "committed to flash and applied" in out
    assert main(["--port", "sim", "config", "show"]) == 0
    assert re.search(r"^leak_delay +3 min ", capsys.readouterr().out, re.M)
    # An out-of-range value in a file is refused by the device and nothing is committed.
    data["params"]["kp"] = 10**8
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data))
    assert main(["--port", "sim", "config", "load", str(bad), "--yes"]) == 1
    assert "out of range 0..4000000" in capsys.readouterr().err
    with _open(monkeypatch, second) as link:
        assert _kp(link) == 0 and "audit entries" in link.request("config audit")
