# Exact integer helpers for sensor maths on a 31-bit-small-int MicroPython.
#
# On the device a small int holds -2**30 .. 2**30-1; anything larger becomes a
# heap-allocated big int, which raises MemoryError in the heap-locked control
# tick. Datasheet formulas written for 32-bit (or 64-bit) C overflow that
# range, so their products go through mulshr(), which splits one factor and
# never forms a value wider than the result plus 30 bits.


def mulshr(a, b, s, k=14):
    """floor(a * b / 2**s), exactly, for s >= 0.

    a is split at k' = min(s, k) bits: a*b = (a >> k')*b*2**k' + (a & mask)*b.
    Preconditions (callers document why they hold): |b| * 2**k' < 2**30 and
    |a >> k'| * |b| < 2**30, and the result fits a small int. The default
    k = 14 suits any |b| < 2**16."""
    if s < k:
        k = s
    return ((a >> k) * b + (((a & ((1 << k) - 1)) * b) >> k)) >> (s - k)
