"""Tests for vacuumctl.frame, including a cross-check against firmware/frame.py
running in the MicroPython Unix port."""

from __future__ import annotations

import binascii
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vacuumctl.frame import (
    Frame,
    FrameError,
    crc16,
    decode_line,
    encode_frame,
    encode_request,
    is_framed,
    next_seq,
)

_text_chars = st.characters(min_codepoint=0x20, max_codepoint=0x7E, exclude_characters="*")
frame_text = st.text(_text_chars, max_size=120)
seqs = st.integers(0, 65535)
kinds = st.sampled_from([">", "<", "!"])


def _ref_crc(data: bytes) -> int:
    # binascii.crc_hqx is CRC-CCITT (poly 0x1021, MSB first, no xorout).
    return binascii.crc_hqx(data, 0xFFFF)


def _with_crc(body: bytes) -> bytes:
    return body + b"*%04X" % crc16(body)


# ---- CRC -----------------------------------------------------------------


def test_crc_check_value() -> None:
    assert crc16(b"123456789") == 0x29B1
    assert crc16(b"") == 0xFFFF
    assert crc16(b"56789", crc16(b"1234")) == 0x29B1


@given(st.binary(max_size=200))
def test_crc_matches_reference(data: bytes) -> None:
    assert crc16(data) == _ref_crc(data)


# ---- encode / decode -----------------------------------------------------


def test_encode_request_example() -> None:
    line = encode_request(17, "set kp 1200")
    assert line == b">17 set kp 1200*A24E\n"
    assert decode_line(line) == Frame(">", 17, "set kp 1200")


def test_decode_kinds_and_line_endings() -> None:
    for kind in "<!>":
        line = encode_frame(kind, 5, "ok x")
        for ending in (b"\n", b"\r\n", b"", b"\r"):
            f = decode_line(line[:-1] + ending)
            assert (f.kind, f.seq, f.text) == (kind, 5, "ok x")
    assert decode_line(bytearray(encode_frame("!", 0, ""))) == Frame("!", 0, "")


def test_frame_ok_property_and_encode() -> None:
    assert Frame("<", 1, "ok").ok
    assert Frame("<", 1, "ok 3 4").ok
    assert not Frame("<", 1, "err busy").ok
    assert not Frame("<", 1, "okay").ok
    assert not Frame("!", 1, "ok").ok
    f = Frame("!", 65535, "t 1 p 2")
    assert decode_line(f.encode()) == f


def test_next_seq_wraps() -> None:
    assert next_seq(0) == 1 and next_seq(65535) == 0


def test_encode_rejects() -> None:
    for bad_text in ("a*b", "tab\there", "nl\n", "\x7f", "\u00b5"):
        with pytest.raises(FrameError, match="^illegal character$"):
            encode_request(1, bad_text)
    for bad_seq in (-1, 65536, True):
        with pytest.raises(FrameError, match="^bad sequence number$"):
            encode_request(bad_seq, "x")
    with pytest.raises(FrameError, match="^not a frame$"):
        encode_frame("?", 1, "x")


@pytest.mark.parametrize(
    "line, reason",
    [
        (b"", "not a frame"),
        (b"\r\n", "not a frame"),
        (b"status", "not a frame"),
        (b"#1 x*0000", "not a frame"),
        (b">17 status", "missing '*'"),
        (b">17 status*12", "bad checksum"),
        (b">17 status*12345", "bad checksum"),
        (b">17 set kp 1200*a24e", "bad checksum"),
        (b">17 set kp 1200*A24F", "bad checksum"),
        (b">17 set kp 1201*A24E", "bad checksum"),
        (b">17 status*ZZZZ", "bad checksum"),
        (_with_crc(b"> status"), "bad sequence number"),
        (_with_crc(b">017 status"), "bad sequence number"),
        (_with_crc(b">123456 status"), "bad sequence number"),
        (_with_crc(b">65536 status"), "bad sequence number"),
        (_with_crc(b">1a status"), "bad sequence number"),
        (_with_crc(b">-1 status"), "bad sequence number"),
        (_with_crc(b">17status"), "bad sequence number"),
        (_with_crc(b">1 a*b"), "illegal character"),
        (_with_crc(b">1 tab\there"), "illegal character"),
        (_with_crc(b">1 hi\xff"), "illegal character"),
        (_with_crc(b"<1 cr\rx"), "illegal character"),
    ],
)
def test_decode_errors(line: bytes, reason: str) -> None:
    with pytest.raises(FrameError) as ei:
        decode_line(line)
    assert str(ei.value) == reason
    assert isinstance(ei.value, ValueError)


def test_is_framed() -> None:
    assert is_framed(b"!12 t 1*ABCD\n")
    assert is_framed(b"<0 ok*ABCD")
    assert is_framed(b">5 x")
    assert not is_framed(b"> prompt")
    assert not is_framed(b"ok")
    assert not is_framed(b"")
    assert not is_framed(b"!")


@given(kinds, seqs, frame_text)
def test_round_trip(kind: str, seq: int, text: str) -> None:
    line = encode_frame(kind, seq, text)
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    assert is_framed(line)
    assert decode_line(line) == Frame(kind, seq, text)  # type: ignore[arg-type]


@given(seqs, frame_text.filter(bool), st.data())
def test_single_bit_errors_are_detected(seq: int, text: str, data: st.DataObject) -> None:
    line = bytearray(encode_request(seq, text)[:-1])
    i = data.draw(st.integers(0, len(line) - 1))
    bit = data.draw(st.integers(0, 7))
    line[i] ^= 1 << bit
    with pytest.raises(FrameError):
        decode_line(bytes(line))


# ---- cross-check with the firmware -----------------------------------------

_MPY_DRIVER = """
import binascii
import frame
ERROR = frame.FrameError

def answer(req):
    op = req[0]
    if op == 'crc':
        d = binascii.unhexlify(req[1])
        return frame.crc16(d, 0, len(d))
    if op == 'enc':
        return binascii.hexlify(frame.encode(ord(req[1]), req[2], req[3])).decode()
    if op == 'encinto':
        t = req[3].encode()
        buf = bytearray(frame.TEXT_AT + len(t) + frame.TAIL)
        buf[frame.TEXT_AT:frame.TEXT_AT + len(t)] = t
        s = frame.encode_into(buf, ord(req[1]), req[2], len(t))
        return binascii.hexlify(buf[s:]).decode()
    d = binascii.unhexlify(req[1])
    seq, a, b = frame.decode_request(d)
    return [seq, d[a:b].decode()]
"""




def _random_text(rng: random.Random) -> str:
    alphabet = "".join(chr(c) for c in range(0x20, 0x7F) if c != 0x2A)
    return "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 90)))


def test_crc_cross_check_with_firmware(micropython_json) -> None:
    rng = random.Random(7)
    blobs = [b"123456789", b""] + [
        bytes(rng.randrange(256) for _ in range(rng.randrange(0, 130))) for _ in range(300)
    ]
    fw = micropython_json(_MPY_DRIVER, [["crc", b.hex()] for b in blobs])
    assert fw == [["ok", crc16(b)] for b in blobs]
    assert fw[0] == ["ok", 0x29B1]


def test_firmware_encode_host_decode(micropython_json) -> None:
    rng = random.Random(11)
    cases = [(rng.choice("<!>"), rng.choice([0, 9, 10, 65535, rng.randrange(65536)]),
              _random_text(rng)) for _ in range(300)]
    reqs = [["enc", k, s, t] for k, s, t in cases] + [["encinto", k, s, t] for k, s, t in cases]
    fw = micropython_json(_MPY_DRIVER, reqs)
    for (kind, seq, text), enc, into in zip(cases, fw[: len(cases)], fw[len(cases):]):
        line = bytes.fromhex(enc[1])
        assert line == encode_frame(kind, seq, text)
        assert bytes.fromhex(into[1]) == line
        assert decode_line(line) == Frame(kind, seq, text)  # type: ignore[arg-type]


def test_firmware_replaces_what_host_refuses(micropython_json) -> None:
    (r,) = micropython_json(_MPY_DRIVER, [["enc", "<", 3, "err 'a*b\t'"]])
    line = bytes.fromhex(r[1])
    assert decode_line(line) == Frame("<", 3, "err 'a?b?'")


def test_host_encode_firmware_decode_agree(micropython_json) -> None:
    """Good requests decode to the same values; damaged ones get the same reason."""
    rng = random.Random(13)
    lines: list[bytes] = [b">17 set kp 1200*A24E", b">17 set kp 1200*A24E\r", b""]
    for _ in range(200):
        lines.append(encode_request(rng.randrange(65536), _random_text(rng))[:-1])
    for _ in range(400):  # damage: flip, insert, delete, truncate, retag
        line = bytearray(rng.choice(lines[3:]))
        op = rng.randrange(5)
        i = rng.randrange(len(line))
        if op == 0:
            line[i] ^= 1 << rng.randrange(8)
        elif op == 1:
            line.insert(i, rng.choice(b"*0 \r\t\xff9A"))
        elif op == 2:
            del line[i]
        elif op == 3:
            line = line[:i]
        else:
            line[0] = rng.choice(b"<!#")
        lines.append(bytes(line))
    # Well-formed bodies with bad SEQ or TEXT but a valid CRC.
    for body in (b"> x", b">01 x", b">123456 x", b">65536 x", b">1x x", b">1 a*b", b">1 \x01"):
        lines.append(_with_crc(body))
    fw = micropython_json(_MPY_DRIVER, [["dec", line.hex()] for line in lines])
    for line, r in zip(lines, fw):
        if not line.startswith(b">"):  # both check the prefix first
            host = ["err", "not a request frame"]
        else:
            try:
                f = decode_line(line)
                host = ["ok", [f.seq, f.text]]
            except FrameError as e:
                host = ["err", str(e)]
        assert r == host, line
    reasons = {r[1] for r in fw if r[0] == "err"}
    assert reasons == {"not a request frame", "missing '*'", "bad checksum",
                       "bad sequence number", "illegal character"}
