# Ctrl-C of the simulated board, raised only where the simulator is whole.
#
# A board's USB stack turns the interrupt character into a KeyboardInterrupt
# that the VM raises between two bytecodes of the user's program; its own C
# (the filesystem, the I2C driver, the import machinery) is never cut short.
# Here much of the "hardware" is Python (littlefs's block device, the physics,
# the emulated sensors), and the Unix port's SIGINT raises wherever the VM
# next checks, including inside a system call it retries: an import's file
# reader, a block device callback. Seen: a qstr mutex left locked (the next
# import hung for ever) and a flash that could no longer be unmounted.
#
# So the launcher never signals. For each Ctrl-C byte from the host it writes
# one byte to a pipe (--ctrl-c-fd) and then passes the Ctrl-C on as data, as
# before. The virtual clock calls check() at its waits, at most every
# CHECK_US of device time, where the world is consistent: if the interrupt
# character is enabled (kbd_intr(3): the SIGINT handler MicroPython installs)
# KeyboardInterrupt is raised there, else the request is dropped (the
# firmware and the REPL read the byte themselves). The REPL drops stale
# requests before it runs code (discard()). Code that never waits (a bare
# busy loop typed at the REPL) cannot be interrupted: docs/simulation.md.
import select

from micropython import const

CHECK_US = const(10_000)
_SIGINT_BIT = const(1 << 1)  # signal 2 in /proc's signal masks

_pipe = None
_poll = None
_byte = bytearray(1)
_NEVER = const(1 << 60)
next_us = _NEVER  # no pipe: the clock never calls check()


def install(fd):
    global _pipe, _poll, next_us
    _pipe = open("/dev/fd/%d" % fd, "rb")
    _poll = select.poll()
    _poll.register(_pipe, select.POLLIN)
    next_us = 0


def _requested():
    """Drain the pipe; True if it held at least one request."""
    global next_us
    got = False
    while True:
        ready = False
        for _ in _poll.ipoll(0):
            ready = True
        if not ready:
            return got
        if _pipe.readinto(_byte) != 1:  # the launcher is gone
            _poll.unregister(_pipe)
            next_us = _NEVER
            return got
        got = True


def _enabled():
    """kbd_intr(3) is in force: MicroPython has a SIGINT handler installed."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("SigCgt:"):
                    return bool(int(line.split()[1], 16) & _SIGINT_BIT)
    except MemoryError:  # heap locked: inside the firmware's tick, which reads Ctrl-C itself
        pass
    return False


def discard():
    if _poll is not None:
        _requested()


def check(now_us):
    global next_us
    next_us = now_us + CHECK_US
    if _requested() and _enabled():
        raise KeyboardInterrupt
