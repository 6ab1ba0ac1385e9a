# Boot sequence of the simulated board: mount the flash, run main.py, reboot
# on every reset, and fall back to the REPL when the firmware stops.
#
# Where main.py comes from: the flash, when a deploy put one there (its root
# is "/" on a real board: /flash here), else the firmware directory of the
# checkout (tests run the sources without deploying). Only that one place is
# on the import path, so a deployed build runs on its own files; the sim's own
# modules (machine, board: the board definition with the virtual clock) stay
# ahead of it, as the hardware is not something a deploy replaces.
import gc
import os
import sys

import ctrl_c
import machine
from world import SimStop

_FLASH_ROOT = "/flash"  # flash.MOUNT_POINT
_PATH_SLOT = 2  # sys.path: sim dir, boards/, then the firmware's place


def _purge(keep):
    # A reset clears RAM: every module the firmware imported is forgotten,
    # and its memory is given back before the next boot allocates (a real
    # board starts with an empty heap).
    for name in list(sys.modules):
        if name not in keep:
            del sys.modules[name]
    gc.collect()


def _has_main(root):
    try:
        os.stat(root + "/main.py")
        return True
    except OSError:
        return False


def _firmware_root(world, firmware_dir):
    if world.flash is not None and _has_main(_FLASH_ROOT):
        return _FLASH_ROOT
    return firmware_dir


def _use_root(root, previous):
    if previous is not None:
        sys.path.remove(previous)
    sys.path.insert(_PATH_SLOT, root)
    return root


def _say(s):
    sys.stdout.write(s)


def _boot(world, firmware_dir, root, run_main):
    """One boot: a clean heap, the flash mounted, main.py run (unless the
    REPL is in raw mode). Returns the firmware's place on sys.path."""
    import repl

    if world.flash is not None:
        world.flash.mount()  # the board's filesystem, as at every boot
    root = _use_root(_firmware_root(world, firmware_dir), root)
    if run_main and repl.mode == repl.FRIENDLY:  # after a raw-mode soft reboot MicroPython skips main.py
        try:
            world.mark_firmware_boot()  # heap report: the firmware's share starts here
            ctrl_c.discard()  # a Ctrl-C sent to the REPL is not one for this boot
            __import__("main")
        except (KeyboardInterrupt, Exception) as e:  # noqa: BLE001 - as the board's REPL would
            sys.print_exception(e)
    return root


def run(world, firmware_dir):
    import repl

    keep = set(sys.modules)
    root = None
    reset_cause = None
    run_main = True
    while True:
        try:
            if reset_cause is not None:
                cause, reset_cause = reset_cause, None
                repl.mode = repl.FRIENDLY  # a hard reset starts the friendly REPL
                world.mcu_reset(cause)
            _purge(keep)
            root = _boot(world, firmware_dir, root, run_main)
            run_main = True
            action = repl.run(world)
        except machine.SimReset as r:
            reset_cause = r.cause
            r = None
            continue
        except KeyboardInterrupt:
            # Ctrl-C while booting (outside main.py): a board stops at its
            # REPL; boot again without main.py.
            run_main = False
            continue
        except SimStop:
            raise
        if action == repl.SOFT_RESET:
            _say("MPY: soft reboot\r\n")
            world.reset_cause = machine.SOFT_RESET
            world.boot_count += 1
