"""Commissioning (docs/commissioning.md): on a rigid chamber of known volume
the device measures the pump and vent really fitted, whatever the board file
declares, inside its hard limits; the result is staged, committed through the
configuration (audited, carried by config save/load) or discarded; refusals
and aborts leave the device safe. Judged against the plant written into each
scenario (ground truth), not against the firmware's own figures."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

import scenario as scenario_mod
from devicekit import FACTORY_CODE
from mismatched_plants import PLANTS
from vacuumctl.errors import DeviceError


def _fields(text: str) -> dict[str, str]:
    return dict(tok.split("=", 1) for tok in text.split() if "=" in tok)


def _scenario(tmp_path: Path, plant: dict, volume_ml: float = 100.0, leak: float = 0.0, events: list | None = None) -> str:
    p = {"volume_ml": volume_ml, "compliance_ml_per_kpa": 0.0, "leak_l_min_at_10kpa": leak,
         "pump_free_flow_l_min": plant["pump_free_flow_l_min"], "pump_max_vacuum_kpa": plant["pump_max_vacuum_kpa"]}
    p["pump_curve"] = plant["pump_curve"]
    p["vent_curve"] = plant["vent_curve"]
    path = tmp_path / ("%s.json" % plant["name"])
    path.write_text(json.dumps({"description": "commissioning bench: " + plant["name"], "seed": 3, "board": "pico",
                                "sensor": "xgzp6897d", "plant": p, "events": events or []}))
    return str(path)


def _true_dead_zone(plant: dict) -> float:
    return plant["dead"]


def _commission(dev, line: str = "commission start volume=100mL"):
    dev.unlock()
    dev.request("tel on 20Hz")
    assert dev.request(line).startswith("commissioning")
    got = []
    dev.telemetry_until(lambda f: bool(got), 400_000,
                        on_msg=lambda m: got.append(m) if m.kind == "event" and "commission_" in m.text else None)
    return got[0]


@pytest.mark.parametrize("plant", PLANTS, ids=[p["name"] for p in PLANTS])
def test_commissioning_recovers_the_true_pump_and_vent(open_device, tmp_path, plant):
    dev = open_device(_scenario(tmp_path, plant))
    msg = _commission(dev)
    assert "commission_done" in msg.text, msg.text
    r = _fields(msg.text)
    flow, vmax = int(r["pump_free_flow_ml_min"]), int(r["pump_max_vacuum_pa"])
    true_flow, true_max = plant["pump_free_flow_l_min"] * 1000, plant["pump_max_vacuum_kpa"] * 1000
    assert abs(flow - true_flow) <= 0.10 * true_flow, (flow, true_flow)
    assert abs(vmax - true_max) <= 0.10 * true_max, (vmax, true_max)
    assert abs(int(r["vent_dead_pm"]) / 1000 - _true_dead_zone(plant)) <= 0.1, (r["vent_dead_pm"], plant["vent_curve"])
    # The vent's flow fully open: the plant's orifice (its flow at 10 kPa, a
    # square-root law), from the full-vent descents.
    true_vent = scenario_mod.PLANT_DEFAULTS["vent_l_min_at_10kpa"] * 1000
    assert abs(int(r["vent_flow_ml_min"]) - true_vent) <= 0.08 * true_vent, (r["vent_flow_ml_min"], true_vent)
    assert 450 <= int(r["vent_exp_pm"]) <= 550, r["vent_exp_pm"]
    # Inside the hard limit all along (ground truth): never past the ceiling.
    ceiling = 70_000
    assert max(float(row["true_vacuum_pa"]) for row in dev.truth.rows()) <= ceiling
    # Staged, not applied: the device is not commissioned until a commit.
    assert _fields(dev.request("status"))["commissioned"] == "0"
    assert dev.request("commission result") == msg.text.split(" ", 2)[2]


def test_commit_applies_and_audits_discard_keeps_and_refusals_change_nothing(open_device, tmp_path):
    plant = PLANTS[1]
    dev = open_device(_scenario(tmp_path, plant))
    assert _fields(dev.request("status"))["commissioned"] == "0"
    dev.request("lock")
    with pytest.raises(DeviceError, match="E_ACCESS"):
        dev.request("commission start volume=100mL")  # service role only
    dev.unlock()
    with pytest.raises(DeviceError, match="E_RANGE"):
        dev.request("commission start volume=5mL")  # a pull-down faster than the rise limit
    with pytest.raises(DeviceError, match="E_ARG"):
        dev.request("commission start volume=lots")
    with pytest.raises(DeviceError, match="E_STATE"):
        dev.request("commission commit")  # nothing staged
    msg = _commission(dev)
    r = _fields(msg.text)
    # While staged: a discard keeps the device as it was.
    dev.request("commission discard")
    assert _fields(dev.request("status"))["commissioned"] == "0"
    assert _fields(dev.request("config get pump_flow_ml_min"))["value"] == "0"
    with pytest.raises(DeviceError, match="E_STATE"):
        dev.request("commission commit")
    msg = _commission(dev)
    r = _fields(msg.text)
    out = dev.request("commission commit")
    assert out.endswith("commissioned=1"), out
    assert _fields(dev.request("status"))["commissioned"] == "1"
    assert _fields(dev.request("config get pump_flow_ml_min"))["value"] == r["pump_free_flow_ml_min"]
    assert _fields(dev.request("config get pump_max_vac"))["value"] == r["pump_max_vacuum_pa"]
    assert _fields(dev.request("config get vent_dead_pm"))["value"] == r["vent_dead_pm"]
    audit = dev.request("config audit 20")
    assert "commission discard" in audit and "commission commit volume_ml=100" in audit and "pump_flow_ml_min 0->" in audit


def test_abort_stop_and_an_alarm_end_in_the_safe_state_with_nothing_staged(open_device, tmp_path):
    plant = PLANTS[2]
    dev = open_device(_scenario(tmp_path, plant))
    for how in ("commission abort", "stop"):
        dev.unlock()
        dev.request("tel on 50Hz")
        assert dev.request("commission start volume=100mL").startswith("commissioning")
        # Into the pull-down (the zero takes ~2.3 s), then the request.
        dev.telemetry_until(lambda f: int(f["vacuum_pa"]) > 15_000, 60_000)
        with pytest.raises(DeviceError, match="E_STATE"):
            dev.request("start continuous target=20kPa")  # no session while commissioning
        dev.request(how)
        got, after = [], []

        def note(m):
            if m.kind == "event" and "commission_" in m.text:
                got.append(m)
            elif m.kind == "tel" and got:
                after.append(m.fields)  # telemetry sent after the event

        dev.telemetry_until(lambda f: bool(got) and int(f["vacuum_pa"]) < 2000, 20_000, on_msg=note)
        assert "commission_aborted" in got[0].text and "stage=pump" in got[0].text, got[0].text
        assert after and all(int(f["pump_duty"]) == 0 and int(f["valve_duty"]) == 65535 for f in after)
        assert "last run: aborted" in _err(dev, "commission result")
    # A sensor lost mid-run: the alarm ends it (the tick has already gone safe).
    # On a board of its own, the loss timed from the run's first pump drive
    # (after the zero): a time from boot raced the host's pace on a loaded
    # machine (a board at full speed passes 40 s in about half a second).
    dev = open_device(_scenario(tmp_path, plant, events=[{"after_pump_on_ms": 3_000, "fault": "sensor_disconnect"}]))
    msg = _commission(dev)
    assert "commission_aborted" in msg.text and "reason=alarm_sensor" in msg.text, msg.text
    st = _fields(dev.request("status"))
    assert st["pump_duty"] == "0" and st["valve_duty"] == "65535" and st["commissioned"] == "0"


def _err(dev, line: str) -> str:
    try:
        dev.request(line)
    except DeviceError as e:
        return str(e)
    raise AssertionError("%s was accepted" % line)


def test_cli_commission_volume_is_judged_by_the_device(monkeypatch, tmp_path, capsys, needs_sim):
    # The tool passes --volume through (whitespace dropped): the device's
    # own parser and range decide, and its refusal reaches the technician.
    from vacuumctl.cli import main

    monkeypatch.setenv("VACUUMCTL_SERVICE_CODE", FACTORY_CODE)
    monkeypatch.setenv("VACUUM_SIM_FLASH", str(tmp_path / "a.img"))
    assert main(["--port", "sim", "commission", "--volume", "lots", "--yes"]) != 0
    assert "'lots' is not a volume" in capsys.readouterr().err
    assert main(["--port", "sim", "commission", "--volume", "5 mL", "--yes"]) != 0
    assert "volume 5mL is out of range 20mL..2000mL" in capsys.readouterr().err


def test_cli_commission_json_then_config_save_and_load_carry_the_record(monkeypatch, tmp_path, capsys, needs_sim):
    from vacuumctl.cli import main

    monkeypatch.setenv("VACUUMCTL_SERVICE_CODE", FACTORY_CODE)
    first = tmp_path / "a.img"
    monkeypatch.setenv("VACUUM_SIM_FLASH", str(first))
    scen = _scenario(tmp_path, PLANTS[0])
    assert main(["--port", "sim:" + scen, "commission", "--volume", "100mL", "--yes", "--json", "--plot", str(tmp_path / "c.png")]) == 0
    rec = json.loads(capsys.readouterr().out)
    assert rec["declared_flow_ml_min"] == 2000  # the pico's datasheet figure, not the plant's
    assert abs(rec["pump_free_flow_ml_min"] - 1400) <= 140 and abs(rec["pump_max_vacuum_pa"] - 58_000) <= 5_800
    assert len(rec["pump_curve"]) >= 4 and (tmp_path / "c.png").stat().st_size > 10_000
    saved = tmp_path / "cfg.json"
    assert main(["--port", "sim:" + scen, "config", "save", str(saved)]) == 0
    params = json.loads(saved.read_text())["params"]
    assert params["commissioned"] == 1 and params["pump_flow_ml_min"] == rec["pump_free_flow_ml_min"]
    # Another device with the same parts: uncommissioned until the file is loaded.
    monkeypatch.setenv("VACUUM_SIM_FLASH", str(tmp_path / "b.img"))
    capsys.readouterr()
    assert main(["--port", "sim:" + scen, "config", "load", str(saved), "--yes"]) == 0
    assert "pump_max_vac" in capsys.readouterr().out
    from vacuumctl.link import DeviceLink

    link = DeviceLink.open("sim:" + scen)
    try:
        assert _fields(link.request("status"))["commissioned"] == "1"
        assert _fields(link.request("config get pump_max_vac"))["value"] == str(rec["pump_max_vacuum_pa"])
        assert _fields(link.request("config get vent_dead_pm"))["value"] == str(rec["vent_dead_pm"])
    finally:
        link.close()


def test_a_wrong_volume_gives_an_implausible_record_that_cannot_be_committed(open_device, tmp_path):
    # 1000 mL typed for the 100 mL bottle: every flow 10x too high, far
    # beyond 2.5x the board's declaration; the leak estimate must not get it.
    dev = open_device(_scenario(tmp_path, PLANTS[2]))
    msg = _commission(dev, "commission start volume=1L")
    assert "commission_done" in msg.text and "problem=" in msg.text, msg.text
    with pytest.raises(DeviceError, match="not plausible.*check the chamber volume.*E_RANGE"):
        dev.request("commission commit")
    assert _fields(dev.request("status"))["commissioned"] == "0"
    assert _fields(dev.request("config get pump_flow_ml_min"))["value"] == "0"


def test_the_recorded_dead_time_sets_the_approach_look_ahead(device):
    """The record's dead time reaches the controller: the approach looks
    ahead at least that long (in control periods), never less than the
    configured lead, within the lead's range."""
    device.unlock()
    period_ms = 1000 // int(_fields(device.request("version"))["control_hz"])
    lead = int(_fields(device.request("get lead"))["lead"])
    device.request("config set dead_time %dms" % (8 * period_ms))
    device.request("config commit")
    assert int(_fields(device.request("get lead"))["lead"]) == max(lead, 8)
    device.request("config set dead_time %dms" % (period_ms // 2))  # shorter than the configured lead: that stays
    device.request("config commit")
    assert int(_fields(device.request("get lead"))["lead"]) == lead
    device.request("config set dead_time 2000ms")  # far longer: the lead's range caps it
    device.request("config commit")
    assert int(_fields(device.request("get lead"))["lead"]) == 20
