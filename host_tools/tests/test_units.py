"""Tests for vacuumctl.units, including a cross-check against firmware/units.py
running in the MicroPython Unix port (the two must agree exactly)."""

from __future__ import annotations

import argparse
import math
import random
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vacuumctl import units
from vacuumctl.units import (
    PRESSURE_UNITS,
    UnitError,
    format_pressure,
    parse_duration,
    parse_hz,
    parse_pressure,
    pressure_arg,
    to_device_mhz,
    to_device_ms,
    to_device_pa,
)

PU = "Pa, kPa, hPa, mbar, mmHg, inHg, atm, cmH2O"


_MPY_DRIVER = """
import units
ERROR = units.UnitError
fns = {'pa': units.parse_pressure_pa, 'ms': units.parse_duration_ms,
       'mhz': units.parse_millihz, 'hz': units.parse_hz, 'int': units.parse_int,
       'pct': units.parse_percent}

def answer(req):
    kind, arg = req
    if kind == 'fmt':
        return units.format_pa(arg[0], arg[1])
    return fns[kind](arg)
"""

_HOST_FNS = {
    "pa": to_device_pa,
    "ms": to_device_ms,
    "mhz": to_device_mhz,
    "hz": lambda t: int(parse_hz_whole(t)),
    "int": units.parse_int,
    "pct": units.to_device_percent,
}


def parse_hz_whole(text: str) -> int:
    """Host equivalent of firmware parse_hz (whole Hz)."""
    mhz = to_device_mhz(text)
    if mhz % 1000:
        raise UnitError("'%s' must be a whole number of Hz" % text)
    return mhz // 1000




def run_host(requests: list[list]) -> list[list]:
    out: list[list] = []
    for kind, arg in requests:
        try:
            if kind == "fmt":
                out.append(["ok", format_pressure(arg[0], arg[1])])
            else:
                out.append(["ok", _HOST_FNS[kind](arg)])
        except UnitError as e:
            out.append(["err", str(e)])
        except Exception as e:  # noqa: BLE001 - compared, not hidden
            out.append(["exc", type(e).__name__ + ": " + str(e)])
    return out


CROSS_TOKENS = [
    # valid, every unit and spelling
    "30000Pa", "30kPa", "300hPa", "300mbar", "225mmHg", "0.3atm", "8.86inHg", "306cmH2O",
    "30kpa", "30000pa", "300hpa", "225mmhg", "8.86inhg", "306cmh2o", "+30kPa", "-5kPa",
    "-0kPa", "0Pa", "007kPa", "760mmHg", "29.92inHg", "1atm",
    # rounding edges
    "0.0005kPa", "-0.0005kPa", "0.0004kPa", "-0.5Pa", "0.5Pa", "1.5Pa", "2.5Pa", "-2.5Pa",
    "0.49999Pa", "1.005hPa", "0.0037503mmHg", "0.00375mmHg", "0.00051cmH2O", "0.0001476inHg",
    "0.000000000000000001Pa", "1000000kPa", "-1000000kPa", "7500.5mmHg",
    # invalid
    "", "30", "-5", "kPa", ".kPa", ".5kPa", "5.kPa", "1.2.3kPa", "nan", "NaN", "-inf",
    "Infinity", "infkPa", "0x10kPa", "1e3kPa", "1E3Pa", "30kPaa", "30KPA", "30kpA", "30PA",
    "30 kPa", " 30kPa", "30kPa\t", "30k\u00b5Pa", "30kPa!", "1ePa", "30xyz", "30s", "30Hz",
    "1000000.001kPa", "99999999999999999999kPa", "1" * 25 + "Pa", "--5kPa", "+", "-", ".",
    "30kPa5", "5-kPa", "10cmH2O5", "225mHg",
]
DURATION_TOKENS = [
    "500ms", "20s", "1.5min", "72h", "0.0005s", "0.4ms", "-1s", "277h", "278h", "20", "20sec",
    "5mins", "2hr", "20S", "2x", "30kPa", "5Hz", "1.5MIN", "1.5min", "0.0000005h",
]
RATE_TOKENS = ["0.5Hz", "50Hz", "50hz", "0.0015Hz", "1.000Hz", "5", "5ms", "5HZ", "5kHz"]
PERCENT_TOKENS = ["40%", "0%", "100%", "12.5%", "-3%", "0.49%", "40", "40pct", "40%%", "40kPa", "%", "4o%"]
INT_TOKENS = ["3", "-2", "+7", "007", "3kPa", "3.0", "x", "2000000000", "1000000000", ""]


def _cross_requests() -> list[list]:
    reqs: list[list] = [["pa", t] for t in CROSS_TOKENS]
    reqs += [["ms", t] for t in DURATION_TOKENS]
    reqs += [["mhz", t] for t in RATE_TOKENS] + [["hz", t] for t in RATE_TOKENS]
    reqs += [["int", t] for t in INT_TOKENS]
    reqs += [["pct", t] for t in PERCENT_TOKENS] + [["pa", "40%"], ["ms", "40%"]]
    for pa in (0, 1, -1, 49, 50, -50, 51, 99, 100, 12345, 29998, 30000, -30000, 101325,
               66661, 66662, 999999999, -1000000000):
        for unit in list(PRESSURE_UNITS) + ["kpa", "psi"]:
            reqs.append(["fmt", [pa, unit]])
    return reqs


def _random_tokens(n: int, seed: int) -> list[str]:
    """Grammar-ish random tokens: mostly near-valid, many rounding edges."""
    rng = random.Random(seed)
    units_ = ["Pa", "kPa", "hPa", "mbar", "mmHg", "inHg", "atm", "cmH2O", "kpa", "mmhg",
              "cmh2o", "KPA", "", "s", "ms", "x", "kPaa", "e3", "Pa5"]
    out = []
    for _ in range(n):
        sign = rng.choice(["", "", "-", "+"])
        ip = str(rng.choice([0, 0, 1, 2, 5, 12, 99, 133, 760, 1000, rng.randrange(10**7)]))
        frac = ""
        r = rng.random()
        if r < 0.6:
            frac = "." + "".join(rng.choice("0123456789") for _ in range(rng.randrange(1, 9)))
        elif r < 0.7:
            frac = rng.choice([".5", ".05", ".005", ".0005", ".", ".5.5"])
        out.append(sign + ip + frac + rng.choice(units_))
    return out


def test_cross_check_with_firmware(micropython_json) -> None:
    reqs = _cross_requests()
    assert len(CROSS_TOKENS) >= 60
    fw = micropython_json(_MPY_DRIVER, reqs)
    host = run_host(reqs)
    assert len(fw) == len(reqs)
    mismatches = [(r, f, h) for r, f, h in zip(reqs, fw, host) if f != h]
    assert not mismatches, mismatches[:10]
    assert all(f[0] in ("ok", "err") for f in fw), [x for x in zip(reqs, fw) if x[1][0] == "exc"]


def test_cross_check_random_tokens_with_firmware(micropython_json) -> None:
    toks = _random_tokens(3000, seed=20240611)
    reqs = [["pa", t] for t in toks] + [["ms", t] for t in toks[:500]]
    fw = micropython_json(_MPY_DRIVER, reqs)
    host = run_host(reqs)
    mismatches = [(r, f, h) for r, f, h in zip(reqs, fw, host) if f != h]
    assert not mismatches, mismatches[:10]
    ok = sum(1 for f in fw if f[0] == "ok")
    assert 500 < ok < len(reqs) - 500  # the mix covers both outcomes


# ---- host-only behaviour -------------------------------------------------


def test_parse_pressure_values() -> None:
    assert parse_pressure("30kPa") == 30000.0
    assert parse_pressure("225mmHg") == pytest.approx(225 * 133.322387)
    assert parse_pressure("0.3atm") == pytest.approx(30397.5)
    assert parse_pressure("-5kPa") == -5000.0
    assert parse_pressure("10cmH2O") == pytest.approx(980.665)
    assert to_device_pa("0.3atm") == 30398
    assert to_device_pa("225mmHg") == 29998
    assert to_device_pa("-0.5Pa") == -1
    assert to_device_pa("1.5Pa") == 2
    assert to_device_pa("0.0005kPa") == 1


def test_parse_duration_and_rate() -> None:
    assert parse_duration("500ms") == 0.5
    assert parse_duration("1.5min") == 90.0
    assert parse_duration("72h") == 259200.0
    assert to_device_ms("1.5min") == 90000
    assert parse_hz("0.5Hz") == 0.5
    assert to_device_mhz("0.5Hz") == 500


def test_messages() -> None:
    with pytest.raises(UnitError, match=r"^'30' needs a pressure unit: " + PU + "$"):
        parse_pressure("30")
    with pytest.raises(UnitError, match=r"^'20' needs a duration unit: ms, s, min, h$"):
        parse_duration("20")
    with pytest.raises(UnitError, match=r"did you mean kPa\?$"):
        parse_pressure("30kPaa")
    with pytest.raises(UnitError, match=r"must not contain spaces"):
        parse_pressure("125 mmHg")
    assert issubclass(UnitError, ValueError)


@pytest.mark.parametrize("tok", ["nan", "inf", "1e3kPa", "0x1APa", "", "30", "kPa", "1..2Pa"])
def test_rejects(tok: str) -> None:
    with pytest.raises(UnitError):
        to_device_pa(tok)
    with pytest.raises(UnitError):
        parse_pressure(tok)


def test_non_str_is_type_error() -> None:
    with pytest.raises(TypeError):
        to_device_pa(b"30kPa")  # type: ignore[arg-type]


def test_format_pressure() -> None:
    assert format_pressure(30000, "kPa") == "30.0kPa"
    assert format_pressure(30000, "mmHg") == "225mmHg"
    assert format_pressure(30000, "atm") == "0.296atm"
    assert format_pressure(-40, "kPa") == "0.0kPa"
    assert format_pressure(29997.5, "Pa") == "29998Pa"
    assert format_pressure(0.25, "Pa") == "0Pa"
    with pytest.raises(UnitError, match="unknown pressure unit 'psi'"):
        format_pressure(1, "psi")
    with pytest.raises(UnitError):
        format_pressure(float("nan"), "Pa")


def test_pressure_units_table() -> None:
    assert list(PRESSURE_UNITS) == ["Pa", "kPa", "hPa", "mbar", "mmHg", "inHg", "atm", "cmH2O"]
    assert PRESSURE_UNITS["mmHg"] == 133.322387
    assert units.PRESSURE_UNITS_EXACT["inHg"] == Fraction(3386389, 1000)
    for name in PRESSURE_UNITS:
        assert to_device_pa("1" + name) == round(units.PRESSURE_UNITS_EXACT[name])


def test_argparse_types() -> None:
    p = argparse.ArgumentParser(prog="t", exit_on_error=False)
    p.add_argument("--target", type=pressure_arg)
    p.add_argument("--ramp", type=units.duration_ms_arg)
    ns = p.parse_args(["--target", "225mmHg", "--ramp", "20s"])
    assert ns.target == 29998 and ns.ramp == 20000
    with pytest.raises(argparse.ArgumentTypeError, match="needs a pressure unit"):
        pressure_arg("30")
    with pytest.raises(argparse.ArgumentTypeError, match="needs a duration unit"):
        units.duration_ms_arg("30")


# ---- properties ----------------------------------------------------------

_unit_names = st.sampled_from(list(PRESSURE_UNITS) + [u.lower() for u in PRESSURE_UNITS])


@given(
    neg=st.booleans(),
    ip=st.integers(0, 10**6),
    frac=st.text("0123456789", min_size=0, max_size=6),
    unit=_unit_names,
)
def test_device_value_is_exact_rounding(neg: bool, ip: int, frac: str, unit: str) -> None:
    tok = ("-" if neg else "") + str(ip) + ("." + frac if frac else "") + unit
    if len(tok) > units.MAX_LEN:
        return
    exact = Fraction(str(ip) + ("." + frac if frac else "")) * units.PRESSURE_UNITS_EXACT[
        units._PRESSURE[units._find(units._PRESSURE, unit)][0]
    ]
    want = math.floor(exact + Fraction(1, 2))  # exact >= 0: half rounds up (away from 0)
    if want > units.LIMIT:
        with pytest.raises(UnitError, match="too large"):
            to_device_pa(tok)
        return
    assert to_device_pa(tok) == (-want if neg else want)
    assert parse_pressure(tok) == pytest.approx(float(-exact if neg else exact))


@given(st.text(max_size=30))
def test_any_text_gives_value_or_unit_error(text: str) -> None:
    for fn in (to_device_pa, to_device_ms, to_device_mhz, units.parse_int):
        try:
            v = fn(text)
        except UnitError:
            continue
        assert isinstance(v, int) and abs(v) <= units.LIMIT


@given(st.integers(-units.LIMIT + 1000, units.LIMIT - 1000), _unit_names)
def test_format_then_parse_is_close(pa: int, unit: str) -> None:
    s = format_pressure(pa, unit)
    name = s.lstrip("-0123456789.")
    assert name.lower() == unit.lower()
    if len(s) > units.MAX_LEN:
        return
    step = units.PRESSURE_UNITS_EXACT[name] / 10 ** units._DECIMALS[name]
    assert abs(to_device_pa(s) - pa) <= step / 2 + 1
