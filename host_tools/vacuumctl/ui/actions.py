"""What a page can ask for, one function per action, registered with whether
it needs control of the device. Each talks to the device through the hub's
bridge, parses with the host tool's own parsers (programs, config, alarms,
tune) and returns what the page shows; device refusals come back as the
CLI's sentences."""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any, Awaitable, Callable

from .. import tune as tune_cmd
from .. import units
from ..alarms_cmd import parse_log as parse_alarm_log
from ..alarms_cmd import silence_token
from ..config_cmd import param_names, parse_get, token
from ..errors import UserError, readable
from ..programs import LOG_COLUMNS, parse_log_row
from ..telemetry import Message, parse_fields
from .hub import CONSOLE_REFUSED, TEL_RATE_HZ, Client, Hub, mask_secret
from .preview import preview

Handler = Callable[[Hub, Client, dict[str, Any]], Awaitable[Any]]
STEP_TEL_HZ = 100  # a step test's telemetry: rise times of a few hundred ms need it
SILENCE_S = 30  # no telemetry for this long (wall time) during a test: the device is gone or hung


@dataclass(frozen=True)
class Action:
    fn: Handler
    needs_control: bool


ACTIONS: dict[str, Action] = {}


def action(name: str, control: bool = True) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        ACTIONS[name] = Action(fn, control)
        return fn
    return register


# ---- values the page typed ------------------------------------------------------
def _program(hub: Hub, name: str) -> dict[str, Any]:
    for p in hub.catalog:
        if p["name"] == name:
            return p
    raise UserError("the device has no program '%s'" % name)


def device_value(name: str, unit: str, text: str) -> int:
    """A typed value with its unit -> the device's integer (Pa, ms, mHz)."""
    text = str(text).strip()
    if unit == "Pa":
        return units.to_device_pa(text)
    if unit == "ms":
        return units.to_device_ms(text)
    if unit == "mHz":
        return units.to_device_mhz(text)
    raise UserError("%s: unknown unit %s" % (name, unit))


def device_token(unit: str, value: int) -> str:
    """The device's input form: Pa and ms as integers with their unit; a rate in Hz."""
    if unit == "mHz":
        return "%d.%03dHz" % divmod(value, 1000)
    return "%d%s" % (value, unit)


def program_values(prog: dict[str, Any], typed: dict[str, Any], check_range: bool) -> dict[str, int]:
    """Every parameter of the program in device units: typed ones converted
    (a unit is always needed), the others at the device's default."""
    values: dict[str, int] = {}
    for name in typed:
        if name not in prog["params"]:
            raise UserError("%s has no parameter '%s' (it has: %s)" % (prog["name"], name, ", ".join(prog["params"])))
    for name, q in prog["params"].items():
        text = typed.get(name)
        if text is None or str(text).strip() == "":
            if q["default"] is None:
                raise UserError(readable("%s needs a value (range %s..%s)" % (
                    name, device_token(q["unit"], q["lo"]), device_token(q["unit"], q["hi"]))))
            values[name] = q["default"]
            continue
        try:
            v = device_value(name, q["unit"], text)
        except units.UnitError as e:
            raise UserError("%s: %s" % (name, e)) from None
        if check_range and not q["lo"] <= v <= q["hi"]:
            raise UserError("%s %s is out of range %s" % (name, text, readable("%s..%s" % (
                device_token(q["unit"], q["lo"]), device_token(q["unit"], q["hi"])))))
        values[name] = v
    return values


# ---- control -----------------------------------------------------------------------
@action("hb", control=False)
async def _hb(hub: Hub, client: Client, msg: dict[str, Any]) -> Any:
    return "alive"


@action("take_control", control=False)
async def _take(hub: Hub, client: Client, msg: dict[str, Any]) -> Any:
    hub.take_control(client)
    return "you control the device"


@action("release_control")
async def _release(hub: Hub, client: Client, msg: dict[str, Any]) -> Any:
    hub.release_control(client)
    return "released: you watch; another page may take control"


# ---- session -----------------------------------------------------------------------
@action("preview", control=False)
async def _preview(hub: Hub, client: Client, msg: dict[str, Any]) -> Any:
    prog = _program(hub, str(msg.get("program")))
    values = program_values(prog, dict(msg.get("params") or {}), check_range=True)
    return preview(str(prog.get("kind")), values).as_json()


def _with_heartbeat(hub: Hub, line: str) -> str:
    return line + (" heartbeat=%dms" % hub.heartbeat_ms if hub.heartbeat_ms else "")


async def _start_line(hub: Hub, line: str) -> str:
    """Send a start: the session now belongs to this dashboard's controlling page."""
    was = hub.host_session
    hub.host_session = True  # before sending: a page leaving meanwhile still stops it
    try:
        # link.start: sent again while an absolute sensor takes its boot zero.
        reply = await hub.bridge.call(hub.bridge.link.start, line)
    except TimeoutError:
        raise  # it may have started: stopping it on leave is harmless
    except BaseException:
        hub.host_session = was
        raise
    hub.session = {"state": "starting", "started_here": True}
    return reply


@action("start")
async def _start(hub: Hub, client: Client, msg: dict[str, Any]) -> Any:
    prog = _program(hub, str(msg.get("program")))
    values = program_values(prog, dict(msg.get("params") or {}), check_range=False)  # the device checks ranges
    args = " ".join("%s=%s" % (n, device_token(prog["params"][n]["unit"], v)) for n, v in values.items())
    return await _start_line(hub, _with_heartbeat(hub, "start %s %s" % (prog["name"], args)))


@action("stop")
async def _stop(hub: Hub, client: Client, msg: dict[str, Any]) -> Any:
    if hub.auto_tuning:
        await hub.bridge.request("tune abort")
    return await hub.bridge.request("stop")


def _device_command(command: str, refresh: Callable[[Hub], Awaitable[Any]] | None = None) -> Handler:
    """An action that is a device command as it is; then refresh(hub), if
    given, updates what the command changes on the page."""
    async def send(hub: Hub, client: Client, msg: dict[str, Any]) -> Any:
        reply = await hub.bridge.request(command)
        if refresh is not None:
            await refresh(hub)
        return reply
    return send


for _command in ("pause", "resume", "next"):
    action(_command)(_device_command(_command))


@action("set_target")
async def _set_target(hub: Hub, client: Client, msg: dict[str, Any]) -> Any:
    return await hub.bridge.request("set target %dPa" % units.to_device_pa(str(msg.get("value", ""))))


# ---- alarms ------------------------------------------------------------------------
for _command in ("ack", "clear"):
    action(_command)(_device_command(_command, lambda hub: hub.refresh_alarms()))


@action("silence")
async def _silence(hub: Hub, client: Client, msg: dict[str, Any]) -> Any:
    reply = await hub.bridge.request("silence" + silence_token(msg.get("duration")))
    await hub.refresh_alarms()
    return reply


@action("alarm_log", control=False)
async def _alarm_log(hub: Hub, client: Client, msg: dict[str, Any]) -> Any:
    flash = bool(msg.get("flash"))
    return parse_alarm_log(await hub.bridge.request("flashlog alarm 100" if flash else "alarms log 32"))


# ---- access ------------------------------------------------------------------------
@action("unlock")
async def _unlock(hub: Hub, client: Client, msg: dict[str, Any]) -> Any:
    # The code goes to the device and nowhere else: not stored, not logged, not echoed.
    reply = await hub.bridge.call(hub.bridge.link.unlock, str(msg.get("code", "")))
    await hub.refresh_status()
    return reply


action("lock")(_device_command("lock", lambda hub: hub.refresh_status()))


# ---- configuration ---------------------------------------------------------------
async def config_snapshot(hub: Hub) -> dict[str, Any]:
    req = hub.bridge.request
    params = [parse_get(await req("config get %s" % n)) for n in param_names(await req("config show"))]
    return {"params": params, "diff": await req("config diff")}


async def _config_changed(hub: Hub) -> dict[str, Any]:
    snap = await config_snapshot(hub)
    hub.broadcast({"t": "config", "config": snap})
    return snap


@action("config_list", control=False)
async def _config_list(hub: Hub, client: Client, msg: dict[str, Any]) -> Any:
    return await config_snapshot(hub)


@action("config_set")
async def _config_set(hub: Hub, client: Client, msg: dict[str, Any]) -> Any:
    name = str(msg.get("name", ""))
    text = str(msg.get("value", "")).strip()
    f = parse_get(await hub.bridge.request("config get %s" % name))
    unit = str(f.get("unit"))
    if unit in ("Pa", "ms"):  # typed with its unit, sent as the device's integer
        try:
            value = units.to_device_pa(text) if unit == "Pa" else units.to_device_ms(text)
        except units.UnitError as e:
            raise UserError("%s: %s" % (name, e)) from None
    else:
        try:
            value = units.parse_int(text)
        except units.UnitError as e:
            raise UserError("%s: %s" % (name, e)) from None
    reply = await hub.bridge.request("config set %s %s" % (name, token(value, unit)))
    await _config_changed(hub)
    return reply


for _step in ("commit", "revert", "reset"):
    action("config_" + _step)(_device_command("config " + _step, _config_changed))


@action("config_audit", control=False)
async def _config_audit(hub: Hub, client: Client, msg: dict[str, Any]) -> Any:
    reply = await hub.bridge.request("config audit 20")
    return [e.strip() for e in reply.partition(": ")[2].split("; ") if e.strip()]


# ---- tuning ------------------------------------------------------------------------
@action("step_test")
async def _step_test(hub: Hub, client: Client, msg: dict[str, Any]) -> Any:
    sp = units.to_device_pa(str(msg.get("target", "")))
    hold_ms = units.to_device_ms(str(msg.get("hold", "10s")))
    await hub.bridge.call(tune_cmd._idle_and_clear, hub.bridge.link)
    tel: list[dict[str, int | str]] = []
    events: list[Message] = []
    done = asyncio.Event()
    last = [time.monotonic()]

    def on_tel(f: dict[str, int | str]) -> None:
        tel.append(f)
        last[0] = time.monotonic()
        ended = any("session_end" in m.text for m in events)
        if (ended and f.get("state") == "idle") or f.get("state") == "fault":
            done.set()

    def on_msg(m: Message) -> None:
        if m.kind in ("event", "alarm"):
            events.append(m)
        if m.kind == "boot":
            done.set()

    unwatch_tel = hub.watch_tel(on_tel)
    unwatch_msg = hub.watch_messages(on_msg)
    try:
        await hub.bridge.request("tel on %dHz" % STEP_TEL_HZ)
        await _start_line(hub, _with_heartbeat(hub, "start continuous target=%dPa ramp=0ms duration=%dms" % (sp, hold_ms)))
    except BaseException:
        unwatch_tel()
        unwatch_msg()
        await hub.bridge.request("tel on %dHz" % TEL_RATE_HZ)
        raise
    hub.tune["step"] = {"state": "running", "sp": sp, "hold_ms": hold_ms}
    hub.broadcast({"t": "tune", "tune": hub.tune})

    async def finish() -> None:
        try:
            while not done.is_set():
                try:
                    await asyncio.wait_for(done.wait(), 1.0)
                except asyncio.TimeoutError:
                    if time.monotonic() - last[0] > SILENCE_S:
                        raise UserError("telemetry stopped arriving for %d s during the step test" % SILENCE_S) from None
        except UserError as e:
            hub.tune["step"] = {"state": "failed", "why": str(e), "sp": sp}
            hub.broadcast({"t": "tune", "tune": hub.tune})
            return
        finally:
            unwatch_tel()
            unwatch_msg()
            try:
                await hub.bridge.request("tel on %dHz" % TEL_RATE_HZ)
            except (UserError, TimeoutError):
                pass
        hub.tune["step"] = await _step_result(hub, sp, hold_ms, tel, events)
        hub.broadcast({"t": "tune", "tune": hub.tune})

    hub.spawn(finish())
    return "step to %dPa, holding %g s of device time" % (sp, hold_ms / 1000)


async def _step_result(hub: Hub, sp: int, hold_ms: int, tel: list[dict[str, int | str]],
                       events: list[Message]) -> dict[str, Any]:
    alarms = sorted({str(f.get("alarms")) for f in tel} - {"none"})
    completed = any("reason=completed" in m.text for m in events if "session_end" in m.text)
    try:
        samples, t0 = tune_cmd.step_samples(tel)
        figs = tune_cmd.step_figures(samples, sp)
    except UserError as e:
        return {"state": "failed", "why": str(e), "sp": sp, "alarms": alarms}
    gain = parse_fields(await hub.bridge.request("get plant_gain")).get("plant_gain")
    run = [f for f in tel if f.get("state") == "run"]
    return {
        "state": "done" if completed and not alarms else "stopped" if not alarms else "alarm",
        "sp": sp, "hold_ms": hold_ms, "t0_ms": t0, "alarms": alarms, "plant_gain": gain,
        "samples": [[t, v] for t, v in samples],
        "setpoint": [[(int(f["t_ms"]) - t0) / 1000.0, int(f["setpoint_pa"])] for f in run],
        "figures": {"rise_s": figs.rise_s, "settle_s": figs.settle_s, "overshoot_pct": figs.overshoot_pct,
                    "ss_error_pa": figs.ss_error_pa, "ss_rms_pa": figs.ss_rms_pa, "t10_s": figs.t10_s,
                    "t90_s": figs.t90_s, "peak_s": figs.peak_s, "tail_from_s": figs.tail_from_s,
                    "band": tune_cmd.BAND},
        "lines": figs.lines(sp),
    }


@action("autotune")
async def _autotune(hub: Hub, client: Client, msg: dict[str, Any]) -> Any:
    sp = units.to_device_pa(str(msg.get("target", "")))
    amp = int(msg.get("amp", 20))
    timeout_ms = units.to_device_ms(str(msg.get("timeout", "120s")))
    await hub.bridge.call(tune_cmd._idle_and_clear, hub.bridge.link)
    reply = await _start_line(hub, "tune auto target=%dPa amp=%d timeout=%dms" % (sp, amp, timeout_ms))
    hub.auto_tuning = True
    hub.tune["auto"] = {"state": "running", "sp": sp, "reply": reply}
    hub.broadcast({"t": "tune", "tune": hub.tune})
    return reply


@action("tune_commit")
async def _tune_commit(hub: Hub, client: Client, msg: dict[str, Any]) -> Any:
    rule = str(msg.get("rule"))
    if rule not in tune_cmd.RULES:
        raise UserError("rule must be one of %s" % ", ".join(tune_cmd.RULES))
    reply = await hub.bridge.request("tune commit %s" % rule)
    hub.tune["auto"] = {**hub.tune.get("auto", {}), "state": "committed", "rule": rule, "reply": reply}
    hub.broadcast({"t": "tune", "tune": hub.tune})
    return reply


@action("tune_discard")
async def _tune_discard(hub: Hub, client: Client, msg: dict[str, Any]) -> Any:
    reply = await hub.bridge.request("tune discard")
    hub.tune["auto"] = {"state": "discarded", "reply": reply}
    hub.broadcast({"t": "tune", "tune": hub.tune})
    return reply


# ---- logs --------------------------------------------------------------------------
async def therapy_log(hub: Hub) -> tuple[dict[str, int | str], list[dict[str, str]]]:
    """The log's head (count, persistent, storage) and its records, oldest first."""
    head = parse_fields(await hub.bridge.request("log"))
    rows = [parse_log_row(await hub.bridge.request("log %d" % i)) for i in range(int(head.get("count", 0)))]
    return head, rows


@action("therapy_log", control=False)
async def _therapy_log(hub: Hub, client: Client, msg: dict[str, Any]) -> Any:
    head, rows = await therapy_log(hub)
    return {"head": head, "columns": list(LOG_COLUMNS), "rows": [[r.get(c, "") for c in LOG_COLUMNS] for r in rows]}


# ---- console -----------------------------------------------------------------------
@action("console")
async def _console(hub: Hub, client: Client, msg: dict[str, Any]) -> Any:
    line = str(msg.get("line", "")).strip()
    if not line:
        return ""
    shown = mask_secret(line)
    hub.console("in", shown)
    word = line.split()[0]
    if word in CONSOLE_REFUSED:
        hub.console("err", "not sent: " + CONSOLE_REFUSED[word])
        raise UserError("not sent: " + CONSOLE_REFUSED[word])
    try:
        if word == "start":
            reply = await _start_line(hub, line)  # a session typed here is this page's too
        else:
            reply = await hub.bridge.request(line)
    except UserError as e:
        code = getattr(e, "code", "")
        text = "err %s %s" % (code, getattr(e, "message", str(e))) if code else "error: %s" % e
        hub.console("err", text)
        raise
    hub.console("out", "ok " + reply)
    if word in ("unlock", "lock", "passcode"):
        await hub.refresh_status()
    return "ok " + reply
