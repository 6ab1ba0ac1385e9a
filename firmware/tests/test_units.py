# Tests for firmware/units.py; run under MicroPython with tools/testing/mpy_unittest.py.
import sys

# Find firmware/ from this file too, whatever the runner's working directory.
sys.path.append((__file__.rsplit("/", 1)[0] if "/" in __file__ else ".") + "/..")

import units  # noqa: E402
from expect import raised  # noqa: E402
from units import (  # noqa: E402
    UnitError,
    format_pa,
    parse_duration_ms,
    parse_hz,
    parse_int,
    parse_millihz,
    parse_pressure_pa,
)

PRESSURE_UNITS = "Pa, kPa, hPa, mbar, mmHg, inHg, atm, cmH2O"


def _err(fn, tok):
    e = raised(UnitError, fn, tok)
    assert isinstance(e, ValueError)
    return str(e)


def _each(fn, cases):
    """fn(*args) == want for each (*args, want) of cases."""
    for case in cases:
        got = fn(*case[:-1])
        assert got == case[-1], (case, got)


def _each_error(cases):
    """The UnitError message of each (fn, tok, message) of cases."""
    for fn, tok, message in cases:
        got = _err(fn, tok)
        assert got == message, (tok, got)


def test_pressure_every_unit():
    cases = (
        ("30000Pa", 30000), ("30kPa", 30000), ("300hPa", 30000), ("300mbar", 30000),
        ("225mmHg", 29998), ("0.3atm", 30398), ("8.86inHg", 30003), ("306cmH2O", 30008),
        ("1atm", 101325), ("1mmHg", 133), ("1inHg", 3386), ("1cmH2O", 98),
        ("760mmHg", 101325), ("29.92inHg", 101321),
    )
    _each(parse_pressure_pa, cases)


def test_pressure_lowercase_forms():
    for canon in ("30000Pa", "30kPa", "300hPa", "300mbar", "225mmHg", "8.86inHg", "0.3atm", "306cmH2O"):
        assert parse_pressure_pa(canon.lower()) == parse_pressure_pa(canon), canon
    _each(parse_pressure_pa, (
        ("30kpa", 30000),
        ("225mmhg", 29998),
        ("10cmh2o", 981),
        ("1inhg", 3386),
    ))


def test_pressure_sign():
    _each(parse_pressure_pa, (
        ("+30kPa", 30000),
        ("-5kPa", -5000),
        ("-0kPa", 0),
        ("0Pa", 0),
    ))


def test_rounding_half_away_from_zero():
    _each(parse_pressure_pa, (
        ("0.0005kPa", 1),
        ("-0.0005kPa", -1),
        ("0.0004kPa", 0),
        ("0.5Pa", 1),
        ("-0.5Pa", -1),
        ("1.5Pa", 2),
        ("2.5Pa", 3),
        ("-2.5Pa", -3),
        ("0.49999Pa", 0),
        ("1.005hPa", 101),  # 100.5 Pa
        ("0.000000000000000001Pa", 0),
    ))


def test_results_are_ints():
    for tok in ("30kPa", "225mmHg", "0.3atm", "1.5Pa"):
        assert type(parse_pressure_pa(tok)) is int
    assert type(parse_duration_ms("1.5min")) is int


def test_duration():
    _each(parse_duration_ms, (
        ("500ms", 500),
        ("20s", 20000),
        ("1.5min", 90000),
        ("72h", 259200000),
        ("0.0005s", 1),
        ("0.4ms", 0),
        ("-1s", -1000),
        ("2MIN".lower(), 120000),
    ))


def test_rate():
    _each(parse_millihz, (
        ("0.5Hz", 500),
        ("50Hz", 50000),
        ("50hz", 50000),
        ("0.0015Hz", 2),
    ))
    assert parse_hz("50Hz") == 50
    assert parse_hz("1.000Hz") == 1
    assert _err(parse_hz, "0.5Hz") == "'0.5Hz' must be a whole number of Hz"
    assert _err(parse_millihz, "5") == "'5' needs a rate unit: Hz"


def test_int():
    _each(parse_int, (
        ("3", 3),
        ("-2", -2),
        ("+7", 7),
        ("007", 7),
    ))
    _each_error((
        (parse_int, "3kPa", "'3kPa' is not a whole number"),
        (parse_int, "3.0", "'3.0' is not a whole number"),
        (parse_int, "x", "'x' has no number"),
        (parse_int, "2000000000", "'2000000000' is too large"),
    ))


def test_number_without_unit_is_error():
    _each_error((
        (parse_pressure_pa, "30", "'30' needs a pressure unit: " + PRESSURE_UNITS),
        (parse_duration_ms, "20", "'20' needs a duration unit: ms, s, min, h"),
        (parse_pressure_pa, "-5", "'-5' needs a pressure unit: " + PRESSURE_UNITS),
    ))


def test_bad_numbers():
    for tok in ("nan", "NaN", "nanPa", "-inf", "inf", "+Infinity", "infkPa"):
        assert _err(parse_pressure_pa, tok) == "'%s' is not a number" % tok
    for tok in ("0x10kPa", "1e3kPa", "1E3Pa", "1.2.3kPa", "5.kPa", ".5kPa", "30kPa5",
                "5-kPa", "1e-3kPa", "10cmH2O5", "1..2Pa"):
        assert _err(parse_pressure_pa, tok) == "'%s' is not a valid number" % tok, tok
    for tok in ("kPa", ".kPa", "-kPa", "+", "-", ".", "--5kPa"):
        assert _err(parse_pressure_pa, tok) == "'%s' has no number" % tok, tok


def test_spaces_empty_and_illegal():
    _each_error((
        (parse_pressure_pa, "", "empty value"),
        (parse_pressure_pa, "125 mmHg", "'125 mmHg' must not contain spaces"),
        (parse_pressure_pa, " 30kPa", "' 30kPa' must not contain spaces"),
        (parse_pressure_pa, "30kPa\t", "value contains an illegal character"),
        (parse_pressure_pa, "30kPa\n", "value contains an illegal character"),
        (parse_pressure_pa, "30k\u00b5Pa", "value contains an illegal character"),
    ))


def test_length_and_magnitude_bounds():
    assert parse_pressure_pa("1000000kPa") == 1000000000
    assert parse_pressure_pa("-1000000kPa") == -1000000000
    _each_error((
        (parse_pressure_pa, "1000000.001kPa", "'1000000.001kPa' is too large"),
        (parse_pressure_pa, "-2000000kPa", "'-2000000kPa' is too large"),
        (parse_pressure_pa, "99999999999999999999kPa", "'99999999999999999999kPa' is too large"),
        (parse_pressure_pa, "1" * 25 + "Pa", "value too long (max 24 characters)"),
        (parse_duration_ms, "278h", "'278h' is too large"),
    ))
    assert parse_pressure_pa("0.0000000000000000001kPa") == 0  # 24 characters


def test_unknown_unit_suggestions():
    _each_error((
        (parse_pressure_pa, "30kPaa", "'30kPaa' has unknown unit 'kPaa'; did you mean kPa?"),
        (parse_pressure_pa, "30KPA", "'30KPA' has unknown unit 'KPA'; did you mean kPa?"),
        (parse_pressure_pa, "30kpA", "'30kpA' has unknown unit 'kpA'; did you mean kPa?"),
        (parse_pressure_pa, "30PA", "'30PA' has unknown unit 'PA'; did you mean Pa?"),
        (parse_pressure_pa, "225mmHG", "'225mmHG' has unknown unit 'mmHG'; did you mean mmHg?"),
        (parse_pressure_pa, "225mHg", "'225mHg' has unknown unit 'mHg'; did you mean mmHg?"),
        (parse_pressure_pa, "30kPa!", "'30kPa!' has unknown unit 'kPa!'; did you mean kPa?"),
        (parse_pressure_pa, "1ePa", "'1ePa' has unknown unit 'ePa'; did you mean Pa or kPa or hPa?"),
        (parse_pressure_pa, "30xyz", "'30xyz' has unknown unit 'xyz'; pressure units: " + PRESSURE_UNITS),
        (parse_duration_ms, "5mins", "'5mins' has unknown unit 'mins'; did you mean min?"),
        (parse_duration_ms, "20S", "'20S' has unknown unit 'S'; did you mean s?"),
        (parse_duration_ms, "2hr", "'2hr' has unknown unit 'hr'; duration units: ms, s, min, h"),
        (parse_duration_ms, "2x", "'2x' has unknown unit 'x'; duration units: ms, s, min, h"),
    ))


def test_wrong_kind_of_unit():
    _each_error((
        (parse_pressure_pa, "30s", "'30s' is a duration, expected a pressure"),
        (parse_duration_ms, "30kPa", "'30kPa' is a pressure, expected a duration"),
        (parse_duration_ms, "10cmH2O", "'10cmH2O' is a pressure, expected a duration"),
        (parse_duration_ms, "5Hz", "'5Hz' is a rate, expected a duration"),
        (parse_millihz, "5ms", "'5ms' is a duration, expected a rate"),
    ))


def test_format_pa():
    _each(format_pa, (
        (30000, "kPa", "30.0kPa"),
        (30000, "mmHg", "225mmHg"),
        (30000, "atm", "0.296atm"),
        (30000, "inHg", "8.86inHg"),
        (30000, "Pa", "30000Pa"),
        (30000, "hPa", "300hPa"),
        (30000, "mbar", "300mbar"),
        (30000, "cmH2O", "306cmH2O"),
        (30000, "kpa", "30.0kPa"),
        (-5000, "kPa", "-5.0kPa"),
        (-40, "kPa", "0.0kPa"),  # no '-0'
        (-50, "kPa", "-0.1kPa"),
        (50, "kPa", "0.1kPa"),
        (0, "atm", "0.000atm"),
        (101325, "atm", "1.000atm"),
        (5, "atm", "0.000atm"),
        (51, "atm", "0.001atm"),
        (1000000000, "kPa", "1000000.0kPa"),
    ))
    assert str(raised(UnitError, format_pa, 1, "psi")) == "unknown pressure unit 'psi'"


def test_format_round_trips_within_resolution():
    for pa in (0, 1, 99, 12345, 30000, 80000, -7000):
        for unit in ("Pa", "kPa", "hPa", "mmHg", "inHg", "atm", "cmH2O"):
            back = parse_pressure_pa(format_pa(pa, unit))
            assert abs(back - pa) <= 70, (pa, unit, back)


def _code_only(path):
    # Source without comments, docstrings and string literals (rough, but
    # enough for this module's plain style).
    out = []
    in_doc = False
    for line in open(path):
        if line.count('"""') == 1:
            in_doc = not in_doc
            continue
        if in_doc or '"""' in line:
            continue
        line = line.split("#")[0]
        kept = ""
        quote = None
        for c in line:
            if quote:
                if c == quote:
                    quote = None
            elif c in "'\"":
                quote = c
            else:
                kept += c
        out.append(kept)
    return "\n".join(out)


def test_no_float_maths_in_source():
    path = units.__file__
    code = _code_only(path)
    assert "parse_pressure_pa" in code
    for i in range(1, len(code) - 1):
        c = code[i]
        if c == "/":
            assert code[i - 1] == "/" or code[i + 1] == "/", "true division in " + path
        if c == ".":
            assert not ("0" <= code[i - 1] <= "9" and "0" <= code[i + 1] <= "9"), "float literal"
    assert "float(" not in code
