# What the firmware's unit tests expect a call to raise: the exception of a
# given class (test_units.py, test_frame.py), or the protocol error a command
# answers a refusal from below with (test_access.py, test_config.py).
from cmdargs import from_below
from cmderror import CmdError


def raised(exc_class, fn, *args):
    """The exc_class exception fn(*args) raises; AssertionError if it returns
    (any other exception propagates)."""
    try:
        v = fn(*args)
    except exc_class as e:
        return e
    raise AssertionError("%r accepted as %r" % (args, v))


def refused(fn, code):
    """The message of the CmdError with protocol code `code` that
    cmdargs.from_below(fn) answers fn's ValueError(reason, sentence) with."""
    e = raised(CmdError, from_below, fn)
    assert e.code == code, (e.code, e.message)
    return e.message
