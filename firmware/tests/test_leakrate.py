# Tests for firmware/leakrate.py and the session's integer interpolation;
# run under MicroPython with tools/testing/mpy_unittest.py.
import sys

sys.path.append((__file__.rsplit("/", 1)[0] if "/" in __file__ else ".") + "/..")

from leakrate import LeakEstimator  # noqa: E402
from session import _lerp  # noqa: E402


def _settle(est, duty, vacuum, ms):
    for _ in range(ms // 5):
        est.update(True, duty, vacuum, 5)


def test_estimate_matches_the_gas_balance():
    # 3 L/min pump, 80 kPa max, 65 % duty at 16.7 kPa:
    # 3000 * 0.65 * (1 - 16.7/80) * (84.6/101.3) = 1288 mL/min.
    est = LeakEstimator(3_000, 80_000)
    _settle(est, 42_598, 16_700, 3_100)
    assert est.valid()
    q = est.ml_min()
    assert abs(q - 1288) <= 15, q


def test_no_estimate_until_settled_nor_without_pump_figures():
    est = LeakEstimator(3_000, 80_000)
    v = 10_000
    for _ in range(600):  # 3 s of a vacuum still rising 1 kPa/s
        v += 5
        est.update(True, 60_000, v, 5)
    assert not est.valid() and est.ml_min() == -1
    est.update(False, 0, 0, 5)
    assert est.steady_ms == -1 and est.settled == 0
    blind = LeakEstimator(0, 0)
    _settle(blind, 30_000, 10_000, 4_000)
    assert blind.ml_min() == -1


def test_lerp_stays_in_small_ints_for_days():
    week = 7 * 86_400_000
    assert _lerp(0, 71_000, week // 2, week) == 35_500
    assert _lerp(71_000, 3_333, 0, week) == 71_000
    assert _lerp(3_333, 71_000, week, week) == 71_000
    assert 0 <= _lerp(0, 20_000, 1, 4_000) <= 10
    assert _lerp(20_000, 8_000, 1_000, 2_000) == 14_000
