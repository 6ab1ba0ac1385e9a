# The clock of a real board: MicroPython's wrap-safe tick counters.
#
# All firmware time comes from a clock object supplied by the board
# definition (board.make_clock()); the simulated board supplies a virtual clock
# with the same methods. Only this module reads the hardware timers.
import time


class HardwareClock:
    ticks_ms = staticmethod(time.ticks_ms)
    ticks_us = staticmethod(time.ticks_us)
    ticks_diff = staticmethod(time.ticks_diff)
    ticks_add = staticmethod(time.ticks_add)

    def sleep_until_us(self, deadline_us):
        # Busy-free idle until the deadline; a late caller returns at once.
        remaining = time.ticks_diff(deadline_us, time.ticks_us())
        if remaining > 0:
            time.sleep_us(remaining)
