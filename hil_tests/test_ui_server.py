"""`vacuumctl ui` without a browser: what it prints, what it serves, whom it
refuses, and how a session it started ends when the server itself goes
away (Ctrl-C: it stops the session; killed: the device's host heartbeat
does). Judged by the simulated board's ground truth in device time."""
from __future__ import annotations

import asyncio
import http.client
import json
import re
import signal
from pathlib import Path
from typing import Callable, Iterator

import pytest

from devicekit import Truth
from uibrowser import Dashboard, wait_truth
from vacuumctl.link import DeviceLink
from vacuumctl.simport import SimProcess, start_sim


def get(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        c.request("GET", path, headers=headers or {})
        r = c.getresponse()
        return r.status, r.read().decode(errors="replace")
    finally:
        c.close()


def upgrade(port: int, origin: str) -> int:
    """The status of a WebSocket handshake sent with this Origin."""
    return get(port, "/ws", {"Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
                             "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", "Origin": origin})[0]


@pytest.fixture
def board(needs_sim, tmp_path: Path) -> Iterator[tuple[SimProcess, Truth]]:
    sim = start_sim("default", speed="3", truth_csv=str(tmp_path / "truth.csv"))
    try:
        yield sim, Truth(tmp_path / "truth.csv")
    finally:
        sim.stop()


def test_first_line_local_assets_and_other_sites_refused(needs_sim):
    d = Dashboard("sim")
    try:
        assert re.fullmatch(r"ui: http://127\.0\.0\.1:\d+/", d.first_line)
        status, html = get(d.port, "/")
        assert status == 200
        refs = re.findall(r'(?:src|href)="([^"]+)"', html)
        assert refs and all(r.startswith(("/static/", "#", "/api/", "data:")) for r in refs), refs  # nothing from elsewhere
        for r in refs:
            if r.startswith("/static/"):
                assert get(d.port, r)[0] == 200, r
        status, licence = get(d.port, "/static/vendor/uplot/LICENSE")
        assert status == 200 and "MIT License" in licence
        assert json.loads(get(d.port, "/static/vendor/uplot/package.json")[1])["version"] == "1.6.32"
        # A page of another site, or a DNS name rebound to this machine, gets nothing.
        assert get(d.port, "/", {"Host": "evil.example:%d" % d.port})[0] == 403
        assert upgrade(d.port, "http://evil.example") == 403
        assert upgrade(d.port, "null") == 403
        assert upgrade(d.port, "http://127.0.0.1:%d" % d.port) == 101
        status, csv_text = get(d.port, "/api/log.csv")
        assert status == 200 and csv_text.startswith("seq,boot,start_ms,end_ms,program")
    finally:
        rc, out, _ = d.stop()
    assert rc == 0 and out.rstrip().endswith("ui: stopped")


async def _start_session_then(url: str, port: int, then: Callable[[], None]) -> tuple[int, list[str]]:
    """As a controlling page would: start a session; once it runs, call
    then() with the page still connected (the server must not see it leave),
    and read on until the server closes the socket. -> (device time the
    session ran at, the notes the page got)."""
    import aiohttp

    notes: list[str] = []
    t_run = -1
    async with aiohttp.ClientSession() as s:
        async with s.ws_connect(url + "ws", origin="http://127.0.0.1:%d" % port, heartbeat=None) as ws:
            await ws.send_json({"op": "start", "id": 1, "program": "continuous",
                                "params": {"target": "20kPa", "duration": "5min"}})
            async for m in ws:
                if m.type != aiohttp.WSMsgType.TEXT:
                    break
                msg = json.loads(m.data)
                if msg.get("t") == "reply":
                    assert msg["ok"], msg
                elif msg.get("t") == "note":
                    notes.append(msg["text"])
                elif msg.get("t") == "tel" and t_run < 0:
                    t_run = next((int(r[0]) for r in msg["rows"] if r[5] == "run" and r[1] > 15_000), -1)  # state, vacuum_pa
                    if t_run >= 0:
                        then()
                try:
                    await ws.send_json({"op": "hb"})  # a live page
                except ConnectionError:
                    pass  # the server is closing: read what it still sent
    assert t_run >= 0, "the session did not run"
    return t_run, notes


def test_ctrl_c_on_the_server_stops_the_session_it_started(board):
    sim, truth = board
    d = Dashboard(sim.port)
    t_run, notes = asyncio.run(_start_session_then(d.url, d.port, lambda: d.proc.send_signal(signal.SIGINT)))
    rc, out, _ = d.stop()
    assert rc == 0 and "ui: stopped" in out
    assert any(n.startswith("vacuumctl ui was stopped: the session was stopped") for n in notes), notes
    row = wait_truth(truth, lambda r: int(r["true_vacuum_pa"]) < 500, after_ms=t_run)
    later = wait_truth(truth, lambda r: True, after_ms=int(row["t_ms"]) + 200)
    assert int(later["pump_duty"]) == 0 and int(later["valve_duty"]) == 65535


async def _start_then_hang(url: str, port: int) -> tuple[int, str]:
    """A controlling page whose script hangs: its socket stays open, its heartbeat stops."""
    import aiohttp

    async with aiohttp.ClientSession() as s:
        async with s.ws_connect(url + "ws", origin="http://127.0.0.1:%d" % port) as ws:
            await ws.send_json({"op": "start", "id": 1, "program": "continuous", "params": {"target": "20kPa", "duration": "5min"}})
            t_run = -1
            async for m in ws:  # reading, never sending: no {"op": "hb"}
                msg = json.loads(m.data)
                if msg.get("t") == "tel" and t_run < 0:
                    t_run = next((int(r[0]) for r in msg["rows"] if r[5] == "run" and r[1] > 15_000), -1)
                if msg.get("t") == "note" and "stopped answering" in msg["text"]:
                    return t_run, msg["text"]
    raise AssertionError("the hung page was never noticed")


def test_a_hung_controlling_page_loses_control_and_its_session_is_stopped(board):
    sim, truth = board
    d = Dashboard(sim.port)
    try:
        t_run, note = asyncio.run(_start_then_hang(d.url, d.port))
        assert t_run > 0 and "the session was stopped" in note and "vent open" in note
        row = wait_truth(truth, lambda r: int(r["true_vacuum_pa"]) < 500, after_ms=t_run)
        assert int(row["t_ms"]) > t_run + 3 * 5_000 * 0.8  # not before the page had been silent ~5 s (speed 3)
    finally:
        d.stop()


def test_a_killed_server_leaves_the_device_to_its_host_heartbeat(board):
    """The sessions the dashboard starts carry heartbeat=: with the server
    gone (kill -9, nothing sent), the device ends the session by itself."""
    sim, truth = board
    d = Dashboard(sim.port, "--heartbeat", "5s")
    t_run, notes = asyncio.run(_start_session_then(d.url, d.port, lambda: d.proc.send_signal(signal.SIGKILL)))
    d.proc.wait(timeout=10)
    assert notes == []  # the server said nothing more: it was gone
    row = wait_truth(truth, lambda r: int(r["true_vacuum_pa"]) < 500, after_ms=t_run)
    # The last poll was at most 0.5 s of wall time (1.5 s of device time) before t_run; then 5 s of silence.
    assert int(row["t_ms"]) - t_run < 5_000 + 1_500 + 1_500
    later = wait_truth(truth, lambda r: True, after_ms=int(row["t_ms"]) + 200)
    assert int(later["pump_duty"]) == 0 and int(later["valve_duty"]) == 65535
    with DeviceLink.open(sim.port) as link:  # the port is free again: ask the device why
        assert "host=medium" in link.request("alarms")
