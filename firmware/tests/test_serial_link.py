# Tests for firmware/serial_link.py: Ctrl-C (0x03) read as data. Run under
# MicroPython with tools/testing/mpy_unittest.py.
import sys

sys.path.append((__file__.rsplit("/", 1)[0] if "/" in __file__ else ".") + "/..")

import io  # noqa: E402

import serial_link as sl  # noqa: E402


class _Ready:
    """Stands in for select.poll: input is ready while the stream has bytes."""

    def __init__(self, stream, size):
        self._stream = stream
        self._size = size

    def ipoll(self, timeout):
        return (1,) if self._stream.tell() < self._size else ()


def _link(data):
    link = sl.SerialLink()
    rx = io.BytesIO(data)
    link._rx = rx
    link._poll = _Ready(rx, len(data))
    link.tx = io.BytesIO()
    return link, rx


def test_ctrl_c_mid_line_interrupts_and_drops_the_line():
    link, rx = _link(b"start contin\x03\x01rest")
    assert link.poll_line(64) == sl.INTERRUPT
    assert link.n == 0
    # Stops at the Ctrl-C: the bytes after it are left for the REPL.
    assert rx.read() == b"\x01rest"


def test_ctrl_c_twice_is_two_interrupts():
    link, rx = _link(b"\x03\x03")
    assert link.poll_line(64) == sl.INTERRUPT
    assert link.poll_line(64) == sl.INTERRUPT
    assert link.poll_line(64) == sl.NONE


def test_a_line_after_an_interrupt_is_clean():
    link, _ = _link(b"\x01\x03get\r")  # a bad byte before the Ctrl-C is forgotten with it
    assert link.poll_line(64) == sl.INTERRUPT
    assert link.poll_line(64) == sl.LINE
    assert link.take() == b"get"


def test_ctrl_c_after_the_byte_budget_waits_for_the_next_call():
    link, _ = _link(b"x" * 10 + b"\x03")
    assert link.poll_line(10) == sl.NONE
    assert link.poll_line(10) == sl.INTERRUPT
