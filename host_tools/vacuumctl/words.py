"""What a person reads: the device's key=value text in sentences and tables.

The device speaks integer Pa, ms, duty_u16 and key=value words (stable, for
machines: ``--raw``, ``--json``, the CSVs); everything a technician reads goes
through here: pressures in the user's unit (``--unit``), durations in s, min
or h, duties in %, ``-`` for a value the device does not know yet (``-1``).
"""
from __future__ import annotations

from typing import Sequence

from . import userunit
from .telemetry import Message, parse_fields

DUTY_FULL = 65535
UNKNOWN = "-"

# What each alarm means, in a few words (docs/safety.md has the rules).
ALARM_MEANING = {
    "overvacuum": "vacuum above the trip level",
    "rise": "vacuum rising faster than any cup allows (blockage?)",
    "pump_on": "vacuum kept up or rising with the pump off (pump stuck on, or a vent that does not open: commission it)",
    "vent": "the release does not vent (vent valve stuck?)",
    "sensor": "the pressure sensor does not answer or reads nonsense",
    "stuck": "the pressure reading is frozen",
    "offset": "the sensor does not read zero at rest (offset)",
    "internal": "an internal error in the firmware",
    "hold": "held above the program's limit for too long",
    "session_time": "the session ran beyond the program's limit",
    "host": "no heartbeat from the host program",
    "blockage": "no flow at the setpoint (blocked tube or full canister?)",
    "pump": "the pump runs but the vacuum does not come (pump failure?)",
    "leak": "the target cannot be reached or held (leak?)",
    "interrupted": "a session was cut short by a power loss or a reset",
    "reset": "the board was reset by its watchdog or a brown-out",
    "overrun": "the control loop missed a deadline",
}

STATE_WORDS = {
    "idle": "idle", "run": "running", "pause": "paused", "release": "releasing to ambient",
    "fault": "in fault (pump off, vent open)",
}
END_WORDS = {
    "completed": "completed", "stopped": "stopped", "pause_limit": "ended: paused longer than 10 min",
    "alarm": "ended by an alarm", "ctrl_c": "stopped by a Ctrl-C on the serial line",
}


# Why the laser is off (docs/programs.md, "When the laser emits").
LASER_OFF_WORDS = {
    "idle": "no laser session running", "alarm": "an alarm is active", "switch": "the contact switch is open",
    "sensor": "no fresh pressure sample", "vacuum": "the vacuum is below contact",
    "release_switch": "lift the applicator once and put it back", "proving": "proving the contact",
    "rollers": "the rollers are not turning", "limit": "the session's laser time is used up",
}


# ---- single values ---------------------------------------------------------
def duration(ms: int | str | None) -> str:
    """``25`` -> ``25 ms``, ``1500`` -> ``1.5 s``, ``90000`` -> ``1 min 30 s``, ``-1`` -> ``-``."""
    if not isinstance(ms, int):
        try:
            ms = int(str(ms))
        except ValueError:
            return UNKNOWN
    if ms < 0:
        return UNKNOWN
    if 0 < ms < 1000:
        return "%d ms" % ms
    if ms < 10_000:
        return ("%.1f" % (ms / 1000)).removesuffix(".0") + " s"
    s = ms // 1000
    if s < 60:
        return "%d s" % s
    if s < 3600:
        return "%d min" % (s // 60) + (" %d s" % (s % 60) if s % 60 else "")
    if s < 48 * 3600:
        return "%d h" % (s // 3600) + (" %d min" % (s % 3600 // 60) if s % 3600 // 60 else "")
    return "%d d" % (s // 86400) + (" %d h" % (s % 86400 // 3600) if s % 86400 // 3600 else "")


def uptime(ms: int | str | None) -> str:
    """Device uptime as a clock: ``11088`` -> ``0:11.1``, ``3723000`` -> ``1:02:03``."""
    try:
        v = int(str(ms))
    except ValueError:
        return UNKNOWN
    s, frac = divmod(v, 1000)
    if s >= 3600:
        return "%d:%02d:%02d" % (s // 3600, s % 3600 // 60, s % 60)
    return "%d:%02d.%d" % (s // 60, s % 60, frac // 100)


def pressure(pa: int | str | None, unit: str) -> str:
    try:
        return userunit.show(int(str(pa)), unit)
    except ValueError:
        return UNKNOWN


def duty(u16: int | str | None) -> str:
    try:
        return "%.1f %%" % (int(str(u16)) * 100 / DUTY_FULL)
    except ValueError:
        return UNKNOWN


def flow(ml_min: int | str | None) -> str:
    try:
        v = int(str(ml_min))
    except ValueError:
        return UNKNOWN
    return UNKNOWN if v < 0 else "%d mL/min" % v


def value(key: str, raw: int | str, unit: str) -> tuple[str, str]:
    """A device field as (label, text): the unit suffix of its key tells
    how to show it (``_pa`` pressure, ``_ms`` duration, ``_duty`` percent,
    ``_ml_min`` flow, ``_us`` microseconds); -1 is ``-``."""
    if key.endswith("_pa"):
        return key[:-3], pressure(raw, unit)
    if key.endswith("_ms"):
        return key[:-3], duration(raw)
    if key.endswith("_duty"):
        return key, duty(raw)
    if key.endswith("_ml_min"):
        return key[:-7], flow(raw)
    if key.endswith("_us"):
        return key[:-3], UNKNOWN if raw == -1 else "%s µs" % raw
    if key.endswith("_mhz"):
        return key[:-4], "%g Hz" % (int(raw) / 1000) if isinstance(raw, int) else str(raw)
    if key.endswith("_pct"):
        return key[:-4], "%s %%" % raw
    return key, UNKNOWN if raw == -1 else str(raw)


def fields_text(fields: dict[str, int | str], unit: str, skip: tuple[str, ...] = ()) -> str:
    """``target_pa=30000 ramp_ms=2000`` -> ``target 30.00kPa, ramp 2 s``."""
    out = []
    for k, v in fields.items():
        if k in skip:
            continue
        label, text = value(k, v, unit)
        out.append("%s %s" % (label.replace("_", " "), text))
    return ", ".join(out)


# ---- replies -------------------------------------------------------------------
def started(reply: str, unit: str) -> str:
    """``started continuous target_pa=29998 ramp_ms=2000 duration_ms=12000``
    -> ``started continuous: target 225.0mmHg, ramp 2 s, duration 12 s``."""
    words = reply.split()
    if len(words) < 2 or words[0] != "started":
        return reply
    f = parse_fields(reply)
    text = "started %s: %s" % (words[1], fields_text(f, unit, skip=("heartbeat_ms",)))
    if "heartbeat_ms" in f:
        text += "; the host must be heard every %s" % duration(f["heartbeat_ms"])
    return text


def stopped(reply: str) -> str:
    """The device's reply to ``stop``."""
    if reply.startswith("stopped"):
        return "stopped: pump off, the vent releases to ambient"
    if reply.startswith("idle"):
        return "nothing to stop: no session is running"
    return reply


def role(reply: str) -> str:
    """``role=service timeout_s=600`` -> a sentence."""
    f = parse_fields(reply)
    if f.get("role") == "service":
        t = f.get("timeout_s")
        return ("service role unlocked: it ends at 'vacuumctl lock', after %s without a service command, "
                "or at a reset" % (duration(int(t) * 1000) if isinstance(t, int) else "a while"))
    if f.get("role") == "therapist":
        return "locked: back to the therapist role"
    return reply


# ---- unsolicited messages --------------------------------------------------------
def alarm(msg: Message, unit: str) -> str:
    """``alarm raise pump priority=medium latching=1 t_ms=11088 vacuum_pa=24352`` ->
    ``ALARM pump (medium priority, latched): the pump runs ... at 0:11.1, vacuum 182.7mmHg``."""
    words = msg.text.split()
    f = msg.fields
    action = words[1] if len(words) > 1 else "?"
    name = words[2] if len(words) > 2 and "=" not in words[2] else ""
    at = " at %s" % uptime(f["t_ms"]) if "t_ms" in f else ""
    if action == "raise":
        meaning = ALARM_MEANING.get(name, "")
        return "ALARM %s (%s priority, %s)%s%s, vacuum %s" % (
            name, f.get("priority", "?"), "latched until cleared" if f.get("latching") == 1 else "ends by itself",
            ": " + meaning if meaning else "", at, pressure(f.get("vacuum_pa"), unit))
    if action == "end":
        return "alarm %s ended%s" % (name, at)
    if action == "clear":
        return "alarm %s cleared%s" % (name, at)
    if action == "ack":
        return "alarm %s acknowledged%s: the sound stops, the alarm stays" % (name, at)
    if action == "silence":
        return "alarm sound paused for %s%s" % (duration(f.get("ms")), at)
    return msg.text


def event(msg: Message, unit: str) -> str:
    """A device event in a sentence (unknown ones: their fields in words)."""
    words = msg.text.split()
    kind = words[1] if len(words) > 1 else ""
    f = msg.fields
    if kind == "session_end":
        return "session %s (%s): %s at target; vacuum now %s" % (
            END_WORDS.get(str(f.get("reason")), str(f.get("reason"))), f.get("program", "?"),
            duration(f.get("delivered_ms")), pressure(f.get("vacuum_pa"), unit))
    if kind == "dot_done":
        return "dot %s done (vacuum now %s): move the cup, then 'next'" % (f.get("dots", "?"), pressure(f.get("vacuum_pa"), unit))
    if kind == "seal_check":
        return "seal check: leak %s at %s pump: %s" % (flow(f.get("leak_ml_min")), duty(f.get("pump_duty")),
                                                      "seal ok" if f.get("verdict") == "ok" else "poor seal, check the dressing")
    if kind == "pulse_achieved":
        return "pulses: swing %s of the wanted %s (%s %%), after %s cycles" % (
            pressure(f.get("swing_pa"), unit), pressure(f.get("wanted_swing_pa"), unit), f.get("depth_pct", "?"), f.get("cycles", "?"))
    if kind == "therapy_inactive":
        return "reminder: wound therapy (%s) has been off for %s" % (f.get("program", "?"), duration(f.get("off_ms")))
    if kind == "session_interrupted":
        return "a %s session started at %s of the previous power-on was cut short (%s)" % (
            f.get("program", "?"), uptime(f.get("started_ms")), str(f.get("reset", "?")).replace("_", " "))
    if kind == "access":
        return "service role ended (%s): back to the therapist role" % f.get("reason", "?")
    if kind == "ctrl_c":
        if f.get("action") == "none":
            return "Ctrl-C on the serial line: the %s session is already releasing" % f.get("program", "?")
        return "Ctrl-C on the serial line: the %s session was stopped, pump off, venting; the firmware keeps running" % f.get("program", "?")
    if kind == "laser":
        on = words[2:3] == ["on"]
        why = LASER_OFF_WORDS.get(str(f.get("reason")), str(f.get("reason", "?")).replace("_", " "))
        return "laser %s at %s%s; %s of emission this session" % (
            "on" if on else "off", uptime(f.get("t_ms")), "" if on else " (%s)" % why, duration(f.get("laser_ms")))
    if kind == "tune_aborted":
        return "autotune aborted: %s after %s cycles (nothing staged)" % (str(f.get("reason", "?")).replace("_", " "), f.get("cycles", "?"))
    rest = fields_text(f, unit)
    return "%s%s" % (kind.replace("_", " "), ": " + rest if rest else "")


def message(msg: Message, unit: str) -> str:
    """Any unsolicited line (not telemetry) for a person."""
    if msg.kind == "alarm":
        return alarm(msg, unit)
    if msg.kind == "event":
        return event(msg, unit)
    if msg.kind == "boot":
        f = msg.fields
        return "the device booted: firmware %s, board %s (%s)" % (
            msg.text.split()[1] if len(msg.text.split()) > 1 else "?", f.get("board", "?"),
            str(f.get("reset", "?")).replace("_", " "))
    return msg.text


# ---- status ------------------------------------------------------------------------
# (label, device key or keys) in reading order; keys the device adds later
# come at the end, shown by value().
_STATUS_ROWS: tuple[tuple[str, str], ...] = (
    ("state", "state"), ("program", "program"), ("phase", "phase"),
    ("vacuum", "vacuum_pa"), ("setpoint", "setpoint_pa"), ("target", "target_pa"),
    ("pump", "pump_duty"), ("vent", "valve_duty"), ("alarms", "alarms"),
    ("time left", "remaining_ms"), ("elapsed", "elapsed_ms"), ("paused for", "pause_ms"),
    ("at target", "delivered_ms"), ("leak", "leak_ml_min"), ("seal leak", "seal_ml_min"),
    ("dots", "dots"), ("therapy today", "therapy_today_ms"), ("therapy yesterday", "therapy_yesterday_ms"),
    ("trip level", "trip_pa"), ("ceiling", "ceiling_pa"), ("role", "role"), ("storage", "storage"),
    ("sensor errors", "sensor_errors"), ("overruns", "overruns"), ("flash stalls", "flash_stalls"),
    ("latest tick", "max_late_us"), ("collections", "gc_runs"),
    # A laser applicator board (docs/programs.md).
    ("laser", "laser"), ("laser off because", "laser_reason"), ("emission so far", "laser_ms"),
    ("laser time limit", "laser_time_ms"), ("rollers", "roller_pct"), ("roller pulses", "roller_hz"),
    ("contact switch", "contact"), ("emission seen", "emission"),
)
LABEL_WIDTH = 18


def status_rows(fields: dict[str, int | str], unit: str) -> list[tuple[str, str]]:
    """A status reply as (label, value) rows for a person."""
    rows: list[tuple[str, str]] = []
    seen = set()
    for label, key in _STATUS_ROWS:
        if key not in fields:
            continue
        seen.add(key)
        raw = fields[key]
        if key == "state":
            text = STATE_WORDS.get(str(raw), str(raw))
        elif key == "phase" and raw == "none":
            continue
        elif key == "valve_duty":
            text = duty(raw) + " open"
        elif key == "alarms":
            text = "none" if raw == "none" else ", ".join(str(raw).split(","))
        elif key == "max_late_us":
            text = "%s µs late at most" % raw
        elif key == "laser_reason":
            if fields.get("laser") == "on":
                continue
            text = LASER_OFF_WORDS.get(str(raw), str(raw).replace("_", " "))
        elif key == "roller_hz":
            text = "%s per second" % raw
        else:
            text = value(key, raw, unit)[1]
        rows.append((label, text))
    for key, raw in fields.items():
        if key not in seen:
            label, text = value(key, raw, unit)
            rows.append((label.replace("_", " "), text))
    return rows


def status_table(fields: dict[str, int | str], unit: str) -> list[str]:
    return ["%-*s %s" % (LABEL_WIDTH, label, text) for label, text in status_rows(fields, unit)]


# ---- therapy log -------------------------------------------------------------------
LOG_HEADER = ("#", "boot", "started", "program", "length", "at target", "how it ended", "alarms", "on flash")


def log_rows(rows: list[dict[str, str]]) -> list[tuple[str, ...]]:
    out: list[tuple[str, ...]] = [LOG_HEADER]
    for r in rows:
        out.append((r.get("seq", UNKNOWN), r.get("boot", UNKNOWN), uptime(r.get("start_ms")), r.get("program", UNKNOWN),
                    duration(r.get("elapsed_ms")), duration(r.get("delivered_ms")),
                    END_WORDS.get(r.get("end", ""), r.get("end", "") or "not ended (cut short)"),
                    (r.get("alarms") or UNKNOWN).replace(",", ", "),
                    {"yes": "yes", "no": "no (RAM only)"}.get(r.get("stored", ""), r.get("stored", UNKNOWN))))
    return out


def table(rows: Sequence[Sequence[str]]) -> list[str]:
    """Rows as aligned columns (the first row is the header)."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
