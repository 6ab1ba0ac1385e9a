"""A simulated board that stays: `vacuumctl sim --detach` starts it in the
background, `--port sim@NAME` reaches it from separate commands (as on a
board on the bench, an unlock, a staged change and an autotune result carry
over), `sim --list` shows it, `sim --stop` ends it (a running session
stopped and vented first, by ground truth). Each test has its own registry
($VACUUM_SIM_REGISTRY) and names, so tests run in parallel."""
from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Iterator

import pytest

from clirun import vacuumctl
from devicekit import FACTORY_CODE
from vacuumctl.link import DeviceLink
from vacuumctl.telemetry import parse_fields

pytestmark = pytest.mark.usefixtures("needs_sim")

WALL_S = 90
SPEED = "20"  # device time runs 20x: the autotune and the release take a moment of wall time


def _vc(*args: str, code: str | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return vacuumctl(*args, cwd=cwd, timeout_s=WALL_S, **({"VACUUMCTL_SERVICE_CODE": code} if code else {}))


@pytest.fixture
def registry(tmp_path, monkeypatch) -> Iterator[Path]:
    """A registry of this test's own; every board still in it at the end is ended."""
    reg = tmp_path / "registry"
    monkeypatch.setenv("VACUUM_SIM_REGISTRY", str(reg))
    yield reg
    for entry in reg.glob("*.json"):
        try:
            os.kill(json.loads(entry.read_text())["pid"], signal.SIGTERM)
        except (OSError, ValueError, KeyError):
            pass


def _detach(*args: str) -> str:
    r = _vc("sim", *args, "--detach", "--speed", SPEED)
    assert r.returncode == 0, r.stdout + r.stderr
    first = r.stdout.splitlines()[0]
    assert first.startswith("simulated board '"), r.stdout
    return first.split("'")[1]


def test_one_board_across_separate_commands_unlock_config_autotune_commit(registry):
    name = _detach()
    assert name == "default"  # named after its scenario
    port = "sim@" + name
    listed = _vc("sim", "--list")
    assert listed.returncode == 0 and any(line.split()[:2] == [name, port] for line in listed.stdout.splitlines()), listed.stdout
    r = _vc("--port", port, "unlock", "--code", FACTORY_CODE)
    assert r.returncode == 0 and r.stdout.startswith("service role unlocked"), r.stdout + r.stderr
    assert "note:" not in r.stderr  # the role stays on this board
    r = _vc("--port", port, "config", "set", "leak_delay", "3min")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("staged leak_delay = 3 min (in use: 4 s)"), r.stdout
    r = _vc("--port", port, "config", "commit")
    assert r.returncode == 0 and "committed to flash and applied: leak_delay 4 s -> 3 min" in r.stdout, r.stdout + r.stderr
    r = _vc("--port", port, "tune", "auto", "--target", "30kPa")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "commit one with: vacuumctl tune commit RULE" in r.stdout
    r = _vc("--port", port, "tune", "commit", "schedule")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("committed rule schedule to flash and applied it: gains scheduled per approach"), r.stdout
    # The same board all along: its audit log has every step.
    with DeviceLink.open(DeviceLink_port(registry, name)) as link:
        audit = link.request("config audit 20")
    assert "unlock ok" in audit and "leak_delay 4000->180000" in audit and "plant_gain 0->" in audit, audit
    r = _vc("sim", "--stop", name)
    assert r.returncode == 0 and r.stdout.startswith("simulated board '%s' powered off" % name), r.stdout + r.stderr
    assert not list(registry.glob("*.json"))
    assert "no simulated board is running" in _vc("sim", "--list").stdout


def DeviceLink_port(registry: Path, name: str) -> str:
    return json.loads((registry / (name + ".json")).read_text())["port"]


def test_names_are_unique_and_a_missing_one_is_a_sentence(registry):
    a = _detach("--name", "bench-a")
    b = _detach("face_cup_5ml")
    c = _detach("face_cup_5ml")
    assert (a, b, c) == ("bench-a", "face_cup_5ml", "face_cup_5ml-2")
    r = _vc("sim", "--detach", "--name", "bench-a")
    assert r.returncode == 1 and "a simulated board named 'bench-a' is already running" in r.stderr, r.stderr
    r = _vc("--port", "sim@nowhere", "status")
    assert r.returncode == 1
    assert "no simulated board named 'nowhere' is running (running: bench-a, face_cup_5ml, face_cup_5ml-2)" in r.stderr
    r = _vc("sim", "--list", "--json")
    assert sorted(x["name"] for x in json.loads(r.stdout)) == ["bench-a", "face_cup_5ml", "face_cup_5ml-2"]
    assert {x["board"] for x in json.loads(r.stdout)} == {"pico"}


def test_a_board_whose_keeper_died_is_a_stale_entry_and_is_removed(registry):
    name = _detach("--name", "doomed")
    entry = json.loads((registry / "doomed.json").read_text())
    os.kill(entry["pid"], signal.SIGKILL)  # as a crash or a reboot of the PC would
    deadline = time.monotonic() + 20
    while True:
        try:
            os.kill(entry["pid"], 0)
        except ProcessLookupError:
            break
        assert time.monotonic() < deadline
        time.sleep(0.05)  # waiting for the killed process to be gone, not a test delay
    r = _vc("sim", "--list")
    assert "removed the stale entry 'doomed'" in r.stderr and "no simulated board is running" in r.stdout
    assert _vc("--port", "sim@" + name, "status").returncode == 1
    assert not (registry / "doomed.json").exists()


def test_stop_ends_a_running_session_vented_as_a_power_off_would(registry, tmp_path):
    truth = tmp_path / "truth.csv"
    name = _detach("--name", "running", "--truth-csv", str(truth))
    port = DeviceLink_port(registry, name)
    with DeviceLink.open(port) as link:
        link.request("start continuous target=30kPa duration=1h")
        deadline = time.monotonic() + WALL_S
        while parse_fields(link.request("status"))["vacuum_pa"] < 25_000:
            assert time.monotonic() < deadline
    r = _vc("sim", "--stop", name)
    assert r.returncode == 0 and "its session was stopped first and vented (logged)" in r.stdout, r.stdout
    rows = list(csv.DictReader(open(truth, newline="")))
    held = [r for r in rows if int(r["true_vacuum_pa"]) > 25_000]
    assert held, "the session held its vacuum"
    last = rows[-1]
    assert int(last["pump_duty"]) == 0 and int(last["valve_duty"]) == 65535 and int(last["true_vacuum_pa"]) < 500, last


def test_commands_on_a_fresh_sim_port_say_how_to_keep_state(registry):
    r = _vc("--port", "sim", "config", "set", "kp", "5000")
    assert r.returncode == 1
    assert "a '--port sim' board starts locked for every command" in r.stderr and "vacuumctl sim --detach" in r.stderr
    r = _vc("--port", "sim", "tune", "commit", "schedule", code=FACTORY_CODE)
    assert r.returncode == 1
    assert "no staged result to commit" in r.stderr and "'vacuumctl sim --detach'" in r.stderr and "sim@NAME" in r.stderr
    r = _vc("--port", "sim", "unlock", "--code", FACTORY_CODE)
    assert r.returncode == 0 and "is powered off now, role and all" in r.stderr and "sim --detach" in r.stderr


def test_vacuumctl_passcode_changes_the_service_code(registry, monkeypatch):
    name = _detach("--name", "commissioning")
    port = "sim@" + name
    r = _vc("--port", port, "passcode")
    assert r.returncode == 1 and "'passcode' needs the service role" in r.stderr, r.stderr
    assert _vc("--port", port, "unlock", "--code", FACTORY_CODE).returncode == 0
    monkeypatch.setenv("VACUUMCTL_NEW_CODE", "ab1")
    r = _vc("--port", port, "passcode")
    assert r.returncode == 1 and "6..32 letters or digits; nothing changed" in r.stderr
    monkeypatch.setenv("VACUUMCTL_NEW_CODE", "Bench2026")
    r = _vc("--port", port, "passcode")
    assert r.returncode == 0 and r.stdout.startswith("service code changed"), r.stdout + r.stderr
    assert _vc("--port", port, "lock").returncode == 0
    r = _vc("--port", port, "unlock", "--code", FACTORY_CODE)
    assert r.returncode == 1 and "the service code was refused" in r.stderr
    assert _vc("--port", port, "unlock", "--code", "Bench2026").returncode == 0


def test_a_scenario_file_from_the_working_directory_and_a_missing_one(registry, tmp_path):
    (tmp_path / "mine.json").write_text(json.dumps({"board": "esp32_devkitc"}))
    r = _vc("sim", "mine.json", "--detach", "--speed", SPEED, cwd=tmp_path)
    assert r.returncode == 0 and "scenario mine.json, board esp32_devkitc" in r.stdout, r.stdout + r.stderr
    r = _vc("--port", "sim@mine", "version")
    assert r.returncode == 0 and "board     esp32_devkitc" in r.stdout, r.stdout + r.stderr
    r = _vc("sim", "missing.json", "--detach", cwd=tmp_path)
    assert r.returncode == 1 and "missing.json: not found" in r.stderr and not list(registry.glob("missing*"))
