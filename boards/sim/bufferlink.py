# The firmware's serial link over two byte buffers instead of the console
# port: for runs without a terminal (the 32-bit interpreter's closed-loop
# sessions, tools/bench/cpu_cost.py). The firmware's own SerialLink code
# (line assembly, echo, Ctrl-C, limits) runs unchanged; only the three
# objects it talks to are replaced: the poller, the reader and the writer.
# Input is queued with feed(); output accumulates in .out (bytearray).
#
# Allocation: the reader and writer run in the background pass, never in the
# heap-locked tick; ready() and readinto() allocate nothing.
import serial_link

_SerialLink = serial_link.SerialLink  # the firmware's class, before install()


class _Input:
    def __init__(self):
        self.data = bytearray()
        self.pos = 0

    def readinto(self, b):
        if self.pos >= len(self.data):
            return 0
        b[0] = self.data[self.pos]
        self.pos += 1
        if self.pos == len(self.data):
            self.data = bytearray()
            self.pos = 0
        return 1


class _Poller:
    """select.poll's ipoll() as the firmware uses it: iterating yields one
    event when input is waiting, none otherwise."""

    def __init__(self, inp):
        self._in = inp
        self._pending = False

    def ipoll(self, timeout=-1, flags=0):
        self._pending = self._in.pos < len(self._in.data)
        return self

    def __iter__(self):
        return self

    def __next__(self):
        if self._pending:
            self._pending = False
            return None
        raise StopIteration


class _Output:
    def __init__(self):
        self.out = bytearray()

    def write(self, data, n=-1):
        # write(buf, max_len), as MicroPython streams take it (TextBuf uses it)
        if n < 0 or n >= len(data):
            self.out.extend(data)
            return len(data)
        self.out.extend(memoryview(data)[:n])
        return n


class BufferLink(_SerialLink):
    def __init__(self):
        _SerialLink.__init__(self)
        self._in = _Input()
        self._poll = _Poller(self._in)
        self._rx = self._in
        self._out = _Output()
        self.tx = self._out

    def feed(self, data):
        """Bytes arriving from the host."""
        self._in.data.extend(data)

    @property
    def out(self):
        return self._out.out

    def take_output(self):
        """Everything the device sent since the last call, as text."""
        s = bytes(self._out.out).decode()
        self._out.out = bytearray()
        return s


def install():
    """Make the firmware's `from serial_link import SerialLink` pick this
    class (call before the firmware imports app)."""
    serial_link.SerialLink = BufferLink
