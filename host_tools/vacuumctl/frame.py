"""Machine-mode line framing, host side.

Host-side twin of ``firmware/frame.py``; both follow the same rules and use
the same error messages. A framed line is ASCII, ends in ``\\n`` (a ``\\r``
before it is ignored) and reads::

    P SEQ ' ' TEXT '*' CCCC

``P``
    ``>`` host->device request, ``<`` device->host response (TEXT starts
    with ``ok`` or ``err``), ``!`` device->host unsolicited line (telemetry,
    alarms, events, boot), numbered by the device's own counter so that the
    host can spot a lost line.
``SEQ``
    Decimal 0..65535 without leading zeros (``0`` itself is fine).
``TEXT``
    Bytes 0x20..0x7E except ``*``; may be empty at this level.
``CCCC``
    CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no xorout)
    of every byte before the ``*``, prefix included, as exactly four
    uppercase hex digits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

__all__ = [
    "EVENT",
    "MAX_SEQ",
    "REQUEST",
    "RESPONSE",
    "Frame",
    "FrameError",
    "crc16",
    "decode_line",
    "encode_frame",
    "encode_request",
    "is_framed",
    "next_seq",
]

REQUEST: Final = ">"
RESPONSE: Final = "<"
EVENT: Final = "!"
MAX_SEQ: Final = 65535

Kind = Literal["<", "!", ">"]


class FrameError(ValueError):
    """A line that is not a well-formed frame (message says why)."""


def _make_table() -> tuple[int, ...]:
    table = []
    for i in range(256):
        c = i << 8
        for _ in range(8):
            c = ((c << 1) ^ 0x1021) if c & 0x8000 else (c << 1)
            c &= 0xFFFF
        table.append(c)
    return tuple(table)


_TABLE: Final = _make_table()


def crc16(data: bytes, crc: int = 0xFFFF) -> int:
    """CRC-16/CCITT-FALSE of ``data``; ``crc16(b"123456789") == 0x29B1``."""
    for b in data:
        crc = ((crc << 8) & 0xFF00) ^ _TABLE[(crc >> 8) ^ b]
    return crc


@dataclass(frozen=True)
class Frame:
    """One decoded line: ``kind`` is ``'<'``, ``'!'`` or ``'>'``."""

    kind: Kind
    seq: int
    text: str

    @property
    def ok(self) -> bool:
        """True for a response whose status word is ``ok``."""
        return self.kind == RESPONSE and (self.text == "ok" or self.text.startswith("ok "))

    def encode(self) -> bytes:
        """The framed line, ``\\n`` included."""
        return encode_frame(self.kind, self.seq, self.text)


def next_seq(seq: int) -> int:
    """The sequence number after ``seq`` (wraps 65535 -> 0)."""
    return (seq + 1) & 0xFFFF


def _check_text(text: str) -> bytes:
    for c in text:
        o = ord(c)
        if o < 0x20 or o > 0x7E or c == "*":
            raise FrameError("illegal character")
    return text.encode("ascii")


def encode_frame(kind: str, seq: int, text: str) -> bytes:
    """Frame ``text`` as ``kind`` (``'>'``, ``'<'`` or ``'!'``), ``\\n`` included.

    Raises :class:`FrameError` for a bad kind, a sequence number outside
    0..65535 or a character TEXT may not hold (unlike the firmware's
    ``encode``, which replaces such characters by ``?``).
    """
    if kind not in (REQUEST, RESPONSE, EVENT):
        raise FrameError("not a frame")
    if isinstance(seq, bool) or not isinstance(seq, int) or not 0 <= seq <= MAX_SEQ:
        raise FrameError("bad sequence number")
    body = kind.encode("ascii") + b"%d " % seq + _check_text(text)
    return body + b"*%04X\n" % crc16(body)


def encode_request(seq: int, text: str) -> bytes:
    """``encode_request(17, 'set kp 1200') == b'>17 set kp 1200*A24E\\n'``."""
    return encode_frame(REQUEST, seq, text)


def is_framed(line: bytes) -> bool:
    """Cheap test: does this line look like a frame (prefix then a digit)?

    Use it to tell machine-mode lines from human-mode output; it does not
    validate the frame, :func:`decode_line` does.
    """
    return len(line) >= 2 and line[0] in b"<!>" and 0x30 <= line[1] <= 0x39


def decode_line(line: bytes) -> Frame:
    """Validate and split one framed line of any kind.

    A trailing ``\\n``, ``\\r\\n`` or ``\\r`` is ignored. Checks run in the
    firmware's order (prefix, ``*``, checksum, sequence number, text) so the
    same line gets the same message on both sides; the only difference is
    the first: ``not a frame`` here, ``not a request frame`` there (which
    accepts only ``>``).
    """
    data = bytes(line)
    if data.endswith(b"\n"):
        data = data[:-1]
    if data.endswith(b"\r"):
        data = data[:-1]
    n = len(data)
    if n == 0 or data[0] not in b"<!>":
        raise FrameError("not a frame")
    star = n - 5
    if star < 1 or data[star] != 0x2A:
        if b"*" in data:
            raise FrameError("bad checksum")
        raise FrameError("missing '*'")
    field = data[star + 1:]
    if any(b not in b"0123456789ABCDEF" for b in field):
        raise FrameError("bad checksum")
    if crc16(data[:star]) != int(field, 16):
        raise FrameError("bad checksum")
    sp = data.find(b" ", 1, star)
    digits = data[1:sp] if sp >= 0 else data[1:star]
    if (
        sp < 0
        or not 1 <= len(digits) <= 5
        or any(b not in b"0123456789" for b in digits)
        or (len(digits) > 1 and digits[0] == 0x30)
        or int(digits) > MAX_SEQ
    ):
        raise FrameError("bad sequence number")
    text = data[sp + 1:star]
    if any(b < 0x20 or b > 0x7E or b == 0x2A for b in text):
        raise FrameError("illegal character")
    return Frame(kind=chr(data[0]), seq=int(digits), text=text.decode("ascii"))  # type: ignore[arg-type]
