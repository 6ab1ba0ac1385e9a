# Virtual clock of the simulated board.
#
# Same methods as firmware/hwclock.HardwareClock, but time only moves when the
# firmware waits (sleep_until_us) or a simulated bus transfer consumes time.
# Each wait steps the physics of the world up to the new time, so firmware and
# physics run in lockstep, deterministically, as fast as the host allows (or
# paced to a chosen multiple of real time).
#
# Tick counters wrap exactly like a 32-bit MicroPython port (period 2**30),
# and start a few seconds before the wrap so every simulated session crosses
# it: wrap-safety is exercised by every test, not assumed.
from micropython import const

import ctrl_c

TICKS_PERIOD = const(1 << 30)
_MASK = const(TICKS_PERIOD - 1)
_HALF = const(TICKS_PERIOD >> 1)
# Offsets put ticks_us through its wrap 3 s after start and ticks_ms 20 s after.
_US_EPOCH = const(TICKS_PERIOD - 3_000_000)
_MS_EPOCH = const(TICKS_PERIOD - 20_000)


class VirtualClock:
    # The firmware calls these several times per loop: the constants are
    # compiled in (const), not looked up as globals.
    def __init__(self, world):
        self._world = world
        self.now_us = 0  # unbounded virtual time since the simulation started

    def ticks_us(self):
        return (_US_EPOCH + self.now_us) & _MASK

    def ticks_ms(self):
        return (_MS_EPOCH + self.now_us // 1000) & _MASK

    @staticmethod
    def ticks_diff(a, b):
        return ((a - b + _HALF) & _MASK) - _HALF

    @staticmethod
    def ticks_add(t, delta):
        return (t + delta) & _MASK

    def sleep_until_us(self, deadline_us):
        if self.now_us >= ctrl_c.next_us:
            ctrl_c.check(self.now_us)  # before the step: a Ctrl-C finds the world whole
        delta = self.ticks_diff(deadline_us, self.ticks_us())
        if delta < 0:
            delta = 0
        self._world.advance_to(self.now_us + delta)
        h = self._world.heap
        if h is not None and h.due(self.now_us):
            # Outside the firmware's heap-locked tick (it waits here).
            h.sample(self.now_us)

    def work_done(self, kind, units=0):
        """The firmware finished a piece of its own work (hwclock.WORK_*):
        the world's CPU model (boards/sim/cpu.py) charges its cost on the
        target, 0 for the host. Like consume_us, physics catches up at the
        next sleep_until_us."""
        self.now_us += self._world.cpu.cost_us(kind, units, self._world)
        return self.ticks_us()

    def consume_us(self, us):
        # Time spent inside a blocking call (e.g. an I2C timeout). Integer only:
        # it may run under micropython.heap_lock(); physics catches up on the
        # next sleep_until_us.
        self.now_us += us
