"""Single-precision floats (issue 14): the rp2 and esp32 ports compute floats
in 32 bits (1.0 + 1e-8 == 1.0 there), the Unix and webassembly ports in 64.
The firmware keeps the control path integer (hil_tests/test_small_ints.py,
the tick's no-allocation tests); its one float computation is the relay
test's evaluation (firmware/tune_result.py, between ticks, once per
autotune). Here that module runs with every float rounded to float32 after
each operation (literals, sqrt, pi included) and must propose the same
figures as in double precision: within one unit of each integer it reports.
"""
from __future__ import annotations

import io
import math
import struct
import sys
import tokenize
import types
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def f32(x: float) -> float:
    return struct.unpack("<f", struct.pack("<f", x))[0]


class F32(float):
    """A float that rounds every result to single precision, as the chips do."""

    def __new__(cls, x=0.0):
        return float.__new__(cls, f32(float(x)))

    def _op(name):  # noqa: N805 - a helper run at class creation
        def op(self, other):
            r = getattr(float, name)(float(self), float(other))
            return NotImplemented if r is NotImplemented else F32(r)

        return op

    __add__ = _op("__add__")
    __radd__ = _op("__radd__")
    __sub__ = _op("__sub__")
    __rsub__ = _op("__rsub__")
    __mul__ = _op("__mul__")
    __rmul__ = _op("__rmul__")
    __truediv__ = _op("__truediv__")
    __rtruediv__ = _op("__rtruediv__")

    def __neg__(self):
        return F32(-float(self))


def _float_literals_as_f32(src: str) -> str:
    """Wrap every float literal of a module's source in F32(...)."""
    out = []
    for tok in tokenize.generate_tokens(io.StringIO(src).readline):
        s = tok.string
        if tok.type == tokenize.NUMBER and not s.lower().startswith("0x") and any(c in s for c in ".eE"):
            out.append((tokenize.NAME, "F32(%s)" % s))
        else:
            out.append((tok.type, s))
    return tokenize.untokenize(out)


def load_tune_result(single: bool) -> types.ModuleType:
    """firmware/tune_result.py in CPython, with its floats in single or
    double precision (relay.py and outputs.py's FULL as they are)."""
    fake_mp = types.ModuleType("micropython")
    fake_mp.const = lambda x: x  # type: ignore[attr-defined]
    sys.modules["micropython"] = fake_mp
    sys.path.insert(0, str(ROOT / "firmware"))
    try:
        import outputs  # noqa: F401 - tune_result's imports
        import relay  # noqa: F401
    finally:
        sys.path.pop(0)
    src = (ROOT / "firmware" / "tune_result.py").read_text()
    mod = types.ModuleType("tune_result_f32" if single else "tune_result_f64")
    if single:
        src = _float_literals_as_f32(src).replace("import math", "import math as _math")
        m = types.SimpleNamespace(sqrt=lambda x: F32(_math_sqrt(x)), pi=F32(math.pi))
        mod.__dict__.update(F32=F32, math=m)
    exec(compile(src, "tune_result.py", "exec"), mod.__dict__)
    if single:
        mod.__dict__["math"] = m  # the source's `import math as _math` must not replace it
    return mod


def _math_sqrt(x):
    return math.sqrt(float(x))


class Relay:
    """A finished relay test as relay.py leaves it."""

    def __init__(self, pp_sum, h, d, period_sum, noise_pa):
        import relay as rl

        self.state = rl.DONE
        self.pp_sum = pp_sum
        self.h = h
        self.d = d
        self.period_sum = period_sum
        self.noise_pa = noise_pa


CASES = [  # (peak-to-peak sum over 4 cycles, hysteresis, relay amplitude, period sum in ticks, noise)
    (4 * 2 * amp, h, d, 4 * per, noise)
    for amp in (150, 600, 2_500, 9_000)
    for h in (60, 200)
    for d in (3_277, 13_107, 32_767)
    for per in (6, 25, 140)
    for noise in (20, 90)
]


@pytest.mark.parametrize("period_ms", [5, 10, 20])
def test_relay_evaluation_is_the_same_at_float32(period_ms):
    double = load_tune_result(single=False)
    single = load_tune_result(single=True)
    assert isinstance(single.evaluate(Relay(*CASES[0]), period_ms).gains["fast"][0], int)
    worst = 0.0
    for case in CASES:
        a = double.evaluate(Relay(*case), period_ms)
        b = single.evaluate(Relay(*case), period_ms)
        pairs = [(a.g_pa_s, b.g_pa_s), (a.lag_ms, b.lag_ms), (a.tau_ms, b.tau_ms), (int(a.ku * 1000), int(b.ku * 1000))]
        for rule in ("fast", "no_overshoot"):
            pairs += list(zip(a.gains[rule], b.gains[rule]))
        for x, y in pairs:
            # One unit, or the last of float32's 24 bits for a big figure.
            assert abs(x - y) <= max(1, abs(x) * 2.0 ** -22), (case, period_ms, pairs)
            worst = max(worst, abs(x - y))
        assert a.text() == b.text() or abs(len(a.text()) - len(b.text())) <= 8
    print("largest difference at float32: %d unit(s)" % worst)


def test_the_emulation_is_single_precision():
    """The check would prove nothing if F32 computed in double."""
    assert float(F32(1.0) + F32(1e-8)) == 1.0  # as on the rp2 and esp32 ports
    assert 1.0 + 1e-8 != 1.0  # CPython (and the Unix/webassembly MicroPython) are double
    assert float(F32(0.1)) != 0.1 and float(F32(0.1)) == f32(0.1)
    mod = load_tune_result(single=True)
    assert "F32(4.0)" in _float_literals_as_f32("gd = 4.0 * a / (t / 1000.0)") and mod.math.pi == F32(math.pi)
