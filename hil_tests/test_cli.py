"""The host tool as a user runs it: `vacuumctl --port sim run ...`."""
from __future__ import annotations

import csv
from pathlib import Path

import pytest

from clirun import vacuumctl
from devicekit import FACTORY_CODE



def test_run_writes_csv_that_reaches_and_holds_target(tmp_path, needs_sim):
    out = tmp_path / "out.csv"
    r = vacuumctl("--port", "sim", "run", "continuous", "--target", "30kPa", "--duration", "20", "--csv", str(out), timeout_s=120)
    assert r.returncode == 0, r.stderr
    with open(out, newline="") as f:
        rows = list(csv.DictReader(f))
    assert set(["t_ms", "vacuum_pa", "setpoint_pa", "pump_duty", "valve_duty", "state", "alarms"]) <= set(rows[0])
    run = [r for r in rows if r["state"] == "run"]
    t0 = int(run[0]["t_ms"])
    held = [int(r["vacuum_pa"]) for r in run if int(r["t_ms"]) > t0 + 5_000]
    assert len(held) > 100 and all(abs(v - 30_000) < 600 for v in held)
    assert rows[-1]["state"] == "idle" and int(rows[-1]["vacuum_pa"]) < 500


def test_run_ends_with_status_3_when_the_device_faults(needs_sim):
    r = vacuumctl("--port", "sim:fault_pump_fail", "run", "continuous", "--target", "30kPa", "--duration", "60", timeout_s=120)
    assert r.returncode == 3, r.stdout[-500:] + r.stderr
    assert "alarms=pump" in r.stdout


@pytest.mark.parametrize("args,needle", [
    (["run", "continuous", "--target", "30", "--duration", "5"], "needs a pressure unit"),
    (["run", "continuous", "--target", "90kPa", "--duration", "5"], "out of range"),
    (["run", "warp", "--duration", "5"], "no program 'warp'"),
])
def test_run_errors_are_sentences_not_tracebacks(args, needle, needs_sim):
    r = vacuumctl("--port", "sim", *args, timeout_s=120)
    assert r.returncode != 0
    assert needle in r.stderr and "Traceback" not in r.stderr, r.stderr


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def test_run_plot_draws_the_session_and_keeps_its_csv(tmp_path, needs_sim):
    from vacuumctl.plot import HEIGHT_PX, WIDTH_PX

    png = tmp_path / "run.png"
    truth = tmp_path / "truth.csv"
    r = vacuumctl("--port", "sim:fault_pump_fail", "run", "continuous", "--target", "30kPa", "--duration", "30",
              "--plot", str(png), "--truth-csv", str(truth), timeout_s=120)
    assert r.returncode == 3, r.stderr
    assert _png_size(png) == (WIDTH_PX, HEIGHT_PX)
    with open(tmp_path / "run.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    # The recording goes on after the fault, so the picture shows the venting.
    fault = [r for r in rows if r["state"] == "fault"]
    assert int(fault[-1]["t_ms"]) - int(fault[0]["t_ms"]) >= 1000
    assert int(fault[-1]["vacuum_pa"]) < 1000
    r = vacuumctl("plot", str(truth), "-o", str(tmp_path / "truth.png"), "--unit", "mmHg", timeout_s=120)
    assert r.returncode == 0, r.stderr
    assert _png_size(tmp_path / "truth.png") == (WIDTH_PX, HEIGHT_PX)


def test_tune_step_reports_the_response_and_saves_a_plot(tmp_path, needs_sim):
    csv_path, png = tmp_path / "step.csv", tmp_path / "step.png"
    r = vacuumctl("--port", "sim:face_cup_5ml", "tune", "step", "--target", "30kPa", "--hold", "3",
              "--csv", str(csv_path), "--png", str(png), timeout_s=120)
    assert r.returncode == 0, r.stdout + r.stderr
    figs = {line.split("  ")[0].strip(): line for line in r.stdout.splitlines()}
    # The 5 mL cup reaches 30 kPa at full pump in 0.30 s: rise (10-90 %)
    # and settling follow from that, without overshoot.
    rise = float(figs["rise time 10-90 %"].split()[-2])
    settle = float(figs["settling (+-2 %)"].split()[-2])
    overshoot = float(figs["overshoot"].split()[-2])
    assert 0.1 < rise < 0.35 and 0.2 < settle < 0.45 and overshoot < 1.0, r.stdout
    assert png.stat().st_size > 10_000 and png.read_bytes()[:4] == b"\x89PNG"


def test_tune_auto_needs_the_service_code_and_says_how(needs_sim):
    r = vacuumctl("--port", "sim:default", "tune", "auto", "--target", "30kPa", timeout_s=120)
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr
    assert "'tune auto' needs the service role" in r.stderr and "vacuumctl unlock" in r.stderr and "VACUUMCTL_SERVICE_CODE" in r.stderr


def test_tune_auto_stages_and_prints_the_rules(needs_sim):
    r = vacuumctl("--port", "sim:default", "tune", "auto", "--target", "30kPa", timeout_s=120,
                  VACUUMCTL_SERVICE_CODE=FACTORY_CODE)  # unlocks by itself
    assert r.returncode == 0, r.stdout + r.stderr
    for needle in ("ultimate gain Ku ", "plant: ", "kPa/s at full pump", "fast ", "no_overshoot", "schedule",
                   "staged on the device, not applied"):
        assert needle in r.stdout, r.stdout
    r = vacuumctl("--port", "sim:default", "tune", "auto", "--target", "30kPa", "--timeout", "2", timeout_s=120,
                  VACUUMCTL_SERVICE_CODE=FACTORY_CODE)
    assert r.returncode == 3 and "autotune aborted: timeout after" in r.stdout and "nothing staged" in r.stdout, r.stdout


def test_deploy_to_the_sim_shortcut_is_refused_with_a_sentence(needs_sim):
    r = vacuumctl("--port", "sim", "deploy", "--board", "pico", timeout_s=120)
    assert r.returncode == 1 and "vacuumctl sim --flash" in r.stderr and "Traceback" not in r.stderr
