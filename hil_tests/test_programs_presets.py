"""Presets of the article techniques (defaults and limits), wound-therapy
specifics (seal check, leak-rate estimate, hours of therapy) and the therapy
log, on the simulated board."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from vacuumctl.errors import DeviceError
from vacuumctl.telemetry import Message
from vacuumctl.programs import parse_program

PRESETS = ("face_dotted", "body_sliding", "cupping_back", "decompression", "interval_legs",
           "npwt_continuous", "npwt_intermittent", "npwt_dynamic")
MMHG = 133.322

# preset -> {parameter: (default, lo, hi)} in device units (Pa, ms, mHz), from
# the articles (domain.md; docs/programs.md names each source).
ARTICLE_FIGURES = {
    "face_dotted": {"target": (20_000, 10_133, 50_663), "hold": (4_000, 3_000, 5_000)},
    # 0.7 atm (71 kPa) in the article; the range reported is the one this board accepts (its 70 kPa ceiling).
    "body_sliding": {"target": (30_000, 10_133, 70_000), "duration": (900_000, 1_000, 900_000)},
    "interval_legs": {"target": (round(40 * MMHG), 2_000, 7_000), "on": (10_000, None, None), "off": (7_000, None, None)},
    "npwt_continuous": {"target": (round(125 * MMHG), round(25 * MMHG), round(200 * MMHG))},
    "npwt_intermittent": {"target": (round(125 * MMHG), None, None), "on": (300_000, None, None), "off": (120_000, None, None)},
    "npwt_dynamic": {"target": (round(125 * MMHG), None, None), "floor": (round(25 * MMHG), round(25 * MMHG), None)},
    "decompression": {"freq": (1_000, 500, 5_000), "floor": (0, 0, 0)},
}
CEILINGS = {"face_dotted": 50_663, "npwt_continuous": 26_664, "interval_legs": 7_000, "body_sliding": 70_000}


def test_programs_lists_every_program_and_preset(device):
    names = device.request("programs").split()
    assert set(("continuous", "intermittent", "dynamic", "dotted", "pulse") + PRESETS) <= set(names), names


@pytest.mark.parametrize("name", sorted(ARTICLE_FIGURES))
def test_preset_defaults_and_limits_match_the_articles(device, name):
    p = parse_program(device.request("programs " + name))
    assert p["name"] == name and p["preset_of"] != "none"
    for key, (default, lo, hi) in ARTICLE_FIGURES[name].items():
        got = p["params"][key]
        assert got["default"] == default, (key, got)
        if lo is not None:
            assert got["lo"] == lo, (key, got)
        if hi is not None:
            assert got["hi"] == hi, (key, got)
    if name in CEILINGS:
        assert p["ceiling_pa"] == CEILINGS[name]  # the board's 70 kPa caps body_sliding
    assert p["help"]


@pytest.mark.parametrize("line", [
    "start npwt_continuous target=250mmHg",
    "start npwt_continuous target=20mmHg",
    "start interval_legs target=100mbar",
    "start interval_legs floor=10mbar",
    "start decompression freq=6Hz",
    "start cupping_back duration=20min",
    "start npwt_dynamic target=100mmHg floor=120mmHg",
])
def test_preset_overrides_outside_its_own_ranges_are_refused(device, line):
    with pytest.raises(DeviceError) as e:
        device.request(line)
    assert e.value.code == "E_RANGE", e.value
    assert "state=idle" in device.request("status")


def _declared_pump(board: str) -> tuple[int, int]:
    """(free flow mL/min, maximum vacuum Pa) the board file declares."""
    text = (Path(__file__).resolve().parents[1] / "boards" / (board + ".py")).read_text()
    free = re.search(r"^PUMP_FREE_FLOW_ML_MIN = const\(([\d_]+)\)", text, re.M)
    vmax = re.search(r"^PUMP_MAX_VACUUM_PA = const\(([\d_]+)\)", text, re.M)
    assert free and vmax, board
    return int(free.group(1)), int(vmax.group(1))


def test_npwt_seal_check_and_leak_estimate_against_the_true_leak(open_device):
    device = open_device("npwt_400ml")
    seal: list[Message] = []

    def note(m: Message) -> None:
        if m.kind == "event" and "seal_check" in m.text:
            seal.append(m)

    device.request("tel on 20Hz")
    device.request("start npwt_continuous duration=15s")
    tel = device.telemetry_until(lambda f: bool(seal) and int(f["t_ms"]) > 0 and f["state"] == "idle", 25_000, on_msg=note)
    assert seal, "no seal check"
    ev = seal[0].fields
    assert ev["verdict"] == "ok"
    truth = device.truth.wait_until(int(tel[-1]["t_ms"]))
    run = [f for f in tel if f["state"] == "run"]
    t0, t1 = int(run[0]["t_ms"]), int(run[-1]["t_ms"])
    held = [r for r in truth if t0 + 10_000 <= int(r["t_ms"]) <= t1]
    true_leak = sum(int(r["leak_flow_ml_min"]) for r in held) / len(held)
    # Uncommissioned, the firmware knows the pump only by the board file's
    # datasheet figures, and this scenario's pump is not its datasheet (issue
    # 17): the estimate is off the true leak by exactly the ratio of the
    # declared pump's flow to the real one's at the duty and vacuum held,
    # which the ground truth gives. Within 10 % of that, the estimator does
    # its arithmetic right; the truth itself needs commissioning.
    free, vmax = _declared_pump("pico")
    duty = sum(int(r["pump_duty"]) for r in held) / len(held) / 65535
    line = sum(int(r["line_vacuum_pa"]) for r in held) / len(held)
    real = sum(int(r["pump_flow_ml_min"]) for r in held) / len(held)
    ratio = free * duty * (1 - line / vmax) / real
    expect = true_leak * ratio
    assert abs(ev["leak_ml_min"] - expect) <= expect * 0.1, (ev, true_leak, ratio)
    late = [int(f["leak_ml_min"]) for f in run if int(f["t_ms"]) >= t0 + 10_000]
    assert late and all(abs(x - expect) <= expect * 0.1 for x in late), (late[:5], expect)
    print("npwt_continuous 125 mmHg, 400 mL dressing, uncommissioned: seal check %d mL/min, telemetry %d mL/min, true leak %.0f mL/min "
          "(%+.0f %%; declared/real pump flow there %.2f)" % (ev["leak_ml_min"], late[-1], true_leak, 100 * (late[-1] / true_leak - 1), ratio))
    st = dict(kv.split("=", 1) for kv in device.request("status").split() if "=" in kv)
    assert abs(int(st["therapy_today_ms"]) - 15_000) <= 50, st["therapy_today_ms"]
    # The therapy log holds the session.
    assert device.request("log").startswith("count=1 total=1")
    row = dict(kv.split("=", 1) for kv in device.request("log 0").split())
    assert row["program"] == "npwt_continuous" and row["end"] == "completed" and row["alarms"] == "none"
    assert "target:16665" in row["params"] and int(row["elapsed_ms"]) == 15_000
    assert 5_000 < int(row["delivered_ms"]) < 15_000


def test_log_records_an_alarm_ending(open_device):
    device = open_device("fault_leak")
    device.request("tel on 20Hz")
    device.request("start continuous target=30kPa duration=60s")
    device.telemetry_until(lambda f: f["state"] == "fault", 30_000)
    device.telemetry_until(lambda f: False, 200)  # the log is written between ticks
    row = dict(kv.split("=", 1) for kv in device.request("log 0").split())
    assert row["end"] == "alarm" and "leak" in row["alarms"], row
    device.request("clear")


def test_vacuumctl_runs_a_preset_and_prints_programs_and_log(tmp_path, needs_sim):
    exe = str(Path(sys.executable).parent / "vacuumctl")
    r = subprocess.run([exe, "--port", "sim", "programs"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "npwt_continuous" in r.stdout and "target" in r.stdout and "125" in r.stdout, r.stdout
    r = subprocess.run([exe, "--port", "sim", "run", "interval_legs", "--duration", "20"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "started interval_legs" in r.stdout, r.stdout[:500]
    r = subprocess.run([exe, "--port", "sim", "log", "--csv", "-"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[0].startswith("seq,boot,start_ms,end_ms,program,params"), r.stdout


def test_pause_is_bounded_and_inactive_wound_therapy_is_reminded(device, needs_sim):
    """A pause ends the session after 10 min; wound therapy off for 15 min
    raises a reminder (15 min of device time: about 15 s on the simulator)."""
    device.request("tel on 1Hz")
    device.request("start npwt_continuous duration=1h")
    device.telemetry_until(lambda f: f["state"] == "run" and f["vacuum_pa"] > 15_000, 20_000)
    assert device.request("pause").startswith("paused")
    seen: list[Message] = []

    def note(m: Message) -> None:
        if m.kind == "event":
            seen.append(m)

    tel = device.telemetry_until(lambda f: any("therapy_inactive" in m.text for m in seen), 17 * 60_000, on_msg=note)
    # 1 Hz telemetry: the first paused record is up to 1 s after the pause.
    t_pause = int(next(f for f in tel if f["state"] == "pause")["t_ms"])
    end = next(m for m in seen if "session_end" in m.text)
    assert "reason=pause_limit" in end.text, end.text
    idle = next(f for f in tel if f["state"] == "idle")
    # idle = pause limit, then the release to ambient, seen at 1 Hz
    assert 600_000 - 1_000 <= int(idle["t_ms"]) - t_pause <= 600_000 + 2_000
    remind = next(m for m in seen if "therapy_inactive" in m.text)
    assert abs(int(remind.fields["off_ms"]) - 900_000) <= 1_000, remind.text
    assert all(f["pump_duty"] == 0 for f in tel if f["state"] != "run")
