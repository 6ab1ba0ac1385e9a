"""vacuumctl config: reply parsing, value tokens and configuration-file
validation (no device needed)."""
from __future__ import annotations

import json

import pytest

from vacuumctl.cli import build_parser
from vacuumctl.config_cmd import param_names, parse_get, read_file, token, write_file
from vacuumctl.errors import UserError


def test_parse_get_reply():
    f = parse_get("name=cal_offset value=-300 staged=0 unit=Pa lo=-2000 hi=2000 default=0 role=service | sensor calibration: offset")
    assert f["value"] == -300 and f["unit"] == "Pa" and f["lo"] == -2000 and f["help"] == "sensor calibration: offset"


def test_param_names_from_show():
    assert param_names("kp=6000 ki=3000 leak_delay=4000ms cal_offset=0Pa source=current staged_changes=0") == ["kp", "ki", "leak_delay", "cal_offset"]


def test_tokens_carry_the_unit():
    assert token(5000, "-") == "5000" and token(-300, "Pa") == "-300Pa" and token(4000, "ms") == "4000ms"


def test_file_round_trip(tmp_path):
    p = tmp_path / "c.json"
    write_file(str(p), {"kp": 5000, "cal_offset": -300}, "firmware=0.1.0")
    assert read_file(str(p)) == {"kp": 5000, "cal_offset": -300}


@pytest.mark.parametrize("content,needle", [
    ("{", "not valid JSON"),
    ('{"format": "other", "version": 1, "params": {"kp": 1}}', "not a vacuumfw configuration"),
    ('{"format": "vacuumfw-config", "version": 2, "params": {"kp": 1}}', "version 2"),
    ('{"format": "vacuumfw-config", "version": 1, "params": {}}', "non-empty"),
    ('{"format": "vacuumfw-config", "version": 1, "params": {"kp": 1.5}}', "whole number"),
    ('{"format": "vacuumfw-config", "version": 1, "params": {"kp": true}}', "whole number"),
    ('{"format": "vacuumfw-config", "version": 1, "params": {"k p": 1}}', "bad parameter name"),
])
def test_bad_files_are_refused_with_a_reason(tmp_path, content, needle):
    p = tmp_path / "c.json"
    p.write_text(content)
    with pytest.raises(UserError) as e:
        read_file(str(p))
    assert needle in str(e.value)


def test_missing_file_is_a_sentence():
    with pytest.raises(UserError) as e:
        read_file("/nonexistent/c.json")
    assert "cannot read" in str(e.value)


def test_parser_accepts_config_actions():
    a = build_parser().parse_args(["--port", "sim", "config", "set", "kp", "5000"])
    assert a.action == "set" and a.args == ["kp", "5000"]
    a = build_parser().parse_args(["--port", "sim", "config", "load", "f.json", "--yes"])
    assert a.action == "load" and a.yes
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--port", "sim", "config", "frobnicate"])


def test_ctrl_c_at_the_load_question_reverts_the_staged_changes(tmp_path):
    import argparse

    import pytest

    from vacuumctl.config_cmd import run

    sent: list[str] = []

    def request(text: str) -> str:
        sent.append(text)
        if text == "config show":
            return "kp=6000 leak_delay=4000ms source=flash"
        if text.startswith("config get "):
            return "name=%s value=1 staged=1 unit=%s lo=0 hi=10000000 | x" % (text.split()[2], "ms" if "leak" in text else "-")
        if text == "config diff":
            return "kp 6000->7000"
        return "ok"

    path = tmp_path / "c.json"
    write_file(str(path), {"kp": 7000}, "test")
    link = argparse.Namespace(request=request)

    def ctrl_c(prompt: str) -> bool:
        raise KeyboardInterrupt

    args = argparse.Namespace(action="load", args=[str(path)], yes=False)
    with pytest.raises(KeyboardInterrupt):
        run(args, link, confirm=ctrl_c)
    assert "config set kp 7000" in sent and sent[-1] == "config revert" and "config commit" not in sent
