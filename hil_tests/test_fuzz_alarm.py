"""Fuzzing commands while an alarm is latched (issue 8, "Inputs").

The scenario disconnects the pressure sensor from the first byte on and
never reconnects it, so the sensor alarm keeps coming back. Hypothesis
mixes bad lines with valid ones that must be refused now (start, resume,
pause, tune auto) and with clear/stop/status in any order and in floods.
Properties: one reply per line, every start refused with E_STATE, no
crash, and the ground truth stays safe (pump off, vent open) in every row.

This found a real hole: 'clear' resets the supervisor's sensor debounce,
and a 'start' in the next tick ran the pump at full duty, blind, for
about 20 ms until the alarm latched again. Start, resume and tune auto now
refuse while the last sensor sample failed (cmdargs.sensor_answers).
"""
from __future__ import annotations

import json
from typing import Iterator

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from fuzzlib import FUZZ, PRINTABLE, RANDOM_BYTES, TERMINATOR, FuzzBoard, assert_no_crash, bad_command, model_lines

pytestmark = pytest.mark.sim_only("fuzzing needs the simulated board's fault injection and ground truth")

REFUSED = ["start continuous target=20kPa", "start continuous target=30kPa duration=10s", "start npwt_continuous",
           "start intermittent target=20kPa on=3s off=2s", "resume", "pause", "tune auto target=20kPa", "next"]
ALLOWED = ["clear", "stop", "status", "get vacuum", "tel off"]

LINE = st.one_of(st.sampled_from(REFUSED).map(lambda t: (t.encode(), "err E_STATE")),
                 st.sampled_from(ALLOWED).map(lambda t: (t.encode(), "ok ")),
                 bad_command().map(lambda t: (t.encode(), "err ")),
                 st.one_of(RANDOM_BYTES, PRINTABLE).map(lambda b: (b, None)))


@pytest.fixture(scope="module")
def board(port: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FuzzBoard]:
    if port != "sim":
        pytest.skip("fuzzing needs the simulated board's fault injection and ground truth")
    tmp = tmp_path_factory.mktemp("fuzz_alarm")
    scenario = tmp / "sensor_gone.json"
    scenario.write_text(json.dumps({"description": "sensor disconnected for good",
                                    "events": [{"t_ms": 0, "fault": "sensor_disconnect"}]}))
    b = FuzzBoard(str(scenario), tmp)
    try:
        b.echo_off()
        st0 = b.wait_reply(b"status\r\n", b"ok state=")
        assert b" alarms=sensor " in st0, st0
        yield b
        b.check_truth_safe()
        print("\nalarm fuzz: %d cases, %d lines; ground truth %d rows up to t=%d ms, all safe"
              % (b.cases, b.lines_sent, b.truth_rows, b.truth_last_ms))
    finally:
        b.close()


CLEAR_THEN_START = [((b"clear", "ok "), b"\n"), ((b"start continuous target=20kPa", "err E_STATE"), b"\n")]


@FUZZ
@example(lines=CLEAR_THEN_START)  # the hole it found, always tried first
@example(lines=CLEAR_THEN_START[:1] + [((b"tune auto target=20kPa", "err E_STATE"), b"\r")])
@given(lines=st.lists(st.tuples(LINE, TERMINATOR), min_size=1, max_size=40))
def test_commands_during_a_sensor_alarm(board: FuzzBoard, lines) -> None:
    stream = b"".join(text + t for (text, _), t in lines)
    expect: list[str | None] = []
    for (text, want), t in lines:
        n = len(model_lines(text + b"\n"))  # random bytes may hold several lines
        expect += [want] if n == 1 and want else [None] * n
    stream += b"\nstatus\n"
    model = model_lines(stream)
    assert len(model) == len(expect) + 1
    board.keep_service_role()  # tune auto is refused for the alarm (E_STATE), not the role
    m = board.mark()
    board.send(stream)
    board.cases += 1
    board.lines_sent += len(model)
    got = board.wait_lines(m, lambda ls: sum(1 for ln in ls if ln.startswith((b"ok ", b"err "))) >= len(model))
    assert_no_crash(got)
    others = [ln for ln in got if not ln.startswith((b"ok ", b"err "))]
    # only the sensor alarm's own lines (cleared, raised again)
    assert all(ln.startswith(b"alarm ") and b" sensor" in ln for ln in others), others[:5]
    replies = [ln for ln in got if ln.startswith((b"ok ", b"err "))]
    assert len(replies) == len(model)
    for (kind, text), want, reply in zip(model, expect, replies):
        if want is None:  # random input: any error (it never starts with a command word)
            want = "err "
        assert reply.startswith(want.encode()), "line %r got %r" % (text[:80], reply)
    final = replies[-1]
    assert b" pump_duty=0 " in final and b" valve_duty=65535 " in final and b" state=run" not in final, final
    board.check_truth_safe()
