# Makes the heap usable again after a Ctrl-C stopped the control loop.
#
# A KeyboardInterrupt landing just after heap_lock() or at the jump out of the
# tick's try (where this VM skips the finally) leaves a lock level held; the
# REPL after the firmware could then allocate nothing (measured on the Unix
# port: about 1 Ctrl-C in 50 during the loop; hil_tests/test_ctrl_c.py).
import gc

import micropython


def unlock_all():
    """Release every heap_lock level, then finish a garbage collection the
    interrupt may have cut short (its own lock is cleared at its end).
    heap_unlock() returns the depth left; at depth 0 it must not be called:
    the depth would wrap and lock the heap for good."""
    micropython.heap_lock()
    while micropython.heap_unlock():
        pass
    gc.collect()
