# Whether a call allocates, in MicroPython: under micropython.heap_lock()
# any heap allocation raises MemoryError. Shared by the MicroPython tests
# run through mpy_unittest.py (its folder is on their path) and the 32-bit
# check (wasm32/check32.py).
import micropython


def locked(fn):
    """'ok' if fn() ran under heap_lock, 'MemoryError' if it allocated."""
    micropython.heap_lock()
    try:
        fn()
        r = "ok"
    except MemoryError:
        r = "MemoryError"
    finally:
        micropython.heap_unlock()
    return r
