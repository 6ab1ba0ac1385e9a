# heapguard.unlock_all: any lock depth back to 0, and never below it.
import micropython

import heapguard


def _can_allocate():
    try:
        bytearray(16)
        return True
    except MemoryError:
        return False


def test_releases_every_lock_level():
    micropython.heap_lock()
    micropython.heap_lock()
    micropython.heap_lock()
    assert not _can_allocate()
    heapguard.unlock_all()
    assert _can_allocate()


def test_unlocked_heap_stays_unlocked():
    # heap_unlock() at depth 0 would wrap the depth and lock the heap.
    heapguard.unlock_all()
    heapguard.unlock_all()
    assert _can_allocate()
    micropython.heap_lock()
    assert micropython.heap_unlock() == 0
