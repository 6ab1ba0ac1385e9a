# Leak-rate estimate from the pump duty needed to hold a steady vacuum.
#
# At a steady vacuum v the gas the pump removes equals the air that leaks in:
#   p_atm * Q_leak = p * Q_pump,  Q_pump = duty * Q_free * (1 - v / v_max)
# (domain.md, "A simple physical model"), with the pump's free flow Q_free and
# maximum vacuum v_max declared by the board. The duty is averaged while the
# session holds a steady level with the vent shut; the estimate is as good as
# the board's pump figures and the pump's linearity in duty.
# update() runs in the heap-locked control tick: integers only.
from micropython import const

_P_ATM_PA = const(101_325)
_AVG_SHIFT = const(7)  # moving average over ~128 ticks (0.64 s at 200 Hz)
# Settled: the averaged vacuum moved less than 2 % (or 100 Pa) in each of
# _SETTLED_WINDOWS windows of _WINDOW_MS; before that the duty still carries
# the pull-down of the chamber (a soft wound dressing creeps for seconds).
_WINDOW_MS = const(1_000)
_SETTLED_WINDOWS = const(2)
_SETTLED_MIN_PA = const(100)


class LeakEstimator:
    def __init__(self, pump_free_ml_min, pump_max_vacuum_pa):
        self.free_ml_min = pump_free_ml_min  # 0 = pump not characterised
        self.max_pa = pump_max_vacuum_pa
        self.reset()

    def reset(self):
        self.duty_u16 = 0  # averaged pump duty while steady
        self.vacuum_pa = 0  # averaged vacuum while steady
        self.steady_ms = -1  # -1: not steady; else time in the current window
        self._window_pa = 0  # averaged vacuum at the start of the window
        self.settled = 0  # consecutive settled windows

    def update(self, steady, pump_u16, vacuum_pa, dt_ms):
        """steady: the session holds its level with the vacuum in band."""
        if not steady:
            self.steady_ms = -1
            self.settled = 0
            return
        if self.steady_ms < 0:
            self.duty_u16 = pump_u16
            self.vacuum_pa = vacuum_pa
            self._window_pa = vacuum_pa
            self.steady_ms = 0
            return
        self.duty_u16 += (pump_u16 - self.duty_u16) >> _AVG_SHIFT
        self.vacuum_pa += (vacuum_pa - self.vacuum_pa) >> _AVG_SHIFT
        self.steady_ms += dt_ms
        if self.steady_ms >= _WINDOW_MS:
            self._window_check()

    def _window_check(self):
        self.steady_ms = 0
        d = self.vacuum_pa - self._window_pa
        lim = self.vacuum_pa // 50
        if lim < _SETTLED_MIN_PA:
            lim = _SETTLED_MIN_PA
        if -lim <= d <= lim:
            if self.settled < _SETTLED_WINDOWS:
                self.settled += 1
        else:
            self.settled = 0
        self._window_pa = self.vacuum_pa

    def valid(self):
        return self.free_ml_min > 0 and self.settled >= _SETTLED_WINDOWS

    def ml_min(self):
        """Leak inflow at ambient conditions, mL/min; -1 if unknown."""
        if not self.valid():
            return -1
        v = self.vacuum_pa
        if v < 0:
            v = 0
        if v >= self.max_pa:
            return -1
        # Permille factors keep every product below 2**30.
        q = self.free_ml_min * (self.duty_u16 >> 6) // 1024
        q = q * ((self.max_pa - v) * 1000 // self.max_pa) // 1000
        return q * ((_P_ATM_PA - v) * 1000 // _P_ATM_PA) // 1000
