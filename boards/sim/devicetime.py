# `time` as code typed at the simulated board's REPL sees it: the board's
# device time. On a board `time.sleep_ms(100)` passes 100 ms of the board's
# life (the watchdog counts, the chamber vents); here it advances the world
# by as much, in lockstep, instead of sleeping the host's process while the
# world stands still. Its waits are also where a Ctrl-C reaches the code
# (boards/sim/ctrl_c.py). Dates (time, localtime, ...) stay the host's.
# The REPL installs it as `time` and `utime` while it runs (repl.run).
import time as _host

from micropython import const

import simworld

_STEP_US = const(10_000)  # waits in steps: a Ctrl-C is seen within one

time = _host.time
localtime = _host.localtime
gmtime = getattr(_host, "gmtime", _host.localtime)
mktime = _host.mktime
time_ns = getattr(_host, "time_ns", None)


def _clock():
    return simworld.current().clock


def ticks_us():
    return _clock().ticks_us()


def ticks_ms():
    return _clock().ticks_ms()


ticks_cpu = ticks_us


def ticks_diff(a, b):
    return _clock().ticks_diff(a, b)


def ticks_add(t, delta):
    return _clock().ticks_add(t, delta)


def sleep_us(us):
    clock = _clock()
    while us > 0:
        step = us if us < _STEP_US else _STEP_US
        clock.sleep_until_us(clock.ticks_add(clock.ticks_us(), step))
        us -= step


def sleep_ms(ms):
    sleep_us(int(ms) * 1000)


def sleep(s):
    sleep_us(int(s * 1_000_000))
