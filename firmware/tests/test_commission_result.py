# Tests for the vent's flow law that commission_result.py fits to the
# full-vent descents (commission.py's level crossings); run under
# MicroPython with tools/testing/mpy_unittest.py.
import math
import sys

sys.path.append((__file__.rsplit("/", 1)[0] if "/" in __file__ else ".") + "/..")

from array import array  # noqa: E402

import commission_result as cr  # noqa: E402

_AMB = 101_325
_LEVELS = 16


class Descents:
    """What commission.Commissioner leaves for evaluate(): the crossing
    times (us) of each level on the way down, and which descent crossed it."""

    def __init__(self, volume_ml, top_pa):
        self.volume_ml = volume_ml
        self.ambient_pa = _AMB
        self.step_pa = top_pa // _LEVELS
        self.vd_us = array("i", [-1] * (_LEVELS + 1))
        self.vd_s = bytearray(_LEVELS + 1)

    def descend(self, s, k_hi, k_lo, t0_us, q10, n):
        """A rigid chamber vented through Q = q10 (v / 10 kPa)^n (mL/min at
        ambient): dv/dt = Q p_amb / V, integrated exactly between levels."""
        # dv/dt = a v^n, a in Pa^(1-n)/s; t(v_hi -> v) = (v_hi^(1-n) - v^(1-n)) / (a (1-n))
        a = q10 / 60 * _AMB / self.volume_ml / 10_000 ** n
        v_hi = self.step_pa * k_hi
        for k in range(k_hi, k_lo - 1, -1):
            v = self.step_pa * k
            if n == 1:  # (laminar: an exponential decay)
                t = math.log(v_hi / v) / a
            else:
                t = (v_hi ** (1 - n) - v ** (1 - n)) / (a * (1 - n))
            self.vd_us[k] = t0_us + int(t * 1e6)
            self.vd_s[k] = s


def _fit(c):
    r = cr.Result()
    cr._vent_flow(r, c, 0.0, 63_000)
    return r


def test_an_orifice_is_read_back_from_two_descents():
    for q10 in (1_000, 6_000, 20_000):
        c = Descents(100, 63_000)
        c.descend(1, 15, 8, 5_000_000, q10, 0.5)  # from the top to half of it
        c.descend(2, 6, 1, 90_000_000, q10, 0.5)  # the last release, on down
        r = _fit(c)
        assert abs(r.vent_flow - q10) <= q10 * 0.02, (q10, r.vent_flow)
        assert 480 <= r.vent_exp_pm <= 520, r.vent_exp_pm
        assert not r.warnings, r.warnings
        # Level 7 was crossed by neither: the pairs (8, 7) and (7, 6) are not
        # made up across the gap between the descents.
        assert len(r.vent_curve) == 7 + 5, r.vent_curve


def test_a_laminar_bleed_gives_its_own_exponent():
    c = Descents(250, 63_000)
    c.descend(1, 15, 1, 0, 3_000, 1)
    r = _fit(c)
    assert 980 <= r.vent_exp_pm <= 1020, r.vent_exp_pm
    assert abs(r.vent_flow - 3_000) <= 60, r.vent_flow


def test_too_few_points_or_no_valve_law_records_nothing():
    c = Descents(100, 63_000)
    c.descend(1, 15, 14, 0, 6_000, 0.5)  # one pair only
    r = _fit(c)
    assert r.vent_flow == 0 and r.warnings and "leak estimate will not subtract" in r.warnings[0]
    # Flow rising as the vacuum falls (each level lower crossed sooner after
    # the last): not a valve's law (exponent -1).
    c = Descents(100, 63_000)
    t = 0
    c.vd_us[15] = 0
    c.vd_s[15] = 1
    for k in range(14, 0, -1):
        t += 100_000 * (k + 1)
        c.vd_us[k] = t
        c.vd_s[k] = 1
    r = _fit(c)
    assert r.vent_flow == 0 and r.warnings and "valve's law" in r.warnings[0], (r.vent_flow, r.vent_exp_pm, r.warnings)
    assert r.vent_exp_pm == 500  # the default stays


def test_the_record_carries_the_vent_law():
    c = Descents(100, 63_000)
    c.descend(1, 15, 1, 0, 6_000, 0.5)
    r = _fit(c)
    r.flow, r.max_pa, r.dead_pm, r.full_pm, r.dead_ms, r.zero_pa, r.noise_pa = 2000, 80_000, 0, 1000, 0, 0, 20
    v = r.config_values(0)
    assert v["vent_flow_ml_min"] == r.vent_flow and v["vent_exp_pm"] == r.vent_exp_pm
    assert math.fabs(v["vent_flow_ml_min"] - 6_000) <= 120
