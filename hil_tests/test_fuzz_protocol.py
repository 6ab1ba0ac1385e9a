"""Fuzzing the serial protocol on the simulated board (issue 8, "Inputs").

One board runs for the whole module (fuzzlib.FUZZ_SPEED); hypothesis sends it
random bytes, very long lines, partial lines split over several writes,
NUL and non-UTF-8 bytes, out-of-range numbers, NaN/inf spellings, unit
typos and floods of hundreds of lines in one write, in human and in
machine mode (bad checksums, bad and repeated sequence numbers). After
every case it asserts:

* the device answered each complete line exactly once, with an error for
  every line that was not valid (fuzzlib.model_lines is the line reader's
  model, firmware/frame.py the frame oracle), and never E_INTERNAL;
* it still answers ``status`` (no crash, no reset, no traceback);
* nothing changed: idle, no program, pump 0, vent open, no alarm, no
  staged configuration, gains as before;
* the ground truth (what the simulated pump and vent really did) stayed
  safe the whole time: pump off, vent fully open in every row.

FUZZ_EXAMPLES (default 100) sets the number of cases per test; ``make
fuzz`` runs 5000. The cases are derandomized: every run tries the same ones.
"""
from __future__ import annotations

import re
from typing import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fuzzlib import (COMMANDS, FUZZ, LONG_LINE, PRINTABLE, RANDOM_BYTES, ROOT, TERMINATOR, FuzzBoard,
                     assert_no_crash, bad_command, firmware_frame, model_lines)
from vacuumctl import frame as host_frame

pytestmark = pytest.mark.sim_only("fuzzing needs the simulated board's ground truth")

FW_FRAME = firmware_frame()
FUZZ_FLOODS = settings(FUZZ, max_examples=max(10, FUZZ.max_examples // 5))  # each is hundreds of lines
HARMLESS = ("status", "version", "get kp", "help", "config diff")  # valid, change nothing


@pytest.fixture(scope="module")
def board(port: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FuzzBoard]:
    if port != "sim":
        pytest.skip("fuzzing needs the simulated board's ground truth")
    b = FuzzBoard("default", tmp_path_factory.mktemp("fuzz_protocol"))
    try:
        b.echo_off()
        b.kp_reply = b.wait_reply(b"get kp\r\n", b"ok kp=")
        yield b
        b.check_truth_safe()
        print("\nprotocol fuzz: %d cases, %d lines, %d bytes sent; ground truth %d rows up to t=%d ms, all safe"
              % (b.cases, b.lines_sent, b.bytes_sent, b.truth_rows, b.truth_last_ms))
    finally:
        b.close()


def test_the_oracle_knows_every_command_word() -> None:
    """Random lines are invalid only if no real command word starts them
    (fuzzlib._not_a_command). The oracle's list is read from the firmware's
    dispatch tables; it must match the help, which documents every command.
    (A 5000-case run once drew "hb", which the list had missed.)"""
    text = (ROOT / "firmware" / "command_help.py").read_text()
    documented = set(re.findall(r'^    "([a-z_]+)": \(', text, re.M))
    assert documented and COMMANDS == documented, (sorted(COMMANDS - documented), sorted(documented - COMMANDS))


# ---- human mode ----------------------------------------------------------------
PIECE = st.one_of(RANDOM_BYTES, PRINTABLE, LONG_LINE, bad_command().map(str.encode),
                  st.tuples(bad_command(), st.binary(min_size=1, max_size=3), st.integers(0, 60))
                  .map(lambda t: t[0].encode()[:t[2]] + t[1].replace(b"\x03", b"\x00") + t[0].encode()[t[2]:]))


@st.composite
def human_payload(draw) -> list[bytes]:
    """Lines with random terminators, maybe unterminated at the end, cut
    into separate writes at random points (partial lines)."""
    pieces = draw(st.lists(st.tuples(PIECE, TERMINATOR), min_size=1, max_size=8))
    stream = b"".join(p + t for p, t in pieces)
    if draw(st.booleans()):
        stream = stream[: len(stream) - len(pieces[-1][1])]
    cuts = sorted(set(draw(st.lists(st.integers(0, len(stream)), max_size=4))))
    edges = [0] + cuts + [len(stream)]
    return [stream[a:b] for a, b in zip(edges, edges[1:]) if b > a]


FLOOD = st.lists(bad_command(), min_size=100, max_size=400).map(lambda ls: ["\n".join(ls).encode() + b"\n"])
SENTINEL = b"status\nconfig diff\nget kp\n"


def _human_case(board: FuzzBoard, chunks: list[bytes]) -> None:
    board.keep_service_role()
    m = board.mark()
    for c in chunks:
        board.send(c)
    board.send(b"\n" + SENTINEL)
    lines = model_lines(b"".join(chunks) + b"\n" + SENTINEL)
    board.cases += 1
    board.lines_sent += len(lines)
    got = board.wait_lines(m, lambda ls: sum(1 for ln in ls if ln.startswith((b"ok ", b"err "))) >= len(lines))
    assert_no_crash(got)
    others = [ln for ln in got if not ln.startswith((b"ok ", b"err "))]
    assert not others, "unexpected unsolicited output while idle: %r" % others[:5]
    replies = got
    assert len(replies) == len(lines), "one reply per line: %d lines, %d replies" % (len(lines), len(replies))
    for (kind, text), reply in zip(lines[:-3], replies[:-3]):
        want = {"long": b"err E_LONG ", "bad": b"err E_CHAR "}.get(kind, b"err E_")
        assert reply.startswith(want), "line %r (%s) got %r" % (text[:80], kind, reply)
        assert len(reply) > 16, "an error needs a sentence: %r" % reply
    _assert_unchanged(board, replies[-3:])
    board.check_truth_safe()


def _assert_unchanged(board: FuzzBoard, tail: list[bytes]) -> None:
    status, diff, kp = tail
    assert status.startswith(b"ok state=idle program=none "), status
    for field in (b" pump_duty=0 ", b" valve_duty=65535 ", b" alarms=none ", b" setpoint_pa=0 ", b" target_pa=0 "):
        assert field in status, "%r not in %r" % (field, status)
    assert diff == b"ok no staged changes", diff
    assert kp == board.kp_reply, (kp, board.kp_reply)


@FUZZ
@given(chunks=human_payload())
def test_human_mode_lines(board: FuzzBoard, chunks: list[bytes]) -> None:
    _human_case(board, chunks)


@FUZZ_FLOODS
@given(chunks=FLOOD)
def test_human_mode_flood_in_one_write(board: FuzzBoard, chunks: list[bytes]) -> None:
    """Hundreds of bad lines in one write, far faster than any baud rate:
    the device reads 64 bytes and runs one line per tick, so every line
    still gets its error, in order."""
    _human_case(board, chunks)


# ---- machine mode ----------------------------------------------------------------
class MachineState:
    def __init__(self) -> None:
        self.last_seq = -1  # the device's: mode machine resets it
        self.cache = b""
        self.next = 1


@pytest.fixture(scope="module")
def machine(board: FuzzBoard) -> Iterator[MachineState]:
    # The therapist role for the machine-mode cases: a service role left
    # from the human-mode cases would end by itself after 10 min of device
    # time (minutes of cases at max speed) with an unsolicited event.
    board.exchange(b"\nlock\n", lambda ls: any(b"role=therapist" in ln for ln in ls))
    board.wait_reply(b"\nmode machine\n", b"<0 ok mode machine")
    yield MachineState()
    board.exchange(host_frame.encode_request(65535, "mode human"), lambda ls: b"ok mode human" in ls)


def _mutate(line: bytes, how: int, pos: int, byte: int) -> bytes:
    body = line.rstrip(b"\n")
    pos = pos % max(1, len(body))
    if how == 0:  # one flipped bit
        return body[:pos] + bytes([body[pos] ^ (1 << (byte % 8))]) + body[pos + 1:]
    if how == 1:  # a byte lost
        return body[:pos] + body[pos + 1:]
    if how == 2:  # a byte inserted
        return body[:pos] + bytes([byte]) + body[pos:]
    if how == 3:  # checksum in lower case
        return body[:-4] + body[-4:].lower()
    return body[:pos]  # cut short


@st.composite
def machine_line(draw) -> bytes:
    kind = draw(st.integers(0, 6))
    seq = draw(st.integers(0, 65535))
    if kind == 0:  # well framed, invalid command
        return host_frame.encode_request(seq, draw(bad_command())).rstrip(b"\n")
    if kind == 1:  # well framed, harmless valid command
        return host_frame.encode_request(seq, draw(st.sampled_from(HARMLESS))).rstrip(b"\n")
    if kind == 2:  # damaged on the line
        good = host_frame.encode_request(seq, draw(st.one_of(bad_command(), st.sampled_from(HARMLESS))))
        return _mutate(good, draw(st.integers(0, 4)), draw(st.integers(0, 300)), draw(st.integers(1, 255).filter(lambda b: b != 3)))
    if kind == 3:  # bad sequence numbers with a correct checksum
        s = draw(st.sampled_from(["65536", "99999", "007", "-1", "", "1a", "123456", " 5"]))
        body = (">%s status" % s).encode()
        return body + b"*%04X" % host_frame.crc16(body)
    if kind == 4:  # unframed text, random bytes
        return draw(st.one_of(st.sampled_from(HARMLESS).map(str.encode), RANDOM_BYTES, PRINTABLE))
    if kind == 5:  # '>' then noise
        return b">" + draw(st.binary(max_size=80)).replace(b"\x03", b"")
    return draw(LONG_LINE)


def _expect_machine(lines: list[tuple[str, bytes]], state: MachineState) -> list[tuple[str, int, str]]:
    """Model of console.service in machine mode: (what, seq, prefix)."""
    out = []
    last = state.last_seq
    for kind, text in lines:
        if kind != "line":
            out.append(("reply", 0, "err E_LONG" if kind == "long" else "err E_CHAR"))
            continue
        try:
            seq, a, b = FW_FRAME.decode_request(text)
        except ValueError:
            out.append(("reply", 0, "err E_FRAME"))
            continue
        if seq == last:
            out.append(("cached", seq, ""))
            continue
        body = text[a:b].decode()
        out.append(("reply", seq, "ok" if body.strip() in HARMLESS else "err E_"))
        if seq:
            last = seq
    return out


def _fresh_seq(state: MachineState, avoid: int) -> int:
    while state.next in (avoid, state.last_seq):
        state.next = state.next % 60000 + 1
    s = state.next
    state.next = state.next % 60000 + 1
    return s


@FUZZ
@given(lines=st.lists(st.tuples(machine_line(), TERMINATOR), min_size=1, max_size=10))
def test_machine_mode_frames(board: FuzzBoard, machine: MachineState, lines: list[tuple[bytes, bytes]]) -> None:
    stream = b"".join(ln + t for ln, t in lines) + b"\n"
    model = model_lines(stream)
    exp = _expect_machine(model, machine)
    last_after = next((e[1] for e in reversed(exp) if e[0] == "reply" and e[1]), machine.last_seq)
    s1 = _fresh_seq(machine, last_after)
    s2 = _fresh_seq(machine, s1)
    s3 = _fresh_seq(machine, s2)
    sentinel = b"".join(host_frame.encode_request(s, t) for s, t in ((s1, "status"), (s2, "config diff"), (s3, "get kp")))
    m = board.mark()
    board.send(stream)
    board.send(sentinel)
    board.cases += 1
    board.lines_sent += len(model) + 3
    total = len(exp) + 3
    got = board.wait_lines(m, lambda ls: sum(1 for ln in ls if ln.startswith(b"<")) >= total)
    assert_no_crash(got)
    assert all(ln.startswith(b"<") for ln in got), "unexpected output: %r" % [ln for ln in got if not ln.startswith(b"<")][:5]
    frames = [host_frame.decode_line(ln) for ln in got]  # raises on a bad CRC from the device
    assert len(frames) == total
    for (what, seq, prefix), f, raw in zip(exp, frames, got):
        if what == "cached":
            assert raw == machine.cache, "retry of seq %d must repeat the cached reply: %r vs %r" % (seq, raw, machine.cache)
            continue
        assert f.kind == "<" and f.seq == seq and f.text.startswith(prefix), "expected <%d %s..., got %r" % (seq, prefix, raw)
        assert prefix == "ok" or len(f.text) > 16, "an error needs a sentence: %r" % raw
        if seq:
            machine.last_seq = seq
            machine.cache = raw
    machine.last_seq = s3
    machine.cache = got[-1]
    _assert_unchanged(board, [f.text.encode() for f in frames[-3:]])
    board.check_truth_safe()
