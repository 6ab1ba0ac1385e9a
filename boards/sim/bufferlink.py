# The firmware's serial link over byte buffers instead of the console port:
# for runs without a terminal (scripted sessions: the CPU budget tests, the
# 32-bit interpreter's closed-loop sessions; tools/bench/cpu_cost.py). The
# firmware's own SerialLink code (line assembly, echo, Ctrl-C, limits) runs
# unchanged; only the three objects it talks to are replaced: the poller, the
# reader and the writer.
#
# Input: feed() now, or schedule() at a device time (released when the
# simulated clock reaches it). Output accumulates in the module's `output`
# (a bytearray), across reboots of the firmware (each boot builds a new link),
# or, when `sink` is set, goes to sink(data) as it is written (a long
# session's output would otherwise fill the board's heap, which the serial
# port's buffer never does).
#
# Allocation: the reader and writer run in the background pass, never in the
# heap-locked tick.
import serial_link
import simworld

_SerialLink = serial_link.SerialLink  # the firmware's class, before install()

output = bytearray()
sink = None
_script = []  # [(t_us, bytes)] not yet released, in time order


def schedule(t_ms, data):
    """Bytes arriving from the host at device time t_ms (after those
    already scheduled for the same time)."""
    # Inserted in place, not appended and sorted: MicroPython's list.sort
    # is a quicksort, quadratic on a sorted list, so sorting after each of a
    # 150 s session's 600 lines cost seconds (11 s of the 32-bit check's
    # npwt_intermittent session in the webassembly port).
    t_us = t_ms * 1000
    i = len(_script)
    while i and _script[i - 1][0] > t_us:
        i -= 1
    _script.insert(i, (t_us, data))


def reset():
    global output, sink
    output = bytearray()
    sink = None
    del _script[:]


class _Input:
    def __init__(self):
        self.data = bytearray()
        self.pos = 0

    def waiting(self):
        if _script:
            now = simworld.current().clock.now_us
            if _script[0][0] <= now and self.pos >= len(self.data):
                # What was read is dropped when a line arrives (a pass with a
                # job), not when its last byte is read: the pass that reads a
                # CRLF's LF must allocate nothing, as on the board.
                self.data = bytearray()
                self.pos = 0
            while _script and _script[0][0] <= now:
                self.data.extend(_script.pop(0)[1])
        return self.pos < len(self.data)

    def readinto(self, b):
        if self.pos >= len(self.data):
            return 0
        b[0] = self.data[self.pos]
        self.pos += 1
        return 1


_READY = (None,)


class _Poller:
    """select.poll's ipoll() as the firmware uses it: iterating yields one
    event when input is waiting, none otherwise. A tuple, allocated once:
    the port's ipoll allocates nothing, and a Python iterator's
    StopIteration would put an exception on the heap at every pass."""

    def __init__(self, inp):
        self._in = inp

    def ipoll(self, timeout=-1, flags=0):
        return _READY if self._in.waiting() else ()


class _Output:
    def write(self, data, n=-1):
        # write(buf, max_len), as MicroPython streams take it (TextBuf uses it)
        if n < 0 or n >= len(data):
            n = len(data)
        part = memoryview(data)[:n]
        if sink is not None:
            sink(bytes(part))
        else:
            output.extend(part)
        return n


class BufferLink(_SerialLink):
    def __init__(self):
        _SerialLink.__init__(self)
        self._in = _Input()
        self._poll = _Poller(self._in)
        self._rx = self._in
        self.tx = _Output()

    def feed(self, data):
        """Bytes arriving from the host now."""
        self._in.data.extend(data)

    @property
    def out(self):
        return output

    def take_output(self):
        """Everything the device sent since the last call, as text."""
        global output
        s = bytes(output).decode()
        output = bytearray()
        return s


def install():
    """Make the firmware's `from serial_link import SerialLink` pick this
    class (call before the firmware imports app)."""
    serial_link.SerialLink = BufferLink
