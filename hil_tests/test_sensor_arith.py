"""The sensor drivers' integer maths in CPython, with every intermediate
checked against the device's small-int range (-2**30 .. 2**30-1).

On the RP2040/ESP32 a larger int is a heap object: in the heap-locked
control tick it raises MemoryError. The MicroPython Unix port (63-bit small
ints) cannot show this, so here every value flowing through the drivers'
compensation is a SmallInt that fails the test the moment an operation
produces a value outside the range. The results are also compared with the
datasheet formula evaluated with unbounded integers."""
from __future__ import annotations

import random
import sys
import types
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LIMIT = 1 << 30


class SmallInt(int):
    def __new__(cls, v: int) -> "SmallInt":
        v = int(v)
        if not -LIMIT <= v < LIMIT:
            raise OverflowError("intermediate %d does not fit a 31-bit small int" % v)
        return int.__new__(cls, v)


def _wrap(name: str):
    op = getattr(int, name)

    def f(self, other):
        r = op(int(self), int(other) if isinstance(other, int) else other)
        return r if r is NotImplemented else SmallInt(r)

    return f


for _n in ("add", "sub", "mul", "floordiv", "mod", "lshift", "rshift", "and", "or", "xor"):
    setattr(SmallInt, "__%s__" % _n, _wrap("__%s__" % _n))
    setattr(SmallInt, "__r%s__" % _n, _wrap("__r%s__" % _n))
SmallInt.__neg__ = lambda self: SmallInt(-int(self))  # type: ignore[method-assign]


@pytest.fixture(scope="module")
def mods():
    shim = types.ModuleType("micropython")
    shim.const = lambda x: x  # type: ignore[attr-defined]
    saved = sys.modules.get("micropython")
    sys.modules["micropython"] = shim
    sys.path[:0] = [str(ROOT / "firmware"), str(ROOT / "boards" / "sim")]
    try:
        import bmp280
        import bmp280_emu
        import mprls

        yield bmp280, bmp280_emu, mprls
    finally:
        del sys.path[:2]
        for m in ("bmp280", "bmp280_emu", "mprls", "fixmath", "sensor", "i2c_emu", "noise"):
            sys.modules.pop(m, None)
        if saved is None:
            sys.modules.pop("micropython", None)
        else:
            sys.modules["micropython"] = saved


def _driver(bmp280, cal):
    d = bmp280.BMP280(None)
    names = ("t1", "t2", "t3", "p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8", "p9")
    for n, v in zip(names, cal):
        setattr(d, n, SmallInt(v))
    return d


def _ref_den(cal, t_fine):
    p1, p2, p3 = cal[3], cal[4], cal[5]
    var1 = (t_fine >> 1) - 64000
    var1 = (((p3 * (((var1 >> 2) * (var1 >> 2)) >> 13)) >> 3) + ((p2 * var1) >> 1)) >> 18
    return ((32768 + var1) * p1) >> 15


def _random_cal(rng):
    u16 = lambda: rng.randint(1, 65535)  # noqa: E731
    s16 = lambda: rng.randint(-32768, 32767)  # noqa: E731
    return (u16(), s16(), s16(), u16(), s16(), s16(), s16(), s16(), s16(), s16(), s16(), s16())


def test_bmp280_31_bit_and_exact_for_any_trimming(mods):
    bmp280, emu, _ = mods
    rng = random.Random(6)
    cals = [emu.DATASHEET_TRIMMING, (65535, 32767, -32768, 65535, -32768, 32767, 32767, 32767, -32768, 32767, -32768, 32767),
            (1, -32768, 32767, 1, 32767, -32768, -32768, -32768, 32767, -32768, 32767, -32768)]
    cals += [_random_cal(rng) for _ in range(300)]
    compared = 0
    for cal in cals:
        d = _driver(bmp280, cal)
        for _ in range(40):
            adc_t = SmallInt(rng.randint(0, (1 << 20) - 1))
            tf = d.compensate_t_fine(adc_t)  # any adc_T, any trimming: must fit
            assert tf == emu.compensate_t_fine(cal, int(adc_t))
            t = (tf * 5 + 128) >> 8
            if not -4000 <= t <= 8500:
                continue
            for _ in range(5):
                adc_p = SmallInt(rng.randint(0, (1 << 20) - 1))
                got = d.compensate_p(adc_p, tf)
                ref = emu.compensate_p(cal, int(adc_p), int(tf))
                if _ref_den(cal, int(tf)) > 0 and 0 < ref and got:
                    assert got == ref, (cal, adc_t, adc_p)
                    compared += 1
    assert compared > 2000, compared


def test_bmp280_datasheet_trimming_over_its_range(mods):
    bmp280, emu, _ = mods
    cal = emu.DATASHEET_TRIMMING
    d = _driver(bmp280, cal)
    e = emu.Bmp280Emu(1, noise_pa=0.0)
    for temp_c in (-40, 0, 25, 85):
        adc_t = e.adc_t_for(float(temp_c))
        tf = d.compensate_t_fine(SmallInt(adc_t))
        for pa in range(30000, 110001, 2500):
            adc_p = e.adc_p_for(float(pa), int(tf))
            assert d.compensate_p(SmallInt(adc_p), tf) == emu.compensate_p(cal, adc_p, int(tf))
            assert abs(emu.compensate_p(cal, adc_p, int(tf)) - pa) <= 1


def test_mprls_transfer_function_31_bit(mods):
    _, _, mprls = mods
    for fs in (172369, 200000, 100000):
        d = mprls.MPRLS(None, full_scale_pa=fs)
        d._scale = SmallInt(d._scale)
        for c in list(range(838861, 15938356, 99991)) + [838861, 15938355]:
            got = d.counts_to_pa(SmallInt(c))
            exact = (c - mprls.OUTPUT_MIN) * fs / mprls._SPAN
            assert abs(got - exact) <= 1, (fs, c, got, exact)


def test_calibration_apply_31_bit(mods):
    import sensor

    cal = sensor.Calibration()
    cal.set_two_point(0, 150, 50000, 54000)
    assert cal.offset_pa == 150 and abs(cal.gain_ppm() - 1077000) < 20
    cal.set(5000, 1_100_000)
    cal.gain_delta_q16 = SmallInt(cal.gain_delta_q16)
    for v in (-160000, -71000, 0, 71000, 159999):
        cal.apply(SmallInt(v))
    with pytest.raises(ValueError):
        cal.set_two_point(0, 0, 50000, 60000)  # 20 % gain error: a wrong part
    with pytest.raises(ValueError):
        cal.set(6000)
