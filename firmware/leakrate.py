# Leak-rate estimate from the pump duty needed to hold a steady vacuum.
#
# At a steady vacuum v the gas the pump removes equals the air that leaks in
# through the seal and the air the vent lets in:
#   p_atm * (Q_leak + Q_vent) = p * Q_pump,  Q_pump = duty * Q_free * (1 - v / v_max)
# (domain.md, "A simple physical model"), with the pump's free flow Q_free and
# maximum vacuum v_max from commissioning (else the board's declaration). A
# controller holding a small leak also opens the vent now and then (its
# split range corrects noise both ways): Q_vent = opening * Q_full(v), the
# vent's flow fully open as commissioning measured it (a power law in v, set
# by set_vent; unknown = 0, nothing subtracted). Duty and opening are
# averaged while the session holds a steady level; the estimate is as good
# as those figures, the pump's linearity in duty and the vent's in opening.
# update() and ml_min() run in the heap-locked control tick: integers only,
# small frames.
from array import array

from micropython import const

from config import VENT_FLOW_MAX_ML_MIN, VENT_REF_PA

_P_ATM_PA = const(101_325)
_AVG_SHIFT = const(7)  # moving average over ~128 ticks (0.64 s at 200 Hz)
_AVG_HALF = const(64)  # 2**_AVG_SHIFT / 2: the averages round to nearest
# Settled: the averaged vacuum moved less than 2 % (or 100 Pa) in each of
# _SETTLED_WINDOWS windows of _WINDOW_MS; before that the duty still carries
# the pull-down of the chamber (a soft wound dressing creeps for seconds).
_WINDOW_MS = const(1_000)
_SETTLED_WINDOWS = const(2)
_SETTLED_MIN_PA = const(100)
# The vent's full-opening flow tabulated every 2**_VENT_SHIFT Pa of vacuum
# (2048 Pa: linear between points, within 1.5 % of an orifice's square root
# from 3 kPa up), up to 104 kPa.
_VENT_SHIFT = const(11)
_VENT_POINTS = const(52)


class LeakEstimator:
    def __init__(self, pump_free_ml_min, pump_max_vacuum_pa):
        self.free_ml_min = pump_free_ml_min  # 0 = pump not characterised
        self.max_pa = pump_max_vacuum_pa
        self.vent_table = None  # the vent's flow fully open (mL/min) at each 2048 Pa; None: unknown
        self.reset()

    def set_vent(self, q10_ml_min, exp_pm):
        """The vent's flow fully open, Q = q10 (v / 10 kPa)^(exp_pm / 1000)
        (commissioning's record); q10 0 = unknown. Between ticks (floats)."""
        if q10_ml_min <= 0:
            self.vent_table = None
            return
        n = exp_pm / 1000
        t = array("i", [0] * _VENT_POINTS)
        for i in range(1, _VENT_POINTS):
            q = q10_ml_min * ((i << _VENT_SHIFT) / VENT_REF_PA) ** n
            t[i] = int(q) if q < VENT_FLOW_MAX_ML_MIN else VENT_FLOW_MAX_ML_MIN
        self.vent_table = t

    def reset(self):
        self.duty_u16 = 0  # averaged pump duty while steady
        self.vent_u16 = 0  # averaged vent opening while steady
        self.vacuum_pa = 0  # averaged vacuum while steady
        # The averages' sums, 2**_AVG_SHIFT times each: averaging the
        # difference shifted right (floor) would sit up to 2**_AVG_SHIFT low
        # (128 Pa, 128 duty): a bias the sensor's span calibration saw.
        self._duty_sum = 0
        self._vent_sum = 0
        self._vac_sum = 0
        self.steady_ms = -1  # -1: not steady; else time in the current window
        self._window_pa = 0  # averaged vacuum at the start of the window
        self.settled = 0  # consecutive settled windows

    def update(self, steady, pump_u16, vent_u16, vacuum_pa, dt_ms):
        """steady: the session holds its level with the vacuum in band."""
        if not steady:
            self.steady_ms = -1
            self.settled = 0
            return
        if self.steady_ms < 0:
            self.duty_u16 = pump_u16
            self.vent_u16 = vent_u16
            self.vacuum_pa = vacuum_pa
            self._duty_sum = pump_u16 << _AVG_SHIFT
            self._vent_sum = vent_u16 << _AVG_SHIFT
            self._vac_sum = vacuum_pa << _AVG_SHIFT
            self._window_pa = vacuum_pa
            self.steady_ms = 0
            return
        # (sums below 2**30: 65535 or 110 kPa times 128)
        self._duty_sum += pump_u16 - self.duty_u16
        self.duty_u16 = (self._duty_sum + _AVG_HALF) >> _AVG_SHIFT
        self._vent_sum += vent_u16 - self.vent_u16
        self.vent_u16 = (self._vent_sum + _AVG_HALF) >> _AVG_SHIFT
        self._vac_sum += vacuum_pa - self.vacuum_pa
        self.vacuum_pa = (self._vac_sum + _AVG_HALF) >> _AVG_SHIFT
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

    def settled_pa(self):
        """The averaged vacuum of a settled hold (Pa), else None."""
        return self.vacuum_pa if self.settled >= _SETTLED_WINDOWS else None

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
        q = q * ((_P_ATM_PA - v) * 1000 // _P_ATM_PA) // 1000
        if self.vent_table is not None and self.vent_u16 > 0:
            q -= self.vent_ml_min(v)
        return q if q > 0 else 0

    def vent_ml_min(self, v):
        """What the vent lets in at vacuum v (Pa) and the averaged opening."""
        t = self.vent_table
        i = v >> _VENT_SHIFT
        if i >= _VENT_POINTS - 1:
            i = _VENT_POINTS - 2
        a = t[i]
        # (the step between points times 256 stays below 2**30)
        a += (t[i + 1] - a) * ((v - (i << _VENT_SHIFT)) >> 3) >> 8
        u = self.vent_u16  # a * u / 65536, split so that no product reaches 2**30
        return ((a >> 10) * u + ((a & 1023) * u >> 10)) >> 6
