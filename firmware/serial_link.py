# Non-blocking line reader and writer on the board's serial console
# (USB CDC on a Pico or ESP32, a pseudo-terminal on the simulated board).
#
# Reads at most a bounded number of bytes per call so the control tick is
# never delayed by input; lines longer than the buffer or containing bytes a
# person cannot type are flagged, never truncated into something else.
# While the firmware runs, Ctrl-C (0x03) is data (app.main sets
# micropython.kbd_intr(-1)): polling stops at it with INTERRUPT and the loop
# stops between ticks, never by an exception inside the heap-locked tick.
import select
import sys

from micropython import const

LINE_MAX = const(200)
NONE = const(0)
LINE = const(1)  # a complete line is in .line[:n]
TOO_LONG = const(2)  # a line ended that overflowed the buffer
BAD_BYTES = const(3)  # a line ended that contained bytes outside printable ASCII
INTERRUPT = const(4)  # Ctrl-C: the line being typed is dropped; bytes after it stay unread

_CR = const(13)
_LF = const(10)
_CTRL_C = const(3)  # the board's interrupt character, read as data
_BS = const(8)
_DEL = const(127)
_SPACE = const(32)
# Commands whose argument is a code: echoed as '*' after the first space.
_SECRET_WORDS = (b"unlock", b"passcode")


class SerialLink:
    def __init__(self):
        self._poll = select.poll()
        self._poll.register(sys.stdin, select.POLLIN)
        self._rx = sys.stdin.buffer
        self.tx = sys.stdout.buffer
        self._byte = bytearray(1)
        self.line = bytearray(LINE_MAX)
        self.n = 0
        self._long = False
        self._bad = False
        self._after_cr = False
        self.echo = True
        self._mask = False  # echoing '*': the rest of the line is a code
        self.rx_bytes = 0
        self.rx_lines = 0
        self.rejected = 0

    def poll_line(self, max_bytes):
        """Consume up to max_bytes of input; return LINE/TOO_LONG/BAD_BYTES
        as soon as a line ends, INTERRUPT at a Ctrl-C, or NONE."""
        b1 = self._byte
        count = 0
        while count < max_bytes:
            ready = False
            for _ in self._poll.ipoll(0):
                ready = True
            if not ready or self._rx.readinto(b1) != 1:
                return NONE
            count += 1
            self.rx_bytes += 1
            c = b1[0]
            if c == _LF or c == _CR:
                if c == _LF and self._after_cr:
                    self._after_cr = False  # second half of a CRLF
                    continue
                self._after_cr = c == _CR
                if self.echo:
                    self.tx.write(b"\r\n")
                if self.n == 0 and not self._long and not self._bad:
                    continue  # empty line: nothing to answer
                return self._end_line()
            self._after_cr = False
            if c == _CTRL_C:
                # What follows (mpremote's Ctrl-A, a second Ctrl-C) is left
                # for the REPL that runs after the firmware.
                self.n = 0
                self._long = False
                self._bad = False
                return INTERRUPT
            if (c == _BS or c == _DEL) and self.echo:
                if self.n > 0:
                    self.n -= 1
                    self.tx.write(b"\x08 \x08")
                continue
            if c < 32 or c > 126:
                self._bad = True
                continue
            if self.n >= LINE_MAX:
                self._long = True
                continue
            if c == _SPACE and not self._mask and self._secret_word():
                self._mask = True
            self.line[self.n] = c
            self.n += 1
            if self.echo:
                self.tx.write(b"*" if self._mask and c != _SPACE else b1)
        return NONE

    def _secret_word(self):
        # Compared in place: no slice of the line buffer is allocated.
        for w in _SECRET_WORDS:
            if self.n == len(w):
                i = 0
                while i < self.n and self.line[i] == w[i]:
                    i += 1
                if i == self.n:
                    return True
        return False

    def _end_line(self):
        self.rx_lines += 1
        self._mask = False
        if self._long:
            r = TOO_LONG
        elif self._bad:
            r = BAD_BYTES
        else:
            r = LINE
        if r != LINE:
            self.rejected += 1
            self.n = 0
        self._long = False
        self._bad = False
        return r

    def take(self):
        """The completed line as bytes (allocates: command path only)."""
        s = bytes(self.line[: self.n])
        self.n = 0
        return s

    def set_echo(self, on):
        """Echo typed characters back (human mode) or not."""
        self.echo = on

    def write(self, data):
        self.tx.write(data)
