"""The setpoint a program will follow, drawn before it starts.

Built from the program's kind and the values the technician entered (device
units: Pa, ms, mHz), with the same phase rules as the device's session
(docs/programs.md, firmware/session.py): the gentle start scales the level
from 0 over ``ramp``; intermittent holds ``target`` for ``on`` and ``floor``
(0 = vent) for ``off`` with ``slew`` for each change; dynamic ramps
``floor`` -> ``target`` over ``rise`` and back over ``fall``; pulse spends
half of each period at ``target`` and half at ``floor``; dotted builds,
holds ``hold``, vents and waits. How long a cup takes to build or vent
depends on the cup, so a dotted preview assumes BUILD_S and VENT_S and says
so. Long sessions are previewed over their first cycles, and say so.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

BUILD_S = 1.0  # dotted: assumed time to build a dot (the plant decides)
VENT_S = 1.0  # dotted: assumed time to vent to ambient
NEXT_S = 2.0  # dotted with wait=0: the operator's 'next', drawn after this
CYCLES = 4  # a cyclic program is previewed over its ramp and this many cycles
MIN_HORIZON_S = 60.0  # ... and at least this long (or the whole session)
RAMP_STEPS = 24  # points drawn along the gentle start


@dataclass
class Preview:
    points: list[tuple[float, float]]  # (t_s, setpoint_pa), steps as two points at one t
    phases: list[tuple[float, float, str]]  # (t0_s, t1_s, phase name)
    horizon_s: float
    duration_s: float
    notes: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"points": self.points, "phases": self.phases, "horizon_s": self.horizon_s,
                "duration_s": self.duration_s, "notes": self.notes}


def _cycle(kind: str, v: dict[str, int], first: bool = False) -> list[tuple[float, float, float, str]]:
    """One cycle as segments (duration_s, level_from_pa, level_to_pa, phase);
    a level of 0 with phase 'off'/'vent'/'wait' is the open vent. ``first``:
    the session's first cycle (its first 'on' is not slewed)."""
    target = float(v["target"])
    floor = float(v.get("floor", 0))
    if kind == "intermittent":
        on, off, slew = v["on"] / 1000, v["off"] / 1000, v.get("slew", 0) / 1000
        segs: list[tuple[float, float, float, str]] = []
        # Each change is slewed, except the session's first 'on' and a
        # change to a floor of 0, which vents at once.
        up = min(slew, on) if slew and not first else 0.0
        down = min(slew, off) if slew and floor > 0 else 0.0
        if up:
            segs.append((up, floor, target, "on"))
        segs.append((on - up, target, target, "on"))
        if down:
            segs.append((down, target, floor, "off"))
        segs.append((off - down, floor, floor, "off"))
        return segs
    if kind == "dynamic":
        return [(v["rise"] / 1000, floor, target, "rise"), (v["fall"] / 1000, target, floor, "fall")]
    if kind == "pulse":
        period = 1_000_000 // v["freq"] / 1000  # as the device: whole ms
        on = int(period * 1000) // 2 / 1000
        return [(on, target, target, "on"), (period - on, floor, floor, "off")]
    if kind == "dotted":
        wait = v.get("wait", 0) / 1000
        return [(BUILD_S, target, target, "build"), (v["hold"] / 1000, target, target, "hold"),
                (VENT_S, 0.0, 0.0, "vent"), (wait or NEXT_S, 0.0, 0.0, "wait")]
    return []  # continuous, gradient: one level


def preview(kind: str, values: dict[str, int]) -> Preview:
    """The setpoint over the first part (or all) of a session. ``values``
    are the device's units (Pa, ms, mHz), every parameter the program has."""
    if "target" not in values or "duration" not in values:
        raise ValueError("a preview needs the target and the duration")
    duration = values["duration"] / 1000
    ramp = min(values.get("ramp", 0) / 1000, duration)
    cycle = _cycle(kind, values)
    period = sum(s[0] for s in cycle)
    notes = []
    if cycle and period > 0:
        horizon = min(duration, max(ramp + CYCLES * period, MIN_HORIZON_S))
    else:
        horizon = duration
    if horizon < duration:
        notes.append("first %s of %s shown" % (_span(horizon), _span(duration)))
    if kind == "dotted":
        notes.append("build and vent times depend on the cup (drawn as %g s each)" % BUILD_S)
        if not values.get("wait"):
            notes.append("wait=0: each dot waits for 'next' (drawn after %g s)" % NEXT_S)
    if kind == "gradient":
        notes.append("channel 1 shown; each next channel %g kPa lower" % (values.get("step", 0) / 1000))
    raw: list[tuple[float, float]] = []  # the waveform before the gentle start
    phases: list[tuple[float, float, str]] = []
    if not cycle:
        raw = [(0.0, float(values["target"])), (horizon, float(values["target"]))]
        phases.append((0.0, horizon, "hold"))
    else:
        t = 0.0
        first = True
        while t < horizon:
            for seg_s, a, b, name in _cycle(kind, values, first):
                if seg_s <= 0:
                    continue
                end = min(t + seg_s, horizon)
                frac = (end - t) / seg_s
                raw += [(t, a), (end, a + (b - a) * frac)]
                phases.append((t, end, name))
                t = end
                if t >= horizon:
                    break
            first = False
    points = _gentle_start(raw, ramp)
    if horizon >= duration:  # the release at the end
        points.append((duration, 0.0))
        phases.append((duration, duration + max(VENT_S, duration * 0.02), "release"))
        points.append((phases[-1][1], 0.0))
    return Preview([(round(t, 4), round(p, 1)) for t, p in points], _merge(phases), horizon, duration, notes)


def _gentle_start(raw: list[tuple[float, float]], ramp: float) -> list[tuple[float, float]]:
    """Scale the waveform by t/ramp before ramp (the device's gentle start),
    with extra points so the ramp is drawn as the device runs it."""
    if ramp <= 0:
        return raw
    out: list[tuple[float, float]] = []
    for (t0, p0), (t1, p1) in zip(raw[::2], raw[1::2]):
        pieces = [(t0, p0, t1, p1)]
        if t0 < ramp < t1:  # split where the gentle start ends
            pm = p0 + (p1 - p0) * (ramp - t0) / (t1 - t0)
            pieces = [(t0, p0, ramp, pm), (ramp, pm, t1, p1)]
        for a, pa, b, pb in pieces:
            n = max(1, -(-RAMP_STEPS * (b - a) // ramp)) if b <= ramp else 1
            for i in range(int(n) + 1):
                t = a + (b - a) * i / n
                out.append((t, (pa + (pb - pa) * i / n) * min(1.0, t / ramp)))
    return out


def _merge(phases: list[tuple[float, float, str]]) -> list[tuple[float, float, str]]:
    """Adjacent segments of one phase as one band."""
    out: list[tuple[float, float, str]] = []
    for t0, t1, name in phases:
        if out and out[-1][2] == name and abs(out[-1][1] - t0) < 1e-9:
            out[-1] = (out[-1][0], t1, name)
        else:
            out.append((t0, t1, name))
    return out


def _span(s: float) -> str:
    if s >= 3600 and s % 3600 == 0:
        return "%d h" % (s // 3600)
    if s >= 120:
        return "%g min" % round(s / 60, 1)
    return "%g s" % round(s, 1)
