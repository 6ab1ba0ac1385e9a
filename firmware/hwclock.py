# The clock of a real board: MicroPython's wrap-safe tick counters.
#
# All firmware time comes from a clock object supplied by the board
# definition (board.make_clock()); the simulated board supplies a virtual clock
# with the same methods. Only this module reads the hardware timers.
import time

from micropython import const

# Kinds of the firmware's own work, for work_done().
WORK_TICK = const(0)  # the control tick
WORK_BACKGROUND = const(1)  # a background pass (units: lines in and out and log records in it)
WORK_COLLECT = const(2)  # a garbage collection


class HardwareClock:
    ticks_ms = staticmethod(time.ticks_ms)
    ticks_us = staticmethod(time.ticks_us)
    ticks_diff = staticmethod(time.ticks_diff)
    ticks_add = staticmethod(time.ticks_add)

    @staticmethod
    def work_done(kind, units=0):
        """ticks_us() at the end of a piece of the firmware's own work (a
        WORK_* kind): the loop measures its phases with it. On a board the
        time has passed by itself; the simulated board's clock charges the
        work's modelled CPU time here (boards/sim/cpu.py)."""
        return time.ticks_us()

    def sleep_until_us(self, deadline_us):
        # Busy-free idle until the deadline; a late caller returns at once.
        remaining = time.ticks_diff(deadline_us, time.ticks_us())
        if remaining > 0:
            time.sleep_us(remaining)
