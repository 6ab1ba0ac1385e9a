# Relay (Astrom-Hagglund) test around a held setpoint: the tick part.
#
# The controller hands over once the setpoint has been held for a settling
# time. First the measurement noise is sampled while the PI still holds
# (hysteresis = 3 sigma, so noise cannot flip the relay); then the output
# alternates between hold + d and hold - d each time the measurement crosses
# the setpoint +- hysteresis. After the first cycles (transient) the period
# and the peak-to-peak amplitude of the next cycles are summed; autotune.py
# turns them into plant figures and gains, outside the tick.
#
# Bounded: the output never leaves hold +- d (d is at most a quarter of full
# duty), the test aborts when the vacuum strays beyond the setpoint by the
# abort margin or when it runs longer than its time limit; the supervisor's
# hard limits apply throughout. Integers only, no allocation.
from micropython import const

IDLE = const(0)
ARMED = const(1)  # waiting for the hold to settle
NOISE = const(2)  # sampling noise under the PI
RUNNING = const(3)
DONE = const(4)
ABORTED = const(5)
STATE_NAMES = ("idle", "armed", "noise", "running", "done", "aborted")

ABORT_NONE = const(0)
ABORT_DEVIATION = const(1)
ABORT_TIMEOUT = const(2)
ABORT_STOPPED = const(3)
ABORT_NAMES = ("", "deviation", "timeout", "stopped")

_SETTLE_TICKS = const(200)
_NOISE_TICKS = const(200)
_E_CLAMP = const(2000)  # squares of at most 4e6, summed over 200: < 2**30
_SKIP_CYCLES = const(2)
CYCLES = const(4)


def isqrt(n):
    """Integer square root (floor), allocation-free for small ints."""
    if n <= 0:
        return 0
    x = n
    y = (x + 1) >> 1
    while y < x:
        x = y
        y = (x + n // x) >> 1
    return x


class RelayTest:
    def __init__(self):
        self.u0 = 0
        self.h = 0
        self.up = True
        self._hi = 0
        self._lo = 0
        self.noise_pa = 0
        self.arm(0, 0, 0, 0)  # the rest of the state, as a test starts it
        self.state = IDLE

    def arm(self, sp, d, margin, limit_ticks):
        self.state = ARMED
        self.abort = ABORT_NONE
        self.sp = sp
        self.d = d
        self.margin = margin
        self.limit_ticks = limit_ticks
        self.ticks = 0
        self._n = 0
        self._sq = 0
        self.cycles = 0
        self.period_sum = 0  # ticks, over counted cycles
        self.pp_sum = 0  # Pa peak-to-peak, over counted cycles
        self._last_up = -1

    def active(self):
        return self.state == ARMED or self.state == NOISE or self.state == RUNNING

    def cancel(self, why=ABORT_STOPPED):
        if self.active():
            self._abort(why)

    def watch(self, pv, hold_u):
        """While the PI holds: settle, then sample noise. Returns True when
        the relay takes over."""
        self.ticks += 1
        if self.ticks > self.limit_ticks:
            self._abort(ABORT_TIMEOUT)
            return False
        e = pv - self.sp
        if self.state == NOISE and (e > self.margin or e < -self.margin):
            self._abort(ABORT_DEVIATION)
            return False
        if self.state == ARMED:
            if self.ticks >= _SETTLE_TICKS:
                self.state = NOISE
            return False
        e = _E_CLAMP if e > _E_CLAMP else (-_E_CLAMP if e < -_E_CLAMP else e)
        self._sq += e * e
        self._n += 1
        if self._n < _NOISE_TICKS:
            return False
        sigma = isqrt(self._sq // self._n)
        self.noise_pa = sigma
        h = 3 * sigma
        self.h = h if h > 5 else 5
        self.u0 = hold_u
        self.up = False
        self._hi = pv
        self._lo = pv
        self.state = RUNNING
        return True

    def step(self, pv):
        """One relay tick: returns the signed output (PI-output space)."""
        t = self.ticks + 1
        self.ticks = t
        sp = self.sp
        if pv > sp + self.margin or pv < sp - self.margin:
            self._abort(ABORT_DEVIATION)
            return 0
        if t > self.limit_ticks:
            self._abort(ABORT_TIMEOUT)
            return 0
        if pv > self._hi:
            self._hi = pv
        if pv < self._lo:
            self._lo = pv
        if self.up:
            if pv > sp + self.h:
                self.up = False
        elif pv < sp - self.h:
            self.up = True
            self._cycle(t, pv)
        return self.u0 + self.d if self.up else self.u0 - self.d

    def _cycle(self, t, pv):
        # An upward switch closes a cycle: period and amplitude since the last.
        if self._last_up >= 0:
            self.cycles += 1
            if self.cycles > _SKIP_CYCLES:
                self.period_sum += t - self._last_up
                self.pp_sum += self._hi - self._lo
                if self.cycles >= _SKIP_CYCLES + CYCLES:
                    self.state = DONE
        self._last_up = t
        self._hi = pv
        self._lo = pv

    def _abort(self, why):
        self.state = ABORTED
        self.abort = why
