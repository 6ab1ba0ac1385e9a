# Boot sequence of the simulated board: run main.py from the firmware's
# "flash", reboot it on every reset, and fall back to the REPL when it stops.
import gc
import sys

import machine
from world import SimStop


def _purge(keep):
    # A reset clears RAM: every module the firmware imported is forgotten,
    # and its memory is given back before the next boot allocates (a real
    # board starts with an empty heap).
    for name in list(sys.modules):
        if name not in keep:
            del sys.modules[name]
    gc.collect()


def run(world):
    import repl

    keep = set(sys.modules)
    keep.add("repl")
    while True:
        _purge(keep)
        try:
            if world.flash is not None:
                world.flash.mount()  # the board's filesystem, as at every boot
            try:
                __import__("main")
            except (KeyboardInterrupt, Exception) as e:  # noqa: BLE001 - as the board's REPL would
                sys.print_exception(e)
            action = repl.run(world)
        except machine.SimReset as r:
            cause = r.cause
            r = None
            world.mcu_reset(cause)
            continue
        except SimStop:
            raise
        if action == "soft_reset":
            world.reset_cause = machine.SOFT_RESET
            world.boot_count += 1
