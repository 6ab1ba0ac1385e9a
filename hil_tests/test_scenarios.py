"""Scenario files: every named one loads; a bad one is a clear error before
any port is offered."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAUNCHER = ROOT / "boards" / "sim" / "launcher.py"


def _launch(tmp_path: Path, scenario: object) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "scn.json"
    path.write_text(scenario if isinstance(scenario, str) else json.dumps(scenario))
    return subprocess.run([sys.executable, str(LAUNCHER), str(path)], capture_output=True, text=True, timeout=30)


@pytest.mark.parametrize(
    "scenario,needle",
    [
        ({"plnt": {}}, "unknown key 'plnt'"),
        ({"plant": {"volume_ml": 0}}, "volume_ml"),
        ({"plant": {"volume_ml": "big"}}, "volume_ml"),
        ({"plant": {"volume_ml": True}}, "volume_ml"),
        ({"seed": -1}, "seed"),
        ({"board": "arduino"}, "board"),
        ({"sensor": "bmp999"}, "sensor"),
        ({"events": [{"t_ms": 10, "fault": "leek"}]}, "unknown fault 'leek'"),
        ({"events": [{"t_ms": 10, "fault": "leak"}]}, "value"),
        ({"events": [{"fault": "blockage"}]}, "t_ms"),
        ({"events": [{"t_ms": 500, "fault": "blockage"}, {"t_ms": 100, "fault": "blockage"}]}, "sorted"),
        ({"events": [{"t_ms": 10, "fault": "blockage", "when": 1}]}, "when"),
        ("{not json", "JSON"),
    ],
)
def test_bad_scenario_is_a_clear_error(tmp_path, scenario, needle):
    r = _launch(tmp_path, scenario)
    assert r.returncode != 0
    assert "port:" not in r.stdout
    assert needle.lower() in r.stderr.lower(), r.stderr


def test_missing_scenario_is_a_clear_error():
    r = subprocess.run([sys.executable, str(LAUNCHER), "no_such_scenario"], capture_output=True, text=True, timeout=30)
    assert r.returncode != 0 and "no_such_scenario" in r.stderr


def test_every_named_scenario_loads():
    import scenario

    names = sorted(p.stem for p in (ROOT / "boards" / "sim" / "scenarios").glob("*.json"))
    assert len(names) >= 6
    for name in names:
        s = scenario.load_scenario(name, str(ROOT / "boards" / "sim" / "scenarios"))
        assert s["description"], name
