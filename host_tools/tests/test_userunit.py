"""The user's pressure unit: formatting, and where --unit / VACUUM_UNIT apply."""
from __future__ import annotations

import io

import pytest

from vacuumctl import cli, config_cmd, userunit


@pytest.mark.parametrize("pa,unit,text", [
    (29980, "kPa", "29.98kPa"), (29998, "mmHg", "225.0mmHg"), (29980, "Pa", "29980Pa"),
    (30000, "inHg", "8.86inHg"), (30000, "cmH2O", "305.9cmH2O"), (30000, "atm", "0.2961atm"),
    (-300, "kPa", "-0.30kPa"), (-4, "kPa", "0.00kPa"), (-6, "mmHg", "0.0mmHg"),
])
def test_show_uses_the_unit_and_enough_decimals(pa, unit, text):
    assert userunit.show(pa, unit) == text


def test_every_pressure_unit_has_display_decimals():
    from vacuumctl import units

    assert set(userunit.DECIMALS) == set(units.PRESSURE_UNITS)


def _parse(argv: list[str]) -> str:
    args, _ = cli.build_parser().parse_known_args(argv)
    return str(args.unit)


def test_unit_before_or_after_the_command_env_and_default(monkeypatch):
    monkeypatch.delenv(userunit.ENV, raising=False)
    assert _parse(["--port", "sim", "status"]) == "kPa"
    assert _parse(["--unit", "mmhg", "--port", "sim", "status"]) == "mmHg"
    assert _parse(["--port", "sim", "status", "--unit", "inHg"]) == "inHg"
    assert _parse(["--port", "sim", "tune", "step", "--target", "30kPa", "--unit", "Pa"]) == "Pa"
    assert _parse(["plot", "x.csv"]) == "kPa"
    monkeypatch.setenv(userunit.ENV, "cmH2O")
    assert _parse(["--port", "sim", "monitor"]) == "cmH2O"
    assert _parse(["plot", "x.csv"]) == "cmH2O"
    assert _parse(["--port", "sim", "run", "continuous", "--duration", "5", "--unit", "atm"]) == "atm"


def test_an_unknown_unit_is_a_usage_error_naming_the_choices(monkeypatch, capsys):
    monkeypatch.setenv(userunit.ENV, "bar")
    with pytest.raises(SystemExit) as e:
        cli.main(["--port", "sim", "status"])
    assert e.value.code == 2
    assert "unknown pressure unit 'bar'; use one of Pa, kPa" in capsys.readouterr().err


def test_live_line_is_in_the_users_unit():
    out = io.StringIO()
    view = cli.LiveView(out, every_ms=0, unit="mmHg")
    view.show({"t_ms": 1000, "vacuum_pa": 16665, "setpoint_pa": 16665, "state": "run", "alarms": "none"}, None)
    assert "vacuum= 125.0mmHg setpoint= 125.0mmHg" in out.getvalue()


def test_config_get_of_a_pa_parameter_adds_the_users_unit():
    f = config_cmd.parse_get("name=cal_offset value=-300 staged=-250 unit=Pa lo=-5000 hi=5000 | offset")
    assert config_cmd.in_user_unit(f, "kPa") == "in kPa: value -0.30kPa, staged -0.25kPa, range -5.00kPa..5.00kPa"
    assert config_cmd.in_user_unit(f, "Pa") == ""
    assert config_cmd.in_user_unit(config_cmd.parse_get("name=tau value=25 staged=25 unit=ms lo=10 hi=2000 | t"),
                                   "kPa") == ""
