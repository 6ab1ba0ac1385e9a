"""Every bad protocol line gets an error and changes nothing."""
from __future__ import annotations

import pytest

from devicekit import FACTORY_CODE
from vacuumctl import frame


def _snapshot(term) -> str:
    r = term.command("status")
    assert r.startswith("ok ")
    # Measured values move with noise; compare what a command could change.
    keep = ("state", "program", "setpoint_pa", "target_pa", "pump_duty", "valve_duty", "alarms", "trip_pa", "ceiling_pa")
    return " ".join(w for w in r.split() if w.split("=")[0] in keep)


BAD_LINES = [
    (b"frobnicate", "E_UNKNOWN"),
    (b"start", "E_ARG"),
    (b"start warp target=30kPa", "E_UNKNOWN"),
    (b"start continuous", "E_ARG"),
    (b"start continuous target=30", "E_UNIT"),
    (b"start continuous target=30kPaa", "E_UNIT"),
    (b"start continuous target=30 kPa", "E_UNIT"),
    (b"start continuous target=nankPa", "E_UNIT"),
    (b"start continuous target=infPa", "E_UNIT"),
    (b"start continuous target=1e4Pa", "E_UNIT"),
    (b"start continuous target=80kPa", "E_RANGE"),
    (b"start continuous target=0.9atm", "E_RANGE"),
    (b"start continuous target=-5kPa", "E_RANGE"),
    (b"start continuous target=30kPa duration=0s", "E_RANGE"),
    (b"start continuous target=30kPa duration=20", "E_UNIT"),
    (b"start continuous target=30kPa target=20kPa", "E_ARG"),
    (b"start continuous target=30kPa speed=3", "E_ARG"),
    (b"start continuous =30kPa", "E_ARG"),
    (b"set target 30kPa", "E_STATE"),
    (b"set ceiling 90kPa", "E_READONLY"),
    (b"set kp -5", "E_RANGE"),
    (b"set kp 10000000", "E_RANGE"),
    (b"set kp", "E_ARG"),
    (b"get nothing", "E_UNKNOWN"),
    (b"tel on 5000Hz", "E_RANGE"),
    (b"tel on 10", "E_UNIT"),
    (b"tel sideways", "E_ARG"),
    (b"mode robot", "E_ARG"),
    (b"status now", "E_ARG"),
    (b"start continuous target=30kPa\x00", "E_CHAR"),
    (b"start continuous target=30\xc2\xb5Pa", "E_CHAR"),
    (b"x" * 500, "E_LONG"),
]


@pytest.mark.parametrize("line,code", BAD_LINES, ids=[repr(b[:30]) for b, _ in BAD_LINES])
def test_bad_line_rejected_and_nothing_changes(terminal, line, code):
    assert terminal.command("unlock " + FACTORY_CODE).startswith("ok role=service")  # set kp validates its range
    before = _snapshot(terminal)
    reply = terminal.command(line)
    assert reply.startswith("err %s " % code), reply
    assert len(reply) > len("err %s " % code) + 5, "error needs a plain message"
    assert _snapshot(terminal) == before


def test_good_lines_in_human_mode(terminal):
    assert terminal.command("version").startswith("ok firmware=")
    assert "commands:" in terminal.command("help")
    assert terminal.command("help start").startswith("ok start <program>")
    assert terminal.command("get ceiling").startswith("ok ceiling=70000")


def test_machine_mode_rejects_corrupted_frames(terminal):
    terminal.send(b"mode machine\r\n")
    ack = _read_frame(terminal)
    assert ack.seq == 0 and ack.text == "ok mode machine"
    good = frame.encode_request(7, "start continuous target=30kPa duration=5s")
    # Flip one bit in the target: the checksum catches it; nothing starts.
    damaged = bytearray(good)
    damaged[good.index(b"30kPa")] ^= 0x01  # '3' -> '2'
    terminal.send(bytes(damaged))
    bad = _read_frame(terminal)
    assert bad.kind == "<" and bad.seq == 0 and bad.text.startswith("err E_FRAME")
    terminal.send(frame.encode_request(8, "status"))
    st = _read_frame(terminal)
    assert st.seq == 8 and "state=idle" in st.text
    # Unframed text in machine mode is refused too.
    terminal.send(b"start continuous target=30kPa\r\n")
    assert _read_frame(terminal).text.startswith("err E_FRAME")
    # A retry with the same sequence number is answered from cache, not re-run.
    terminal.send(frame.encode_request(9, "start continuous target=30kPa duration=60s"))
    first = _read_frame(terminal)
    terminal.send(frame.encode_request(9, "start continuous target=30kPa duration=60s"))
    again = _read_frame(terminal)
    assert first.text.startswith("ok started") and again == first
    terminal.send(frame.encode_request(10, "stop"))
    assert _read_frame(terminal).text == "ok stopped"


def _read_frame(terminal) -> frame.Frame:
    import time

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        while b"\n" in terminal._buf:
            line, terminal._buf = terminal._buf.split(b"\n", 1)
            line = line.rstrip(b"\r")
            if line.startswith(b"<"):
                return frame.decode_line(line)
        terminal._buf += terminal.ser.read(4096)
    raise AssertionError("no reply frame")
