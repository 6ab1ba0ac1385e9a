# Unit tests of the integer PID (runs in MicroPython).
import micropython

from outputs import FULL
from pid import OUT_MAX, PID

_SMALL = (1 << 30) - 1  # small-int limit of a 32-bit MicroPython port


def _loop_locked(pid, sp, pvs):
    micropython.heap_lock()
    try:
        for pv in pvs:
            pid.update(sp, pv)
    finally:
        micropython.heap_unlock()


def test_update_allocates_nothing():
    pid = PID(5, 6000, 3000, 200)
    _loop_locked(pid, 30000, range(0, 60000, 7))
    _loop_locked(pid, 0, range(60000, 0, -7))


def test_products_stay_small_ints_at_extreme_gains_and_errors():
    for kp, ki, kd in ((1, 1, 1), (100000, 100000, 100000), (6000, 3000, 0), (100000, 1, 0)):
        pid = PID(5, kp, ki, kd)
        for e in (-200000, -71000, -1, 0, 1, 71000, 200000):
            m = pid._ep_max
            ep = max(-m, min(m, e))
            assert abs(pid.kp * ep) <= OUT_MAX * 1000 + kp
            if pid._ki_tick:
                ei = max(-pid._ei_max, min(pid._ei_max, e))
                assert abs(pid._ki_tick * ei) <= _SMALL
            if pid.kd:
                assert abs(pid.kd * pid._ed_max) <= _SMALL


def test_output_clamped_both_ways():
    pid = PID(5, 100000, 0, 0)
    assert pid.update(70000, 0) == OUT_MAX
    assert pid.update(0, 70000) == -OUT_MAX


def test_no_windup_while_pump_saturated():
    # Large error held for a long time (pump at 100 %): once the error
    # reverses, the output must leave saturation within a few ticks.
    pid = PID(5, 2000, 20000, 0, i_band_pa=100000)
    for _ in range(2000):
        assert pid.update(60000, 10000) == OUT_MAX
    for n in range(20):
        if pid.update(60000, 61000) < OUT_MAX:
            break
    assert n < 5, n


def test_no_windup_while_vent_saturated():
    pid = PID(5, 2000, 20000, 0, i_band_pa=100000)
    for _ in range(2000):
        assert pid.update(0, 60000) == -OUT_MAX
    for n in range(20):
        if pid.update(10000, 9000) > -OUT_MAX:
            break
    assert n < 5, n


def test_integral_separation_band():
    pid = PID(5, 1000, 5000, 0, i_band_pa=3000)
    pid.update(30000, 0)
    i0 = pid.i_acc
    pid.update(30000, 5000)  # far away and closing in fast: no integration
    assert pid.i_acc == i0
    for _ in range(100):
        pid.update(30000, 20000)  # far away but stuck (once filtered): integrates
    assert pid.i_acc > i0
    i1 = pid.i_acc
    pid.update(30000, 29000)  # inside the band: integrates
    assert pid.i_acc > i1


def test_integrator_removes_steady_error():
    # First-order leaky plant: vacuum follows duty; PI must reach setpoint.
    pid = PID(5, 1000, 4000, 0)
    pv = 0
    for _ in range(20000):
        u = pid.update(20000, pv)
        pv += (max(u, 0) * 2 - pv) // 50  # gain 2 Pa/duty, time constant 50 ticks
    assert abs(pv - 20000) < 100, pv


def test_retune_is_bumpless():
    pid = PID(5, 2000, 3000, 0)
    for _ in range(200):
        pid.update(20000, 19000)
    before = pid.update(20000, 19000)
    pid.retune(5000, 3000, 0)
    after = pid.update(20000, 19000)
    # Only one tick of integration separates the two outputs.
    assert abs(after - before) <= 20, (before, after)


def test_reset_starts_from_given_output():
    pid = PID(5, 2000, 3000, 0)
    pid.reset(10000, 1234)
    assert abs(pid.update(10000, 10000) - 1234) <= 1


def test_negative_gains_rejected():
    try:
        PID(5, -1, 0, 0)
    except ValueError:
        return
    assert False, "negative gain accepted"


def test_output_range_is_full_duty():
    # pid keeps its own const (inlined in the tick); it must be the drivers' full duty.
    assert OUT_MAX == FULL
