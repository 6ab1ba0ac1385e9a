"""The dashboard's web server (aiohttp): the page and its assets from this
package (no CDN, no build step), one WebSocket per page for everything live,
CSV downloads; bound to 127.0.0.1 unless the user asks for an address.

Access: without ``--listen`` only this machine is served (a peer that is not
loopback is refused, and so is a Host header that is not 127.0.0.1 or
localhost, against DNS rebinding); every WebSocket must come from the page
this server served (Origin equals Host), so another web site open in the
same browser cannot drive the device."""
from __future__ import annotations

import asyncio
import csv
import io
import ipaddress
import json
import os
import signal
import socket
import sys
import threading
import time
import webbrowser
from pathlib import Path
from typing import Any, Awaitable, Callable
from urllib.parse import urlsplit

from aiohttp import WSMsgType, web

from ..alarms_cmd import LOG_COLUMNS as ALARM_LOG_COLUMNS
from ..alarms_cmd import parse_log as parse_alarm_log
from ..config_cmd import FORMAT, VERSION, param_names, parse_get
from ..errors import DeviceError, UserError
from ..link import DeviceLink
from ..programs import LOG_COLUMNS
from ..units import UnitError
from .actions import ACTIONS, therapy_log
from .bridge import DeviceBridge
from .hub import Client, Hub

STATIC = Path(__file__).resolve().parent / "static"
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
HUB_KEY: web.AppKey[Hub] = web.AppKey("hub", Hub)
SOCKETS_KEY: web.AppKey[set[web.WebSocketResponse]] = web.AppKey("sockets", set)
REMOTE_KEY: web.AppKey[bool] = web.AppKey("allow_remote", bool)


def _is_loopback(addr: str | None) -> bool:
    if not addr:
        return False
    try:
        return ipaddress.ip_address(addr.split("%")[0]).is_loopback
    except ValueError:
        return False


def _host_name(host_header: str) -> str:
    return (urlsplit("//" + host_header).hostname or "").lower()


@web.middleware
async def guard(request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> web.StreamResponse:
    if not request.app[REMOTE_KEY]:
        if not _is_loopback(request.remote):
            raise web.HTTPForbidden(text="this dashboard serves only the machine it runs on "
                                         "(start it with --listen ADDR to allow others)\n")
        if _host_name(request.host) not in LOCAL_HOSTS:
            raise web.HTTPForbidden(text="refused: open the dashboard as http://127.0.0.1:PORT/\n")
    resp = await handler(request)
    resp.headers.setdefault("Cache-Control", "no-store")
    resp.headers.setdefault("X-Content-Type-Options", "nosniff")
    resp.headers.setdefault("X-Frame-Options", "DENY")
    return resp


async def index(request: web.Request) -> web.StreamResponse:
    return web.FileResponse(STATIC / "index.html")


async def websocket(request: web.Request) -> web.StreamResponse:
    origin = request.headers.get("Origin", "")
    if urlsplit(origin).netloc.lower() != request.host.lower():
        raise web.HTTPForbidden(text="refused: a WebSocket from another site (%s)\n" % (origin or "no Origin"))
    hub = request.app[HUB_KEY]
    ws = web.WebSocketResponse(max_msg_size=64 * 1024)
    await ws.prepare(request)
    request.app[SOCKETS_KEY].add(ws)
    client = hub.attach(request.remote or "?")
    actions: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    writer = asyncio.ensure_future(_write(ws, client))
    worker = asyncio.ensure_future(_run_actions(hub, client, actions))
    why = "the controlling page was closed"
    try:
        async for m in ws:
            if m.type != WSMsgType.TEXT:
                continue
            client.last_seen = time.monotonic()
            try:
                msg = json.loads(m.data)
            except ValueError:
                continue
            if not isinstance(msg, dict) or msg.get("op") == "hb":
                continue  # the page's heartbeat: seen above
            actions.put_nowait(msg)  # one page's actions run in the order it sent them
    finally:
        request.app[SOCKETS_KEY].discard(ws)
        writer.cancel()
        worker.cancel()
        await hub.detach(client, why)
    return ws


async def _write(ws: web.WebSocketResponse, client: Client) -> None:
    try:
        while True:
            await ws.send_str(await client.queue.get())
    except (ConnectionError, RuntimeError):
        pass  # the page went away; the reader side detaches it


async def _run_actions(hub: Hub, client: Client, queue: "asyncio.Queue[dict[str, Any]]") -> None:
    while True:
        msg = await queue.get()
        hub.send(client, await perform(hub, client, msg))


async def perform(hub: Hub, client: Client, msg: dict[str, Any]) -> dict[str, Any]:
    """Run one action for a page; the reply says ok with its result, or the sentence why not."""
    op = str(msg.get("op", ""))
    reply: dict[str, Any] = {"t": "reply", "id": msg.get("id"), "op": op}
    act = ACTIONS.get(op)
    if act is None:
        return {**reply, "ok": False, "error": "unknown action '%s'" % op}
    if act.needs_control and hub.controller != client.id:
        return {**reply, "ok": False, "code": "READ_ONLY",
                "error": "this page watches only: another page controls the device" if hub.controller is not None
                else "take control first (no page controls the device)"}
    if hub.lost:
        return {**reply, "ok": False, "error": hub.lost}
    try:
        return {**reply, "ok": True, "result": await act.fn(hub, client, msg)}
    except DeviceError as e:
        return {**reply, "ok": False, "code": e.code, "error": str(e)}
    except (UserError, UnitError, TimeoutError, ValueError) as e:
        return {**reply, "ok": False, "error": str(e)}


async def log_csv(request: web.Request) -> web.StreamResponse:
    hub = request.app[HUB_KEY]
    _, rows = await therapy_log(hub)
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(LOG_COLUMNS)
    for r in rows:
        w.writerow([r.get(c, "") for c in LOG_COLUMNS])
    return _download(out.getvalue(), "therapy_log.csv", "text/csv")


async def alarms_csv(request: web.Request) -> web.StreamResponse:
    hub = request.app[HUB_KEY]
    flash = request.query.get("flash") == "1"
    rows = parse_alarm_log(await hub.bridge.request("flashlog alarm 100" if flash else "alarms log 32"))
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(ALARM_LOG_COLUMNS)
    for r in rows:
        w.writerow([r[c] for c in ALARM_LOG_COLUMNS])
    return _download(out.getvalue(), "alarm_log.csv", "text/csv")


async def config_json(request: web.Request) -> web.StreamResponse:
    """The committed configuration in ``vacuumctl config save`` format (``config load`` reads it)."""
    hub = request.app[HUB_KEY]
    req = hub.bridge.request
    params = {n: int(parse_get(await req("config get %s" % n))["value"]) for n in param_names(await req("config show"))}
    text = json.dumps({"format": FORMAT, "version": VERSION, "from": await req("version"), "params": params}, indent=2)
    return _download(text + "\n", "config.json", "application/json")


def _download(text: str, name: str, ctype: str) -> web.Response:
    return web.Response(text=text, content_type=ctype,
                        headers={"Content-Disposition": 'attachment; filename="%s"' % name})


async def _device_error(request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> web.StreamResponse:
    try:
        return await handler(request)
    except (UserError, TimeoutError) as e:
        raise web.HTTPServiceUnavailable(text="%s\n" % e) from None


def make_app(hub: Hub, allow_remote: bool) -> web.Application:
    app = web.Application(middlewares=[guard, web.middleware(_device_error)])
    app[HUB_KEY] = hub
    app[SOCKETS_KEY] = set()
    app[REMOTE_KEY] = allow_remote
    app.router.add_get("/", index)
    app.router.add_get("/ws", websocket)
    app.router.add_get("/api/log.csv", log_csv)
    app.router.add_get("/api/alarms.csv", alarms_csv)
    app.router.add_get("/api/config.json", config_json)
    app.router.add_static("/static/", STATIC, follow_symlinks=False)

    async def close_pages(app: web.Application) -> None:
        sockets: set[web.WebSocketResponse] = app[SOCKETS_KEY]
        for ws in sockets.copy():
            await ws.close(code=1001, message=b"vacuumctl ui stopped")
    app.on_shutdown.append(close_pages)
    return app


def bind(listen: str, port: int) -> socket.socket:
    """A listening socket on listen:port (port 0: any free port)."""
    family = socket.AF_INET6 if ":" in listen else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((listen, port))
    except OSError as e:
        sock.close()
        raise UserError("cannot listen on %s port %d: %s" % (listen, port, e.strerror)) from None
    sock.listen(64)
    sock.setblocking(False)
    return sock


def _no_browser_here() -> str:
    """Why no browser window can open here ('' if one can): on Linux without
    a display, webbrowser would start a text browser in this terminal."""
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return "no display (DISPLAY is not set)"
    return ""


def page_url(listen: str, port: int) -> str:
    host = "127.0.0.1" if listen in ("0.0.0.0", "::", "127.0.0.1") else listen
    return "http://%s:%d/" % ("[%s]" % host if ":" in host else host, port)


def exposure(listen: str, port: int) -> str:
    """What --listen exposes, said once at start."""
    return ("ui: WARNING: listening on %s port %d: any machine that can reach it can watch the device, and take "
            "control of it (start, stop, alarms, console) whenever no page holds control. There is no login and "
            "no encryption; service actions still need the device's unlock code, which then crosses the network "
            "in clear text. Use it only on a network you trust." % (listen, port))


def serve(link: DeviceLink, port_label: str, http_port: int, listen: str, open_browser: bool,
          heartbeat_ms: int, unit: str = "kPa") -> int:
    return asyncio.run(_serve(link, port_label, http_port, listen, open_browser, heartbeat_ms, unit))


async def _serve(link: DeviceLink, port_label: str, http_port: int, listen: str, open_browser: bool,
                 heartbeat_ms: int, unit: str) -> int:
    loop = asyncio.get_running_loop()
    allow_remote = not _is_loopback(listen) and listen != "localhost"
    stop = asyncio.Event()
    hub_ref: list[Hub] = []

    def lost(why: str) -> None:
        if hub_ref:
            hub_ref[0].lost = why
            hub_ref[0].broadcast({"t": "lost", "text": why})
        stop.set()

    bridge = DeviceBridge(link, loop, lambda m, rx: hub_ref[0].on_message(m, rx) if hub_ref else None, lost)
    hub = Hub(bridge, port_label, heartbeat_ms, listen_note=listen if allow_remote else "", unit=unit)
    hub_ref.append(hub)
    runner: web.AppRunner | None = None
    try:
        bridge.start()
        await hub.setup()
        sock = bind(listen, http_port)
        runner = web.AppRunner(make_app(hub, allow_remote), access_log=None, handle_signals=False)
        await runner.setup()
        await web.SockSite(runner, sock).start()
        port = sock.getsockname()[1]
        url = page_url(listen, port)
        print("ui: %s" % url, flush=True)
        print("ui: device %s on %s; Ctrl-C stops the server (a session started here is stopped and vented)" % (
            " ".join("%s=%s" % kv for kv in link.device_version.items() if kv[0] in ("firmware", "board")), port_label),
            flush=True)
        if allow_remote:
            print(exposure(listen, port), flush=True)
        if open_browser:
            why_not = _no_browser_here()
            if why_not:
                print("ui: %s: open the address above in a browser" % why_not, flush=True)
            else:
                threading.Thread(target=webbrowser.open, args=(url,), daemon=True).start()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        if not hub.lost:
            await hub.shutdown("vacuumctl ui was stopped")
        else:
            await hub.shutdown("the device was lost")
    finally:
        if runner is not None:
            await runner.cleanup()
        await asyncio.get_running_loop().run_in_executor(None, bridge.close)
    if hub.lost:
        print("vacuumctl: %s" % hub.lost, file=sys.stderr)
        return 1
    print("ui: stopped", flush=True)
    return 0
