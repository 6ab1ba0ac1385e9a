# The firmware's one lazy loader: a module imported for one call and
# forgotten after it, so its code and texts take RAM only while it runs (the
# peak is the resident firmware plus the largest such module, not their
# sum). Used for the service commands (commands._service), the texts of
# program errors (cmdargs) and the passcode's hashing (access). Safety
# commands (stop, pause, clear, ack, silence, status, start) never come this
# way: they need no import.
import sys


def call_lazy(module, func, *args):
    """module.func(*args); the module and whatever it imported are dropped
    from sys.modules afterwards, even when the call raises."""
    before = set(sys.modules)
    try:
        return getattr(__import__(module), func)(*args)
    finally:
        for name in list(sys.modules):
            if name not in before:
                del sys.modules[name]
