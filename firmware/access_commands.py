# The access commands of the serial protocol: unlock, lock, passcode
# (docs/protocol.md; the rules in access.py and docs/safety.md). Replies and
# errors never contain the code.
import session as ses
from cmdargs import from_below
from cmderror import E_ARG, E_STATE, CmdError


def _one_code(args, usage):
    if len(args) != 1:
        # The arguments are not quoted back: one of them may be the code.
        raise CmdError(E_ARG, "usage: %s (one word, no spaces)" % usage)
    return args[0].encode()


def cmd_unlock(dev, args):
    return from_below(dev.access.unlock, _one_code(args, "unlock CODE"))


def cmd_lock(dev, args):
    if args:
        raise CmdError(E_ARG, "usage: lock (takes no arguments)")
    return dev.access.lock()


def cmd_passcode(dev, args):
    code = _one_code(args, "passcode NEW")
    if dev.session.state == ses.RUN:
        raise CmdError(E_STATE, "a session is running; 'stop' it first (writing flash stalls the control loop)")
    return from_below(dev.access.set_code, code)
