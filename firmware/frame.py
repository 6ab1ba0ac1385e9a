# Machine-mode line framing for the serial protocol (MicroPython; also imports in CPython).
#
# Every machine-mode line is ASCII, ends in b"\n" (a b"\r" before it is
# ignored) and looks like
#
#     P SEQ ' ' TEXT '*' CCCC
#
#   P     b">" host->device request, b"<" device->host response (TEXT starts
#         with "ok" or "err"), b"!" device->host unsolicited line (telemetry,
#         alarm, event, boot); SEQ of "!" lines is the device's own counter.
#   SEQ   decimal 0..65535, no leading zeros ("0" itself is fine).
#   TEXT  bytes 0x20..0x7E except "*"; may be empty at this level.
#   CCCC  CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no
#         xorout) of every byte before the "*", prefix included, as exactly
#         4 uppercase hex digits.
#
# host_tools/vacuumctl/frame.py is the host-side twin (same rules, same error
# messages); host_tools/tests/test_frame.py cross-checks the two.
#
# CRC speed (MicroPython 1.29 Unix port, x86-64, 64-byte line): bit-by-bit
# ~30 us, table-free byte-wise ~5.5 us, two 256-byte tables (kept) ~4.9 us,
# @micropython.viper ~0.23 us (not used: needs a native emitter and
# mpy-cross -march; a drop-in if the build ever wants it).
try:
    from micropython import const
except ImportError:  # CPython (simulator, tests)
    def const(x):
        return x

REQUEST = const(0x3E)  # '>'
RESPONSE = const(0x3C)  # '<'
EVENT = const(0x21)  # '!'  unsolicited
TEXT_AT = const(7)  # encode_into: TEXT goes at out[TEXT_AT:]; room for "!65535 "
TAIL = const(6)  # encode_into: "*CCCC\n" after TEXT
MAX_SEQ = const(65535)


class FrameError(ValueError):
    pass


_HEX = b"0123456789ABCDEF"
# CRC-16/CCITT-FALSE lookup table split into high and low bytes:
# T[i] = _CRC_HI[i] << 8 | _CRC_LO[i].
_CRC_HI = (
    b"\x00\x10\x20\x30\x40\x50\x60\x70\x81\x91\xa1\xb1\xc1\xd1\xe1\xf1"
    b"\x12\x02\x32\x22\x52\x42\x72\x62\x93\x83\xb3\xa3\xd3\xc3\xf3\xe3"
    b"\x24\x34\x04\x14\x64\x74\x44\x54\xa5\xb5\x85\x95\xe5\xf5\xc5\xd5"
    b"\x36\x26\x16\x06\x76\x66\x56\x46\xb7\xa7\x97\x87\xf7\xe7\xd7\xc7"
    b"\x48\x58\x68\x78\x08\x18\x28\x38\xc9\xd9\xe9\xf9\x89\x99\xa9\xb9"
    b"\x5a\x4a\x7a\x6a\x1a\x0a\x3a\x2a\xdb\xcb\xfb\xeb\x9b\x8b\xbb\xab"
    b"\x6c\x7c\x4c\x5c\x2c\x3c\x0c\x1c\xed\xfd\xcd\xdd\xad\xbd\x8d\x9d"
    b"\x7e\x6e\x5e\x4e\x3e\x2e\x1e\x0e\xff\xef\xdf\xcf\xbf\xaf\x9f\x8f"
    b"\x91\x81\xb1\xa1\xd1\xc1\xf1\xe1\x10\x00\x30\x20\x50\x40\x70\x60"
    b"\x83\x93\xa3\xb3\xc3\xd3\xe3\xf3\x02\x12\x22\x32\x42\x52\x62\x72"
    b"\xb5\xa5\x95\x85\xf5\xe5\xd5\xc5\x34\x24\x14\x04\x74\x64\x54\x44"
    b"\xa7\xb7\x87\x97\xe7\xf7\xc7\xd7\x26\x36\x06\x16\x66\x76\x46\x56"
    b"\xd9\xc9\xf9\xe9\x99\x89\xb9\xa9\x58\x48\x78\x68\x18\x08\x38\x28"
    b"\xcb\xdb\xeb\xfb\x8b\x9b\xab\xbb\x4a\x5a\x6a\x7a\x0a\x1a\x2a\x3a"
    b"\xfd\xed\xdd\xcd\xbd\xad\x9d\x8d\x7c\x6c\x5c\x4c\x3c\x2c\x1c\x0c"
    b"\xef\xff\xcf\xdf\xaf\xbf\x8f\x9f\x6e\x7e\x4e\x5e\x2e\x3e\x0e\x1e"
)
_CRC_LO = (
    b"\x00\x21\x42\x63\x84\xa5\xc6\xe7\x08\x29\x4a\x6b\x8c\xad\xce\xef"
    b"\x31\x10\x73\x52\xb5\x94\xf7\xd6\x39\x18\x7b\x5a\xbd\x9c\xff\xde"
    b"\x62\x43\x20\x01\xe6\xc7\xa4\x85\x6a\x4b\x28\x09\xee\xcf\xac\x8d"
    b"\x53\x72\x11\x30\xd7\xf6\x95\xb4\x5b\x7a\x19\x38\xdf\xfe\x9d\xbc"
    b"\xc4\xe5\x86\xa7\x40\x61\x02\x23\xcc\xed\x8e\xaf\x48\x69\x0a\x2b"
    b"\xf5\xd4\xb7\x96\x71\x50\x33\x12\xfd\xdc\xbf\x9e\x79\x58\x3b\x1a"
    b"\xa6\x87\xe4\xc5\x22\x03\x60\x41\xae\x8f\xec\xcd\x2a\x0b\x68\x49"
    b"\x97\xb6\xd5\xf4\x13\x32\x51\x70\x9f\xbe\xdd\xfc\x1b\x3a\x59\x78"
    b"\x88\xa9\xca\xeb\x0c\x2d\x4e\x6f\x80\xa1\xc2\xe3\x04\x25\x46\x67"
    b"\xb9\x98\xfb\xda\x3d\x1c\x7f\x5e\xb1\x90\xf3\xd2\x35\x14\x77\x56"
    b"\xea\xcb\xa8\x89\x6e\x4f\x2c\x0d\xe2\xc3\xa0\x81\x66\x47\x24\x05"
    b"\xdb\xfa\x99\xb8\x5f\x7e\x1d\x3c\xd3\xf2\x91\xb0\x57\x76\x15\x34"
    b"\x4c\x6d\x0e\x2f\xc8\xe9\x8a\xab\x44\x65\x06\x27\xc0\xe1\x82\xa3"
    b"\x7d\x5c\x3f\x1e\xf9\xd8\xbb\x9a\x75\x54\x37\x16\xf1\xd0\xb3\x92"
    b"\x2e\x0f\x6c\x4d\xaa\x8b\xe8\xc9\x26\x07\x64\x45\xa2\x83\xe0\xc1"
    b"\x1f\x3e\x5d\x7c\x9b\xba\xd9\xf8\x17\x36\x55\x74\x93\xb2\xd1\xf0"
)


def crc16(buf, start, end, crc=0xFFFF):
    """CRC-16/CCITT-FALSE of buf[start:end] (no slice is made); chainable via crc."""
    hi = _CRC_HI
    lo = _CRC_LO
    for i in range(start, end):
        j = (crc >> 8) ^ buf[i]
        crc = (((crc & 0xFF) ^ hi[j]) << 8) | lo[j]
    return crc


def encode_into(out, prefix_byte, seq, text_len):
    """Frame TEXT already sitting in a preallocated bytearray; no allocation.

    The caller writes TEXT (text_len bytes, 0x20..0x7E, no "*"; not checked)
    at out[TEXT_AT:TEXT_AT + text_len]. This writes "P" + SEQ + " " right-
    aligned in the TEXT_AT bytes of headroom before it and "*CCCC\\n" after
    it, and returns start: the whole line, newline included, is
    out[start:TEXT_AT + text_len + TAIL]. len(out) must be at least
    TEXT_AT + text_len + TAIL. Typical use, with buffers made once:

        buf = bytearray(TEXT_AT + 120 + TAIL); mv = memoryview(buf)
        n = format_telemetry_into(buf, TEXT_AT)   # returns text length
        s = frame.encode_into(buf, frame.EVENT, seq, n)
        uart.write(mv[s:TEXT_AT + n + TAIL])
        seq = (seq + 1) & 0xFFFF

    (The memoryview slice is the only object made, and it is the caller's.)
    """
    if seq < 0 or seq > MAX_SEQ:
        raise FrameError("bad sequence number")
    end = TEXT_AT + text_len
    if text_len < 0 or end + TAIL > len(out):
        raise FrameError("frame does not fit")
    i = TEXT_AT - 1
    out[i] = 32
    while True:
        i -= 1
        out[i] = 48 + seq % 10
        seq //= 10
        if not seq:
            break
    i -= 1
    out[i] = prefix_byte
    crc = crc16(out, i, end)
    h = _HEX
    out[end] = 42
    out[end + 1] = h[crc >> 12]
    out[end + 2] = h[(crc >> 8) & 15]
    out[end + 3] = h[(crc >> 4) & 15]
    out[end + 4] = h[crc & 15]
    out[end + 5] = 10
    return i


def encode(prefix_byte, seq, text):
    """Whole framed line as bytes, b"\\n" included (allocates; for replies).

    text is str or bytes. Bytes that TEXT may not hold (control characters,
    non-ASCII, "*") are replaced by "?" so that a reply echoing user input
    can always be sent.
    """
    if isinstance(text, str):
        text = text.encode()
    n = len(text)
    buf = bytearray(TEXT_AT + n + TAIL)
    for k in range(n):
        b = text[k]
        buf[TEXT_AT + k] = 63 if b < 32 or b > 126 or b == 42 else b
    s = encode_into(buf, prefix_byte, seq, n)
    return bytes(memoryview(buf)[s:])


def decode_request(line):
    """Check a request line (bytes/bytearray/memoryview, without the b"\\n").

    Returns (seq, text_start, text_end): TEXT is line[text_start:text_end],
    left for the caller to slice or parse in place. A trailing b"\\r" is
    ignored. Raises FrameError("not a request frame" | "missing '*'" |
    "bad checksum" | "bad sequence number" | "illegal character"). The
    checksum is checked before the sequence number and the text, so line
    noise reads as "bad checksum". Allocates nothing but the result tuple.
    """
    n = len(line)
    if n and line[n - 1] == 13:
        n -= 1
    if n == 0 or line[0] != REQUEST:
        raise FrameError("not a request frame")
    star = n - 5
    if star < 1 or line[star] != 42:
        for i in range(1, n):
            if line[i] == 42:
                raise FrameError("bad checksum")
        raise FrameError("missing '*'")
    c = 0
    for i in range(star + 1, n):
        b = line[i]
        if 48 <= b <= 57:
            b -= 48
        elif 65 <= b <= 70:
            b -= 55
        else:
            raise FrameError("bad checksum")
        c = (c << 4) | b
    if crc16(line, 0, star) != c:
        raise FrameError("bad checksum")
    seq = 0
    i = 1
    while i < star:
        b = line[i]
        if b == 32:
            break
        if b < 48 or b > 57 or i > 5:
            raise FrameError("bad sequence number")
        seq = seq * 10 + b - 48
        i += 1
    if i == 1 or i == star or seq > MAX_SEQ or (i > 2 and line[1] == 48):
        raise FrameError("bad sequence number")
    i += 1
    for k in range(i, star):
        b = line[k]
        if b < 32 or b > 126 or b == 42:
            raise FrameError("illegal character")
    return seq, i, star
