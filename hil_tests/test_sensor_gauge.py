"""The sensor's two-point calibration (docs/commissioning.md, "Sensor gain
against a reference gauge"): commissioning takes the zero; at a settled hold
on a rigid chamber a technician reads a reference gauge and types it in
(`commission gauge READING`), and the device stages the gain that makes its
sensor agree. Here the reference gauge is the simulated world's true vacuum
(what a gauge on the chamber would read), and the fitted sensor reads 3 %
high (`sensor_gain_error_ppm`); judged by the ground truth after the commit.
Refusals change nothing."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from vacuumctl.errors import DeviceError

pytestmark = pytest.mark.usefixtures("needs_sim")

GAIN_ERROR_PPM = 30_000  # the fitted sensor reads 3 % high
TARGET_PA = 40_000


def _scenario(tmp_path: Path) -> str:
    path = tmp_path / "gauge_bench.json"
    path.write_text(json.dumps({
        "description": "sensor span calibration: a rigid 100 mL chamber, a sensor 3 % high", "seed": 3, "board": "pico",
        "sensor": "xgzp6897d",
        "plant": {"volume_ml": 100.0, "compliance_ml_per_kpa": 0.0, "leak_l_min_at_10kpa": 0.05,
                  "sensor_gain_error_ppm": GAIN_ERROR_PPM}, "events": []}))
    return str(path)


def _fields(text: str) -> dict[str, str]:
    return dict(tok.split("=", 1) for tok in text.split() if "=" in tok)


def _run_for(dev, ms: int) -> int:
    """Telemetry until the running session has run `ms` of device time
    (counted from its first line in state run, not from lines queued
    before it); the device time reached."""
    first: list[int] = []

    def done(f: dict) -> bool:
        if f["state"] != "run":
            return False
        first.append(int(f["t_ms"]))
        return int(f["t_ms"]) - first[0] >= ms

    tel = dev.telemetry_until(done, 60_000)
    return int(tel[-1]["t_ms"])


def _hold_true_pa(dev, until_ms: int, span_ms: int = 1000) -> float:
    """The chamber's true vacuum averaged over the span before until_ms of
    device time (what a reference gauge on the chamber reads)."""
    rows = [r for r in dev.truth.wait_until(until_ms) if int(r["t_ms"]) > until_ms - span_ms]
    return sum(float(r["true_vacuum_pa"]) for r in rows) / len(rows)


def test_a_gauge_read_at_a_hold_corrects_the_sensor_gain(open_device, tmp_path):
    dev = open_device(_scenario(tmp_path))
    dev.unlock()
    with pytest.raises(DeviceError, match="no settled hold.*E_STATE"):
        dev.request("commission gauge 40kPa")  # no session: nothing to compare
    dev.request("tel on 20Hz")
    dev.request("start continuous target=%dPa duration=120s" % TARGET_PA)
    assert _fields(dev.request("commission gauge"))["settled"] == "0"  # still pulling down
    t = _run_for(dev, 8000)
    hold = _fields(dev.request("commission gauge"))
    assert hold["settled"] == "1" and int(hold["vacuum_pa"]) == pytest.approx(TARGET_PA, abs=40), hold
    true_pa = _hold_true_pa(dev, t)
    # Before: the device holds its sensor at the target, so the chamber sits
    # 3 % below it.
    assert true_pa == pytest.approx(TARGET_PA / 1.03, rel=0.005), true_pa
    # An implausible reading (50 % off) and one too near ambient are refused;
    # nothing is staged.
    with pytest.raises(DeviceError, match="outside the calibration.*nothing staged.*E_RANGE"):
        dev.request("commission gauge 60kPa")
    with pytest.raises(DeviceError, match="gauge reading.*E_RANGE"):
        dev.request("commission gauge 5kPa")
    assert "cal_gain" not in dev.request("config diff")
    reply = dev.request("commission gauge %dPa" % round(true_pa))
    gain = int(_fields(reply)["cal_gain"])
    assert gain == pytest.approx(1e6 / 1.03, abs=2_000), reply  # 970 874 ppm: the sensor's error, within 0.2 %
    assert "cal_gain" in dev.request("config diff")
    dev.request("stop")  # flash is written between sessions
    dev.telemetry_until(lambda f: f["state"] == "idle", 10_000)
    dev.request("config commit")
    assert int(_fields(dev.request("config get cal_gain"))["value"]) == gain
    # After: the chamber itself at the target, within 0.3 %.
    dev.request("start continuous target=%dPa duration=120s" % TARGET_PA)
    after_pa = _hold_true_pa(dev, _run_for(dev, 8000))
    assert after_pa == pytest.approx(TARGET_PA, rel=0.003), after_pa


def test_cli_commission_with_a_gauge_step_commits_the_gain(monkeypatch, tmp_path, capsys):
    """`vacuumctl commission --gauge 40kPa --yes --json` on the simulated
    bench: the record, then the span against the simulated reference gauge
    (the chamber's true vacuum), committed; the gain in the JSON is the
    sensor's true error within 0.2 %."""
    from devicekit import FACTORY_CODE
    from vacuumctl.cli import main

    monkeypatch.setenv("VACUUMCTL_SERVICE_CODE", FACTORY_CODE)
    monkeypatch.setenv("VACUUM_SIM_FLASH", str(tmp_path / "flash.img"))
    scen = _scenario(tmp_path)
    assert main(["--port", "sim:" + scen, "commission", "--volume", "100mL", "--yes", "--json", "--gauge", "40kPa"]) == 0
    rec = json.loads(capsys.readouterr().out)
    assert rec["gauge_level_pa"] == TARGET_PA and rec["cal_gain"] == pytest.approx(1e6 / 1.03, rel=0.002), rec
    # Bad options are refused before anything runs.
    assert main(["--port", "sim:" + scen, "commission", "--gauge", "90kPa"]) != 0
    assert "span point must be 10..60 kPa" in capsys.readouterr().err
    assert main(["--port", "sim:" + scen, "commission", "--gauge-reading", "40kPa"]) != 0
    assert "--gauge-reading needs --gauge" in capsys.readouterr().err
