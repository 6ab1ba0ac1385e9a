# Deterministic Gaussian noise for sensor emulations (simulator side only:
# floats allocate, so never call this from a bus-side method).
#
# A per-instance xorshift32 generator rather than the global `random`
# module: another emulation or test drawing from or seeding `random` must not
# change this sensor's noise sequence.
import math

_TWO_PI = 2.0 * math.pi


def xorshift32(x):
    """The next state of a xorshift32 generator (Marsaglia 13/17/5) after x."""
    x ^= (x << 13) & 0xFFFFFFFF
    x ^= x >> 17
    x ^= (x << 5) & 0xFFFFFFFF
    return x


class Gauss:
    def __init__(self, seed, salt=0):
        s = ((seed * 2654435761) ^ (salt * 0x85EBCA6B) ^ 0x9E3779B9) & 0xFFFFFFFF
        self._x0 = s or 0x6D2B79F5
        self.restart()

    def restart(self):
        """Start the sequence again from the seed."""
        self._x = self._x0
        self._spare = None
        for _ in range(4):
            self._u32()

    def _u32(self):
        self._x = x = xorshift32(self._x)
        return x

    def normal(self):
        """One standard normal deviate (Box-Muller, the pair's second kept)."""
        if self._spare is not None:
            z = self._spare
            self._spare = None
            return z
        u1 = (self._u32() + 1) / 4294967296.0  # (0, 1]
        u2 = self._u32() / 4294967296.0
        r = math.sqrt(-2.0 * math.log(u1))
        a = _TWO_PI * u2
        self._spare = r * math.sin(a)
        return r * math.cos(a)
