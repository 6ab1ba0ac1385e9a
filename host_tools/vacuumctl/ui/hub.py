"""What the dashboard knows and who may act on it.

One-way data flow: the device's lines come in through the bridge, update
the hub's picture of the device (telemetry history, status, alarms, the
session, tuning) and go out to every page; a page's action goes to the
device only if that page holds control, and its result comes back the same
way as everything else. One page controls at a time, the others watch.

Safety rule: a session this dashboard started (from the session panel, a
step test, an autotune or the console) belongs to the controlling page. If
that page goes away (closed, navigated off, or silent for CONTROL_TIMEOUT_S)
the hub stops the session and the device vents, as ``vacuumctl run`` does
on Ctrl-C. The sessions it starts also carry the device's own host
heartbeat (``heartbeat=``, kept alive by the status poll), so the device
stops them by itself if this server dies.
"""
from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable

from .. import units, userunit
from ..alarms_cmd import parse_active
from ..errors import DeviceError, UserError
from ..programs import parse_program
from ..telemetry import CSV_COLUMNS, Message, parse_fields
from .bridge import DeviceBridge

TEL_RATE_HZ = 20  # the live chart's telemetry rate
HISTORY_ROWS = 15 * 60 * TEL_RATE_HZ  # what a page opened later still sees: 15 min at 20 Hz
MARKERS = 300  # alarm and event markers kept for pages opened later
POLL_S = 0.5  # status poll: the readouts' slow fields, the session's length, and the host heartbeat
CONTROL_TIMEOUT_S = 5.0  # a controlling page silent this long (wall time) is gone
CLIENT_QUEUE = 2000  # messages waiting for a slow page before it misses some
CONSOLE_REFUSED = {
    "mode": "the dashboard keeps the device in machine mode; use 'vacuumctl console' or a terminal for human mode",
    "tel": "the dashboard manages telemetry (the live chart needs it)",
}
_SECRET_WORDS = ("unlock", "passcode")  # their argument is a code: never echoed, logged or kept


def _now_ms() -> float:
    return time.time() * 1000.0


def mask_secret(line: str) -> str:
    """``unlock 246810`` -> ``unlock ******`` for transcripts other pages see."""
    words = line.split()
    if len(words) >= 2 and words[0] in _SECRET_WORDS:
        return words[0] + " " + "*" * 6
    return line


@dataclass
class Client:
    id: int
    remote: str
    queue: "asyncio.Queue[str]"
    last_seen: float = field(default_factory=time.monotonic)
    dropped: int = 0
    closed: bool = False


class Hub:
    def __init__(self, bridge: DeviceBridge, port_label: str, heartbeat_ms: int, listen_note: str = "",
                 unit: str = userunit.DEFAULT):
        self.bridge = bridge
        self.unit = unit
        self.port_label = port_label
        self.heartbeat_ms = heartbeat_ms
        self.listen_note = listen_note
        self.clients: dict[int, Client] = {}
        self._ids = itertools.count(1)
        self.controller: int | None = None
        self.history: deque[list[Any]] = deque(maxlen=HISTORY_ROWS)
        self.markers: deque[dict[str, Any]] = deque(maxlen=MARKERS)
        self.console_log: deque[dict[str, Any]] = deque(maxlen=300)
        self.device: dict[str, int | str] = dict(bridge.link.device_version)
        self.catalog: list[dict[str, Any]] = []
        self.commands: list[str] = []
        self.status: dict[str, int | str] = {}
        self.alarms: dict[str, Any] = {"silence_ms": 0, "rows": []}
        self.session: dict[str, Any] = {"state": "idle"}
        self.tune: dict[str, Any] = {}
        self.host_session = False  # a session this dashboard started is running
        self.auto_tuning = False
        self.last_tel: dict[str, int | str] = {}
        self.lost = ""
        self._pending: list[list[Any]] = []
        self._pending_rx = 0.0
        self._flush_scheduled = False
        self._tel_watchers: list[Callable[[dict[str, int | str]], None]] = []
        self._msg_watchers: list[Callable[[Message], None]] = []
        self._tasks: set[asyncio.Task[Any]] = set()
        self._stopping_session = False
        self.on_lost: Callable[[str], None] = lambda why: None

    # ---- start-up --------------------------------------------------------------
    async def setup(self) -> None:
        """What the device says about itself, read once: commands, programs and
        presets with their ranges, a staged autotune result; telemetry on."""
        req = self.bridge.request
        self.commands = (await req("help")).split("commands:", 1)[-1].split("(", 1)[0].split()
        for name in (await req("programs")).split():
            self.catalog.append(parse_program(await req("programs " + name)))
        tune_status = parse_fields(await req("tune status"))
        if tune_status.get("staged") == "yes":
            self.tune["auto"] = {"state": "staged", "result": parse_fields(await req("tune result"))}
        await req("tel on %dHz" % TEL_RATE_HZ)
        await self.refresh_status()
        await self.refresh_alarms()
        self.spawn(self._poll())
        self.spawn(self._watch_controller())

    def spawn(self, coro: Awaitable[Any]) -> "asyncio.Task[Any]":
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def hello(self, client: Client) -> dict[str, Any]:
        return {
            "t": "hello", "client": client.id, "control": self.control_for(client.id),
            "device": self.device, "port": self.port_label, "listen": self.listen_note,
            "columns": list(CSV_COLUMNS), "history": list(self.history), "markers": list(self.markers),
            "programs": self.catalog, "status": self.status, "alarms": self.alarms, "session": self.session,
            "tune": self.tune, "console": list(self.console_log),
            "commissioning": "commission" in self.commands, "commands": self.commands,
            "units": {"pressure": units.PRESSURE_UNITS, "decimals": userunit.DECIMALS,
                      "default": self.unit},
            "tel_rate_hz": TEL_RATE_HZ, "heartbeat_ms": self.heartbeat_ms, "lost": self.lost,
        }

    # ---- pages -------------------------------------------------------------------
    def attach(self, remote: str) -> Client:
        c = Client(next(self._ids), remote, asyncio.Queue(maxsize=CLIENT_QUEUE))
        self.clients[c.id] = c
        if self.controller is None:
            self.controller = c.id  # the first page controls; later ones watch
        self.send(c, self.hello(c))
        self._announce_control()
        return c

    async def detach(self, client: Client, why: str = "the controlling page was closed") -> None:
        client.closed = True
        self.clients.pop(client.id, None)
        if self.controller == client.id:
            self.controller = None
            await self.controller_gone(why)
            self._announce_control()

    def control_for(self, client_id: int) -> str:
        if self.controller == client_id:
            return "you"
        return "free" if self.controller is None else "other"

    def _announce_control(self) -> None:
        for c in list(self.clients.values()):
            self.send(c, {"t": "control", "control": self.control_for(c.id), "pages": len(self.clients)})

    def take_control(self, client: Client) -> None:
        if self.controller not in (None, client.id):
            raise UserError("another page controls the device; it must release control (or close) first")
        self.controller = client.id
        self._announce_control()

    def release_control(self, client: Client) -> None:
        if self.controller != client.id:
            return
        if self.host_session:
            raise UserError("a session started here is running: stop it before releasing control "
                            "(a session always has a page in control)")
        self.controller = None
        self._announce_control()

    async def controller_gone(self, why: str) -> None:
        """The controlling page left: a session it started is stopped and vented."""
        if not self.host_session:
            return
        await self.stop_host_session(why)

    async def stop_host_session(self, why: str) -> None:
        if self._stopping_session:
            return
        self._stopping_session = True
        try:
            if self.auto_tuning:
                try:
                    await self.bridge.request("tune abort")
                except (UserError, TimeoutError):
                    pass  # not tuning any more: the stop below still ends the session
            reply = await self.bridge.request("stop")
            self.note("%s: the session was stopped (%s): pump off, vent open" % (why, reply), "warn")
        except (UserError, TimeoutError) as e:
            self.note("%s, but stopping the session failed: %s" % (why, e), "error")
        finally:
            self._stopping_session = False

    async def _watch_controller(self) -> None:
        """A page whose script hangs keeps its socket open: its own heartbeat says it is alive."""
        while True:
            await asyncio.sleep(1.0)
            cid = self.controller
            c = self.clients.get(cid) if cid is not None else None
            if c is not None and time.monotonic() - c.last_seen > CONTROL_TIMEOUT_S:
                self.controller = None
                self.send(c, {"t": "control", "control": "free", "pages": len(self.clients),
                              "why": "this page stopped answering for %g s; control was taken away" % CONTROL_TIMEOUT_S})
                await self.controller_gone("the controlling page stopped answering")
                self._announce_control()

    # ---- out to the pages --------------------------------------------------------
    def send(self, client: Client, obj: dict[str, Any]) -> None:
        self._put(client, json.dumps(obj, separators=(",", ":")))

    def _put(self, client: Client, text: str) -> None:
        if client.closed:
            return
        try:
            client.queue.put_nowait(text)
        except asyncio.QueueFull:
            client.dropped += 1  # a page that stopped reading misses lines, the others do not wait

    def broadcast(self, obj: dict[str, Any]) -> None:
        text = json.dumps(obj, separators=(",", ":"))
        for c in list(self.clients.values()):
            self._put(c, text)

    def note(self, text: str, level: str = "info") -> None:
        self.broadcast({"t": "note", "text": text, "level": level})

    def console(self, kind: str, text: str) -> None:
        entry = {"kind": kind, "text": text}
        self.console_log.append(entry)
        self.broadcast({"t": "console", **entry})

    # ---- in from the device ------------------------------------------------------
    def on_message(self, msg: Message, rx_ms: float) -> None:
        if msg.kind == "tel":
            self._on_tel(msg.fields, rx_ms)
            return
        for watch in list(self._msg_watchers):
            watch(msg)
        t_ms = msg.fields.get("t_ms", self.last_tel.get("t_ms", 0))
        marker = {"kind": msg.kind, "text": msg.text, "t_ms": t_ms, "rx": rx_ms,
                  "fields": msg.fields, "word": msg.text.split()[1] if len(msg.text.split()) > 1 else ""}
        self._flush()  # telemetry before the event, in order
        if msg.kind in ("alarm", "event", "boot"):
            self.markers.append(marker)
        self.broadcast({"t": "msg", **marker})
        self.console("event", msg.text)
        if msg.kind == "alarm":
            self.spawn(self.refresh_alarms())
        elif msg.kind == "event":
            self._on_event(msg)
        elif msg.kind == "boot":
            self._on_boot(msg)

    def _on_tel(self, f: dict[str, int | str], rx_ms: float) -> None:
        self.last_tel = f
        row = [f.get(c, "") for c in CSV_COLUMNS]
        self.history.append(row)
        self._pending.append(row)
        self._pending_rx = rx_ms
        if f.get("state") in ("run", "pause") and self.session.get("total_ms"):
            # The session's progress to the tick, for a truthful bar when it ends early.
            self.session["elapsed_ms"] = int(self.session["total_ms"]) - int(f.get("remaining_ms", 0))
        if f.get("state") == "fault" and self.host_session:
            self.host_session = False  # the device went safe by itself
            self.auto_tuning = False
        for watch in list(self._tel_watchers):
            watch(f)
        if not self._flush_scheduled:
            self._flush_scheduled = True
            asyncio.get_running_loop().call_soon(self._flush)

    def _flush(self) -> None:
        self._flush_scheduled = False
        if self._pending:
            self.broadcast({"t": "tel", "rows": self._pending, "rx": self._pending_rx})
            self._pending = []

    def _on_event(self, msg: Message) -> None:
        word = msg.text.split()[1] if len(msg.text.split()) > 1 else ""
        if word == "session_end":
            self.host_session = False
            self.auto_tuning = False
            end = {"reason": msg.fields.get("reason"), "delivered_ms": msg.fields.get("delivered_ms"),
                   "elapsed_ms": self.session.get("elapsed_ms", 0)}
            self.session = {**self.session, "state": "ended", "end": end}
            self.broadcast({"t": "session", "session": self.session})
        elif word in ("tune_done", "tune_aborted"):
            self.auto_tuning = False
            self.spawn(self._autotune_finished(msg))

    def _on_boot(self, msg: Message) -> None:
        self.host_session = False  # a reset leaves the device in its safe state
        self.auto_tuning = False
        self.history.clear()
        self.note("the device rebooted (%s): it starts in its safe state; telemetry restarted" % msg.text, "warn")
        self.spawn(self._after_boot())

    async def _after_boot(self) -> None:
        for _ in range(20):
            try:
                await self.bridge.request("tel on %dHz" % TEL_RATE_HZ)
                break
            except (UserError, TimeoutError):
                await asyncio.sleep(0.25)  # the link is re-entering machine mode
        await self.refresh_status()
        await self.refresh_alarms()

    def watch_tel(self, fn: Callable[[dict[str, int | str]], None]) -> Callable[[], None]:
        self._tel_watchers.append(fn)
        return lambda: self._tel_watchers.remove(fn)

    def watch_messages(self, fn: Callable[[Message], None]) -> Callable[[], None]:
        self._msg_watchers.append(fn)
        return lambda: self._msg_watchers.remove(fn)

    # ---- polled ------------------------------------------------------------------
    async def _poll(self) -> None:
        """Status twice a second: role, elapsed time, counters; each poll is also
        the host heartbeat of a session started with heartbeat=."""
        while True:
            await asyncio.sleep(POLL_S)
            try:
                await self.refresh_status()
                if self.alarms["rows"] or self.alarms["silence_ms"] or self.status.get("alarms") not in ("none", None):
                    await self.refresh_alarms()
            except (UserError, TimeoutError):
                continue  # a lost port is reported by the bridge; a slow reply is retried next time

    async def refresh_status(self) -> None:
        st = parse_fields(await self.bridge.request("status"))
        self.status = st
        state = st.get("state")
        if state in ("run", "pause"):
            total = int(st.get("elapsed_ms", 0)) + int(st.get("remaining_ms", 0))
            self.session = {"state": state, "program": st.get("program"), "total_ms": total,
                            "elapsed_ms": int(st.get("elapsed_ms", 0)), "started_here": self.host_session}
            self.broadcast({"t": "session", "session": self.session})
        elif self.session.get("state") in ("run", "pause") and state in ("idle", "fault", "release"):
            # Ended without a session_end seen yet (an alarm: the device went safe).
            if state == "fault":
                self.session = {**self.session, "state": "ended",
                                "end": {"reason": "alarm", "elapsed_ms": self.session.get("elapsed_ms", 0)}}
                self.broadcast({"t": "session", "session": self.session})
        self.broadcast({"t": "status", "status": st})

    async def refresh_alarms(self) -> None:
        silence_ms, rows = parse_active(await self.bridge.request("alarms"))
        self.alarms = {"silence_ms": silence_ms, "rows": rows}
        self.broadcast({"t": "alarms", "alarms": self.alarms})

    # ---- tuning results ----------------------------------------------------------
    async def _autotune_finished(self, msg: Message) -> None:
        word = msg.text.split()[1]
        if word == "tune_aborted":
            self.tune["auto"] = {"state": "aborted", "why": msg.text.split(" ", 2)[2] if msg.text.count(" ") >= 2 else ""}
        else:
            current = {}
            for name in ("scheduled", "kp", "ki", "kd", "tau"):
                current[name] = parse_fields(await self.bridge.request("get " + name)).get(name)
            self.tune["auto"] = {"state": "staged", "result": msg.fields, "current": current}
        self.broadcast({"t": "tune", "tune": self.tune})

    # ---- the end -------------------------------------------------------------------
    async def shutdown(self, why: str) -> None:
        """Leaving: a session started here is stopped (the server is its host)."""
        if self.host_session and not self.lost:
            await self.stop_host_session(why)
        for task in list(self._tasks):
            task.cancel()
        if not self.lost:
            try:
                await self.bridge.request("tel off")
            except (UserError, TimeoutError, DeviceError):
                pass
