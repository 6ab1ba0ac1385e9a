"""The dashboard's parts that need no device: the program preview, typed
values turned into the device's units, the code kept out of transcripts,
the heartbeat default, and who the server refuses."""
from __future__ import annotations

import asyncio
from unittest import mock

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from vacuumctl.errors import UserError
from vacuumctl.ui import heartbeat_ms
from vacuumctl.ui.actions import device_token, program_values
from vacuumctl.ui.hub import mask_secret
from vacuumctl.ui.preview import preview
from vacuumctl.ui.server import REMOTE_KEY, exposure, guard, page_url

CONTINUOUS = {"name": "continuous", "kind": "continuous", "params": {
    "target": {"default": None, "unit": "Pa", "lo": 1000, "hi": 71000},
    "ramp": {"default": 0, "unit": "ms", "lo": 0, "hi": 600000},
    "duration": {"default": 900000, "unit": "ms", "lo": 1000, "hi": 604800000}}}
PULSE = {"name": "decompression", "kind": "pulse", "params": {
    "target": {"default": 20000, "unit": "Pa", "lo": 5000, "hi": 50663},
    "freq": {"default": 1000, "unit": "mHz", "lo": 500, "hi": 5000},
    "duration": {"default": 900000, "unit": "ms", "lo": 1000, "hi": 1800000}}}


def level(points: list[tuple[float, float]], t: float) -> float:
    """The last drawn level at t (a step's later point wins)."""
    out = None
    for (ta, pa), (tb, pb) in zip(points, points[1:]):
        if ta <= t <= tb and tb > ta:
            out = pa + (pb - pa) * (t - ta) / (tb - ta)
    assert out is not None, t
    return out


def test_intermittent_preview_holds_on_and_off_and_releases_at_the_end():
    p = preview("intermittent", {"target": 20000, "floor": 5000, "on": 3000, "off": 2000, "slew": 0, "ramp": 0, "duration": 12000})
    assert p.horizon_s == p.duration_s == 12
    assert [round(level(p.points, t)) for t in (1, 4, 6, 9, 11)] == [20000, 5000, 20000, 5000, 20000]
    assert [ph[2] for ph in p.phases] == ["on", "off", "on", "off", "on", "release"]
    assert p.points[-1] == (13.0, 0.0) and p.notes == []


def test_slew_applies_to_every_change_but_the_first_on():
    p = preview("intermittent", {"target": 20000, "floor": 10000, "on": 4000, "off": 4000, "slew": 2000, "ramp": 0, "duration": 16000})
    assert level(p.points, 0.5) == 20000  # the session starts at its target
    assert level(p.points, 5) == pytest.approx(15000)  # halfway down the slew to the floor
    assert level(p.points, 9) == pytest.approx(15000)  # halfway back up


def test_dynamic_ramps_between_floor_and_target():
    p = preview("dynamic", {"target": 16665, "floor": 3333, "rise": 10000, "fall": 10000, "ramp": 0, "duration": 40000})
    assert level(p.points, 0.001) == pytest.approx(3333, abs=5)
    assert level(p.points, 5) == pytest.approx((16665 + 3333) / 2, abs=5)
    assert level(p.points, 10) == pytest.approx(16665, abs=5)
    assert level(p.points, 15) == pytest.approx((16665 + 3333) / 2, abs=5)


def test_a_long_pulse_session_is_previewed_over_its_gentle_start_and_a_few_cycles():
    p = preview("pulse", {"target": 20000, "floor": 0, "freq": 1000, "ramp": 60000, "duration": 900000})
    assert p.horizon_s == 64 and p.notes == ["first 64 s of 15 min shown"]
    assert level(p.points, 30.25) == pytest.approx(20000 * 30.25 / 60, rel=0.01)  # on, half way up the gentle start
    assert level(p.points, 30.75) == 0  # off: vented
    assert level(p.points, 62.25) == 20000


def test_dotted_preview_says_what_it_assumes():
    p = preview("dotted", {"target": 20000, "hold": 4000, "wait": 0, "ramp": 0, "duration": 600000})
    assert [ph[2] for ph in p.phases[:4]] == ["build", "hold", "vent", "wait"]
    assert any("depend on the cup" in n for n in p.notes) and any("'next'" in n for n in p.notes)


def test_program_values_take_units_fill_defaults_and_refuse_with_sentences():
    v = program_values(CONTINUOUS, {"target": "225mmHg", "ramp": "2s", "duration": "1.5min"}, check_range=True)
    assert v == {"target": 29998, "ramp": 2000, "duration": 90000}
    assert program_values(CONTINUOUS, {"target": "30kPa"}, check_range=True)["duration"] == 900000
    assert program_values(PULSE, {"freq": "2.5Hz"}, check_range=True)["freq"] == 2500
    with pytest.raises(UserError, match=r"target needs a value \(range 1kPa\.\.71kPa\)"):
        program_values(CONTINUOUS, {}, check_range=True)
    with pytest.raises(UserError, match=r"target 90kPa is out of range 1kPa\.\.71kPa"):
        program_values(CONTINUOUS, {"target": "90kPa"}, check_range=True)
    with pytest.raises(UserError, match="needs a pressure unit"):
        program_values(CONTINUOUS, {"target": "30"}, check_range=True)
    with pytest.raises(UserError, match="has no parameter 'depth'"):
        program_values(CONTINUOUS, {"target": "30kPa", "depth": "3kPa"}, check_range=True)
    # Range checks are the device's at start: out of range goes through to be refused there.
    assert program_values(CONTINUOUS, {"target": "90kPa"}, check_range=False)["target"] == 90000


def test_device_tokens():
    assert device_token("Pa", 29998) == "29998Pa"
    assert device_token("ms", 2000) == "2000ms"
    assert device_token("mHz", 2500) == "2.500Hz"


def test_codes_never_reach_a_transcript():
    assert mask_secret("unlock 246810") == "unlock ******"
    assert mask_secret("passcode newcode1") == "passcode ******"
    assert mask_secret("config get kp") == "config get kp"


def test_heartbeat_default_follows_the_simulated_speed():
    assert heartbeat_ms(None, "/dev/ttyACM0", "1") == 10000
    assert heartbeat_ms(None, "sim", "3") == 30000
    assert heartbeat_ms(None, "sim", "max") == 0
    assert heartbeat_ms("0", "/dev/ttyACM0", "1") == 0
    assert heartbeat_ms("2min", "/dev/ttyACM0", "1") == 120000
    with pytest.raises(UserError):
        heartbeat_ms("20min", "/dev/ttyACM0", "1")


def _guarded(remote: str, host: str, allow_remote: bool) -> int:
    app = web.Application()
    app[REMOTE_KEY] = allow_remote
    transport = mock.Mock()
    transport.get_extra_info.side_effect = lambda key, default=None: (remote, 40000) if key == "peername" else default
    req = make_mocked_request("GET", "/", headers={"Host": host}, app=app, transport=transport)

    async def handler(request: web.Request) -> web.StreamResponse:
        return web.Response(text="page")

    async def run() -> int:
        try:
            return (await guard(req, handler)).status
        except web.HTTPException as e:
            return e.status
    return asyncio.run(run())


def test_only_this_machine_unless_asked():
    assert _guarded("127.0.0.1", "127.0.0.1:8719", False) == 200
    assert _guarded("::1", "localhost:8719", False) == 200
    assert _guarded("192.168.1.20", "192.168.1.5:8719", False) == 403  # another machine
    assert _guarded("127.0.0.1", "rebound.example:8719", False) == 403  # DNS rebinding
    assert _guarded("192.168.1.20", "192.168.1.5:8719", True) == 200  # --listen: the user asked


def test_listening_beyond_this_machine_says_what_it_exposes():
    text = exposure("0.0.0.0", 8719)
    assert "WARNING" in text and "take control" in text and "no login" in text and "clear text" in text
    assert page_url("0.0.0.0", 8719) == "http://127.0.0.1:8719/"
    assert page_url("192.168.1.5", 8719) == "http://192.168.1.5:8719/"
