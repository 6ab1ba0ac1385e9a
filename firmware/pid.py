# Integer PID for the control tick: no floats, no allocation.
#
# Units: error in Pa, output in duty_u16 (signed: + pump, - vent).
# Gains are integers in human units so a technician can type them:
#   kp  duty per kPa of error            (2000 = 2 duty/Pa)
#   ki  duty per (kPa x s) of error
#   kd  duty x ms per kPa (derivative on the filtered measurement, never on
#       the setpoint, so setpoint moves cause no kick)
# Every product is bounded below 2**30, the small-int limit of a 32-bit
# MicroPython port (beyond it ints become heap objects): errors are clamped to
# the range in which they can still change the output, computed when gains are
# set, outside the tick. firmware/tests/test_pid.py checks the bound.
#
# Anti-windup: the integrator stops integrating in the direction of an
# output saturation (either end), and is itself clamped to [i_min, i_max]
# (default the output range).
# Gain changes are bumpless: the integrator is rescaled so the output does not
# jump when kp changes.
from micropython import const

# Full duty (outputs.FULL, which the drivers define): a const of its own so
# that the tick inlines it; test_pid checks the two are equal.
OUT_MAX = const(65535)
_SMALL = const(0x3FFFFFFF)  # 2**30 - 1
_I_MAX = const(65535 * 1000)  # integrator limit, milli-duty
_I_HORIZON_TICKS = const(100)


class PID:
    def __init__(self, period_ms, kp, ki, kd, d_filter_shift=2, i_band_pa=3000):
        self._dt_ms = period_ms
        self.i_band_pa = i_band_pa  # integrate only within this error band
        self._shift = d_filter_shift  # measurement low-pass: alpha = 2**-shift
        self.i_acc = 0  # milli-duty
        # Integrator range, milli-duty: the output's (set_out_min moves the
        # lower end with the output's).
        self.i_min = -_I_MAX
        self.i_max = _I_MAX
        # Lower output limit: a split-range caller may scale the negative side
        # (down to -4 * OUT_MAX; products stay below 2**30).
        self.out_min = -OUT_MAX
        self._pv_f = 0  # filtered measurement, Pa * 16 (extra resolution)
        self._primed = False
        self.p = self.i = self.d = 0  # last terms, duty (for telemetry/tuning)
        self.out = 0
        self._e = 0
        self.set_gains(kp, ki, kd)

    def set_gains(self, kp, ki, kd):
        if kp < 0 or ki < 0 or kd < 0:
            raise ValueError("gains must not be negative")
        self.kp = kp
        self.ki = ki
        self.kd = kd
        # Error beyond which P alone saturates: clamp to keep products small.
        span = OUT_MAX if OUT_MAX > -self.out_min else -self.out_min
        self._ep_max = (span * 1000 + kp - 1) // kp if kp else 0
        self._ki_tick = ki * self._dt_ms  # milli-duty per Pa per tick * 1000
        self._ei_max = _SMALL // self._ki_tick if self._ki_tick else 0
        # Derivative: duty = kd * dPa / (dt_ms * 1000); bound dPa accordingly.
        self._kd_div = self._dt_ms * 1000
        self._ed_max = _SMALL // kd if kd else 0

    def reset(self, pv, out=0):
        """Start from measurement pv with the given output (bumpless start)."""
        self._pv_f = pv << 4
        self._primed = True
        i = out * 1000
        self.i_acc = self.i_max if i > self.i_max else (self.i_min if i < self.i_min else i)
        self.out = out

    def update(self, sp, pv):
        if not self._primed:
            self.reset(pv)
        e = sp - pv
        self._e = e
        # P
        m = self._ep_max
        ep = m if e > m else (-m if e < -m else e)
        p = self.kp * ep // 1000
        # D on filtered measurement
        old = self._pv_f
        self._pv_f = old + (((pv << 4) - old) >> self._shift)
        dpv = (self._pv_f - old) >> 4
        d = 0
        if self.kd:
            m = self._ed_max
            dd = m if dpv > m else (-m if dpv < -m else dpv)
            d = -(self.kd * dd // self._kd_div)
        # I with conditional integration at either saturation
        m = self._ei_max
        ei = m if e > m else (-m if e < -m else e)
        # Integral separation: far from the setpoint, while the measurement is
        # still closing in on it (would arrive within the horizon at its
        # present rate), the output is limited by the pump, not by the
        # integrator: integrating there only winds up and overshoots. Far
        # away but stuck (e.g. P alone balances a leak), it integrates.
        b = self.i_band_pa
        if -b < e < b:
            inc = self._ki_tick * ei // 1000
        else:
            closing = dpv if e > 0 else -dpv
            ae = e if e > 0 else -e
            inc = self._ki_tick * ei // 1000 if closing * _I_HORIZON_TICKS < ae else 0
        i_new = self.i_acc + inc
        if i_new > self.i_max:
            i_new = self.i_max
        elif i_new < self.i_min:
            i_new = self.i_min
        u = p + i_new // 1000 + d
        lo = self.out_min
        if (u > OUT_MAX and inc > 0) or (u < lo and inc < 0):
            i_new = self.i_acc  # saturated: integrating further only winds up
            u = p + i_new // 1000 + d
        self.i_acc = i_new
        if u > OUT_MAX:
            u = OUT_MAX
        elif u < lo:
            u = lo
        self.p = p
        self.i = i_new // 1000
        self.d = d
        self.out = u
        return u

    def set_out_min(self, out_min):
        if not -4 * OUT_MAX <= out_min <= -OUT_MAX:
            raise ValueError("out_min out of range")
        self.out_min = out_min
        self.i_min = out_min * 1000  # (at most 2.7e8: a small int)
        self.set_gains(self.kp, self.ki, self.kd)

    def retune(self, kp, ki, kd):
        """Change gains without a jump in the output: the change in the P term
        at the current error is moved into the integrator."""
        old_p = self.p
        self.set_gains(kp, ki, kd)
        m = self._ep_max
        e = self._e
        ep = m if e > m else (-m if e < -m else e)
        new_p = self.kp * ep // 1000
        i = self.i_acc + (old_p - new_p) * 1000
        self.i_acc = self.i_max if i > self.i_max else (self.i_min if i < self.i_min else i)
        self.p = new_p
