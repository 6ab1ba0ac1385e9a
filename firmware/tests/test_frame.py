# Tests for firmware/frame.py; run under MicroPython with tools/testing/mpy_unittest.py.
import sys

# Find firmware/ from this file too, whatever the runner's working directory.
sys.path.append((__file__.rsplit("/", 1)[0] if "/" in __file__ else ".") + "/..")

import gc  # noqa: E402
import time  # noqa: E402

import micropython  # noqa: E402

import frame  # noqa: E402
from expect import raised  # noqa: E402
from frame import (  # noqa: E402
    EVENT,
    REQUEST,
    RESPONSE,
    TAIL,
    TEXT_AT,
    FrameError,
    crc16,
    decode_request,
    encode,
    encode_into,
)


def _crc_bitwise(data):
    crc = 0xFFFF
    for b in data:
        crc ^= b << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
            crc &= 0xFFFF
    return crc


def _reason(line):
    e = raised(FrameError, decode_request, line)
    assert isinstance(e, ValueError)
    return str(e)


def _request(seq, text):
    return encode(REQUEST, seq, text)[:-1]


def test_crc_check_value():
    assert crc16(b"123456789", 0, 9) == 0x29B1
    assert crc16(b"", 0, 0) == 0xFFFF


def test_crc_range_and_buffer_types():
    data = b"xx123456789yy"
    assert crc16(data, 2, 11) == 0x29B1
    assert crc16(bytearray(data), 2, 11) == 0x29B1
    assert crc16(memoryview(data), 2, 11) == 0x29B1
    assert crc16(memoryview(data)[2:], 0, 9) == 0x29B1
    # Chaining over two ranges equals one pass.
    assert crc16(data, 6, 11, crc16(data, 2, 6)) == 0x29B1


def test_crc_matches_bitwise_reference():
    seed = 12345
    for n in range(0, 80, 7):
        buf = bytearray(n)
        for i in range(n):
            seed = (seed * 1103515245 + 12345) & 0x7FFFFFFF
            buf[i] = seed >> 16 & 0xFF
        assert crc16(buf, 0, n) == _crc_bitwise(buf), n


def test_encode_reply():
    assert encode(RESPONSE, 17, "ok") == b"<17 ok*" + (b"%04X" % crc16(b"<17 ok", 0, 6)) + b"\n"
    line = encode(REQUEST, 17, "set kp 1200")
    assert line == b">17 set kp 1200*A24E\n"
    assert encode(EVENT, 0, b"boot")[:8] == b"!0 boot*"
    assert encode(EVENT, 65535, "x")[:9] == b"!65535 x*"


def test_encode_replaces_illegal_bytes():
    line = encode(RESPONSE, 3, b"err bad 'a*b\r\n\x00\xff'")
    assert line.startswith(b"<3 err bad 'a?b????'*")
    assert line.count(b"\n") == 1 and line.count(b"*") == 1


def test_encode_rejects_bad_seq():
    for seq in (-1, 65536):
        assert str(raised(FrameError, encode, EVENT, seq, "x")) == "bad sequence number", seq


def test_encode_into_layout():
    buf = bytearray(TEXT_AT + 32 + TAIL)
    text = b"t 1200 p 30000"
    buf[TEXT_AT:TEXT_AT + len(text)] = text
    for seq in (0, 7, 42, 999, 1234, 65535):
        start = encode_into(buf, EVENT, seq, len(text))
        line = bytes(buf[start:TEXT_AT + len(text) + TAIL])
        assert line == encode(EVENT, seq, text), (seq, line)
        assert line.startswith(b"!%d " % seq)


def test_encode_into_empty_text_and_exact_fit():
    buf = bytearray(TEXT_AT + 3 + TAIL)
    buf[TEXT_AT:TEXT_AT + 3] = b"abc"
    s = encode_into(buf, RESPONSE, 5, 3)
    assert bytes(buf[s:]) == encode(RESPONSE, 5, "abc")
    s = encode_into(buf, EVENT, 5, 0)
    assert bytes(buf[s:TEXT_AT + TAIL]) == encode(EVENT, 5, "")
    assert str(raised(FrameError, encode_into, buf, EVENT, 5, 4)) == "frame does not fit"


def test_encode_into_does_not_allocate():
    buf = bytearray(TEXT_AT + 64 + TAIL)
    for i in range(64):
        buf[TEXT_AT + i] = 97 + i % 26
    encode_into(buf, EVENT, 1, 64)  # warm up
    micropython.heap_lock()
    try:
        for seq in (0, 9, 10, 65535):
            encode_into(buf, EVENT, seq, 64)
        c = crc16(buf, 0, len(buf))
    finally:
        micropython.heap_unlock()
    assert 0 <= c <= 0xFFFF


def test_decode_ok():
    assert decode_request(b">17 set kp 1200*A24E") == (17, 4, 15)
    assert decode_request(bytearray(b">17 set kp 1200*A24E\r")) == (17, 4, 15)
    assert decode_request(memoryview(b">17 set kp 1200*A24E")) == (17, 4, 15)
    for seq in (0, 1, 9, 10, 65535):
        for text in ("", "x", "status", " lead and trail ", "~!@#$%^&()_+{}|:<>?"):
            line = _request(seq, text)
            s, a, b = decode_request(line)
            assert s == seq and line[a:b] == text.encode(), (seq, text)


def _alloc_of(fn, arg, n=20):
    fn(arg)
    gc.collect()
    gc.disable()
    try:
        before = gc.mem_alloc()
        for _ in range(n):
            fn(arg)
        return gc.mem_alloc() - before
    finally:
        gc.enable()


def _three_tuple(i):
    return i, i, i


def test_decode_allocates_only_the_result():
    line = _request(4321, "set target 30kPa ramp 20s")
    used = _alloc_of(decode_request, line)
    assert used == _alloc_of(_three_tuple, 7), used  # the result tuple, nothing else


def test_decode_errors():
    good = _request(17, "status")
    assert _reason(b"") == "not a request frame"
    assert _reason(b"\r") == "not a request frame"
    assert _reason(b"<17 ok*0000") == "not a request frame"
    assert _reason(b"!3 boot*0000") == "not a request frame"
    assert _reason(b"status") == "not a request frame"
    assert _reason(b">17 status") == "missing '*'"
    assert _reason(b">17 status*12") == "bad checksum"
    assert _reason(b">17 status*12345") == "bad checksum"
    assert _reason(b">17 set kp 1200*a24e") == "bad checksum"  # hex must be uppercase
    assert _reason(b">17 status*ZZZZ") == "bad checksum"
    assert _reason(good[:-1] + (b"0" if good[-1:] != b"0" else b"1")) == "bad checksum"
    assert _reason(good.replace(b"status", b"statu5")) == "bad checksum"
    for seq_text in (b"", b"017", b"123456", b"65536", b"99999", b"1a", b"-1", b"+1", b" 1"):
        body = b">" + seq_text + b" status"
        line = body + b"*%04X" % crc16(body, 0, len(body))
        assert _reason(line) == "bad sequence number", line
    body = b">17status"  # no space after SEQ
    assert _reason(body + b"*%04X" % crc16(body, 0, len(body))) == "bad sequence number"
    for bad in (b"a*b", b"tab\there", b"del\x7f", b"hi\xff", b"cr\rx"):
        body = b">1 " + bad
        line = body + b"*%04X" % crc16(body, 0, len(body))
        assert _reason(line) == "illegal character", line


def test_every_single_byte_corruption_is_caught():
    line = bytearray(_request(1234, "set target 30kPa"))
    for i in range(len(line)):
        orig = line[i]
        for flip in (1, 2, 4, 8, 16, 32, 64, 128):
            line[i] = orig ^ flip
            try:
                decode_request(line)
            except FrameError:
                pass
            else:
                raise AssertionError((i, flip))
        line[i] = orig
    assert decode_request(line)[0] == 1234


def test_constants():
    assert (REQUEST, RESPONSE, EVENT) == (ord(">"), ord("<"), ord("!"))
    assert TEXT_AT == len("!65535 ") and TAIL == len("*CCCC\n")
    assert frame.MAX_SEQ == 65535


def test_crc_speed_report():
    line = bytes(range(48, 112))
    assert len(line) == 64
    n = 500
    t0 = time.ticks_us()
    for _ in range(n):
        crc16(line, 0, 64)
    us = time.ticks_diff(time.ticks_us(), t0) / n
    print("    crc16: %.2f us per 64-byte line (this interpreter)" % us)
