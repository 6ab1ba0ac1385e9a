"""Fuzzing the host-side inputs (issue 8, "Inputs"): configuration files for
``vacuumctl config load``, scenario files for the simulated board, and
``vacuumctl`` command lines. Pure CPython, no device.

Properties: a bad input is refused with the module's own error and a
sentence (UserError, ScenarioError, exit status 1 or 2 with a message on
stderr), never another exception or a traceback; a good input comes back
checked (whole numbers, a fully defaulted scenario).

FUZZ_EXAMPLES (default 100) sets the number of cases; ``make fuzz`` runs 5000.
Derandomized: every run tries the same cases.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from vacuumctl import cli
from vacuumctl.config_cmd import FORMAT, VERSION, read_file
from vacuumctl.errors import UserError

ROOT = Path(__file__).resolve().parents[2]
import scenario  # boards/sim/scenario.py runs in CPython too (pytest.ini pythonpath)

FUZZ = settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "100")), derandomize=True, database=None,
                deadline=None, suppress_health_check=list(HealthCheck))

# JSON values of every type, including the awkward ones (huge ints, floats
# that are NaN/inf in CPython's json, deep nesting, odd strings).
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-10 ** 30, 10 ** 30), st.integers(),
                    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=20))
JSON = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                      st.dictionaries(st.text(max_size=12), inner, max_size=4)),
                    max_leaves=20)
PARAM_NAMES = st.sampled_from(["kp", "ki", "kd", "leak_delay", "cal_offset", "cal_gain", "k p", "", "1kp", "kp\n", "__class__"])


def _dump(obj) -> str:
    return json.dumps(obj, allow_nan=True)


@st.composite
def config_text(draw) -> str:
    kind = draw(st.integers(0, 4))
    if kind == 0:  # any text
        return draw(st.text(max_size=300))
    if kind == 1:  # any JSON
        return _dump(draw(JSON))
    params = draw(st.dictionaries(PARAM_NAMES, st.one_of(SCALARS, JSON), max_size=6))
    doc = {"format": FORMAT, "version": VERSION, "params": params}
    if kind == 2:  # right header, params of any type
        return _dump(doc)
    if kind == 3:  # one header field wrong
        key = draw(st.sampled_from(["format", "version", "params"]))
        doc[key] = draw(JSON)
        return _dump(doc)
    text = _dump(doc)  # damaged: a cut, an insertion or a huge number
    cut = draw(st.integers(0, len(text)))
    return draw(st.sampled_from([text[:cut], text[:cut] + draw(st.text(max_size=5)) + text[cut:],
                                 text.replace("{", '{"kp": %s, ' % ("9" * 5000), 1)]))


@FUZZ
@given(text=config_text())
def test_config_file_is_checked_or_refused_with_a_sentence(tmp_path_factory, text: str) -> None:
    path = tmp_path_factory.mktemp("cfg") / "c.json"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        params = read_file(str(path))
    except UserError as e:
        assert str(path) in str(e) and len(str(e)) > len(str(path)) + 10, e
        return
    assert params and all(isinstance(k, str) and k.isidentifier() for k in params)
    assert all(type(v) is int for v in params.values())


# ---- scenario files --------------------------------------------------------------
SCENARIO_KEYS = st.sampled_from(list(scenario.TOP_KEYS) + ["plant ", "Seed", "extra"])
PLANT_KEYS = st.sampled_from(list(scenario.PLANT_DEFAULTS) + ["volume", ""])
EVENT = st.dictionaries(st.sampled_from(["t_ms", "fault", "value", "when"]),
                        st.one_of(SCALARS, st.sampled_from(scenario.FAULTS)), max_size=4)


@st.composite
def scenario_obj(draw):
    kind = draw(st.integers(0, 2))
    if kind == 0:
        return draw(JSON)
    obj = draw(st.dictionaries(SCENARIO_KEYS, JSON, max_size=4))
    if kind == 2:
        obj["plant"] = draw(st.dictionaries(PLANT_KEYS, st.one_of(SCALARS, st.floats(0, 1e6)), max_size=5))
        obj["events"] = draw(st.lists(EVENT, max_size=4))
        obj["board"] = draw(st.sampled_from(list(scenario.BOARDS) + ["nope", 3]))
    return obj


@FUZZ
@given(obj=scenario_obj())
def test_scenario_structures_give_scenario_error_or_a_defaulted_scenario(obj) -> None:
    try:
        out = scenario.validate_scenario(obj)
    except scenario.ScenarioError as e:
        assert str(e).startswith("scenario") and len(str(e)) > 20, e
        return
    assert set(scenario.TOP_KEYS) <= set(out) and set(scenario.PLANT_DEFAULTS) <= set(out["plant"])


@FUZZ
@given(text=st.one_of(st.text(max_size=200), scenario_obj().map(_dump),
                      scenario_obj().map(_dump).flatmap(lambda t: st.integers(0, len(t)).map(lambda i: t[:i]))))
def test_scenario_files_give_scenario_error_or_a_defaulted_scenario(tmp_path_factory, text: str) -> None:
    path = tmp_path_factory.mktemp("sc") / "s.json"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        out = scenario.load_scenario(str(path))
    except scenario.ScenarioError as e:
        assert len(str(e)) > 20, e
        return
    assert set(scenario.TOP_KEYS) <= set(out)


# ---- command lines -------------------------------------------------------------
# Every command but "sim" (it would start a board in the foreground); the
# port never exists, so nothing is ever opened.
COMMANDS = ["version", "status", "run", "monitor", "programs", "log", "tune", "config", "console", "plot", "ports"]
WORDS = st.one_of(
    st.sampled_from(COMMANDS + ["continuous", "npwt_intermittent", "show", "get", "set", "load", "save", "step", "auto",
                                "commit", "--speed", "--target", "--duration", "--ramp", "--csv", "--yes", "--plot",
                                "-o", "--help", "-h", "--show-every-ms", "--truth-csv", "30kPa", "nan", "-1", "1e999",
                                "max", "0", "kp", "5000", "/nonexistent/x.json", "=", "--", "-"]),
    st.text(max_size=12).filter(lambda s: "\x00" not in s))


@FUZZ
@given(argv=st.lists(WORDS, max_size=8))
@example(argv=["version", "\n0"])  # found by a 5000-case run: the error was split over two lines
@example(argv=["status", "\x1b[2J"])
def test_random_command_lines_exit_1_or_2_with_a_sentence(tmp_path_factory, argv: list[str], capsys) -> None:
    cwd = os.getcwd()
    os.chdir(tmp_path_factory.mktemp("argv"))  # nothing a command writes lands in the repository
    try:
        try:
            code = cli.main(["--port", "/nonexistent/ttyFUZZ0"] + argv)
        except SystemExit as e:  # argparse: --help (0) or a usage error (2)
            code = e.code
    finally:
        os.chdir(cwd)
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    assert code in (0, 1, 2), (argv, code, err)
    if code:  # the reason on stderr (no command at all: the usage on stdout)
        msg = err.strip() or out.strip()
        assert msg and len(msg.split("\n")[-1]) > 15, (argv, out, err)
