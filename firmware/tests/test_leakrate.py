# Tests for firmware/leakrate.py and the session's integer interpolation;
# run under MicroPython with tools/testing/mpy_unittest.py.
import sys

sys.path.append((__file__.rsplit("/", 1)[0] if "/" in __file__ else ".") + "/..")

from leakrate import LeakEstimator  # noqa: E402
from session import _lerp  # noqa: E402


def _settle(est, duty, vacuum, ms, vent=0):
    for _ in range(ms // 5):
        est.update(True, duty, vent, vacuum, 5)


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
        est.update(True, 60_000, 0, v, 5)
    assert not est.valid() and est.ml_min() == -1
    est.update(False, 0, 0, 0, 5)
    assert est.steady_ms == -1 and est.settled == 0
    blind = LeakEstimator(0, 0)
    _settle(blind, 30_000, 10_000, 4_000)
    assert blind.ml_min() == -1


def test_the_vents_bleed_is_subtracted():
    # The same hold as above, with the vent open 3 % of the time on average
    # (the split range correcting noise): a 10 L/min-at-10-kPa orifice lets
    # in 10000 * sqrt(16.7 / 10) = 12 923 mL/min fully open, 3 % of it 388.
    est = LeakEstimator(3_000, 80_000)
    est.set_vent(10_000, 500)
    _settle(est, 42_598, 16_700, 3_100, vent=1_966)
    assert abs(est.vent_ml_min(16_700) - 388) <= 8, est.vent_ml_min(16_700)
    assert abs(est.ml_min() - (1288 - 388)) <= 20, est.ml_min()
    # Vent shut throughout: nothing subtracted.
    shut = LeakEstimator(3_000, 80_000)
    shut.set_vent(10_000, 500)
    _settle(shut, 42_598, 16_700, 3_100)
    assert abs(shut.ml_min() - 1288) <= 15, shut.ml_min()
    # A vent that lets in more than the pump removes: no negative leak.
    est.set_vent(100_000, 500)
    assert est.ml_min() == 0
    # Unknown vent (not commissioned): the pump's flow alone, as before.
    est.set_vent(0, 500)
    assert est.vent_table is None and abs(est.ml_min() - 1288) <= 15


def test_vent_table_follows_the_recorded_law():
    est = LeakEstimator(3_000, 80_000)
    est.vent_u16 = 65_535
    for exp_pm in (300, 500, 1000):
        est.set_vent(8_000, exp_pm)
        for v in (3_300, 10_000, 16_700, 26_700, 50_000, 70_000):
            want = 8_000 * (v / 10_000) ** (exp_pm / 1000)
            got = est.vent_ml_min(v)
            assert abs(got - want) <= 0.02 * want + 2, (exp_pm, v, got, want)


def test_vent_arithmetic_stays_in_small_ints():
    # The largest vent the configuration accepts, fully open, at the top of
    # the table: every intermediate product below 2**30.
    from config import VENT_FLOW_MAX_ML_MIN

    est = LeakEstimator(100_000, 101_000)
    est.set_vent(VENT_FLOW_MAX_ML_MIN, 300)
    assert max(est.vent_table) <= VENT_FLOW_MAX_ML_MIN
    est.vent_u16 = 65_535
    steps = [est.vent_table[i + 1] - est.vent_table[i] for i in range(len(est.vent_table) - 1)]
    assert max(steps) * 256 < 2 ** 30 and (VENT_FLOW_MAX_ML_MIN >> 10) * 65_535 < 2 ** 30 and 1023 * 65_535 < 2 ** 30
    assert est.vent_ml_min(100_999) <= VENT_FLOW_MAX_ML_MIN


def test_lerp_stays_in_small_ints_for_days():
    week = 7 * 86_400_000
    assert _lerp(0, 71_000, week // 2, week) == 35_500
    assert _lerp(71_000, 3_333, 0, week) == 71_000
    assert _lerp(3_333, 71_000, week, week) == 71_000
    assert 0 <= _lerp(0, 20_000, 1, 4_000) <= 10
    assert _lerp(20_000, 8_000, 1_000, 2_000) == 14_000


def test_update_and_estimate_allocate_nothing():
    # Both run in the heap-locked tick: a frame too big for the C stack, a
    # long int or a float would raise MemoryError here.
    import micropython

    est = LeakEstimator(3_000, 80_000)
    est.set_vent(10_000, 500)
    _settle(est, 42_598, 16_700, 3_100, vent=1_966)
    micropython.heap_lock()
    try:
        for _ in range(300):
            est.update(True, 42_598, 1_966, 16_700, 5)
            q = est.ml_min()
    finally:
        micropython.heap_unlock()
    assert q > 0
