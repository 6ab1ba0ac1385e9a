#!/usr/bin/env python3
"""Endurance soak on the simulated board (issue 8, "Endurance").

    python tools/bench/soak.py [--hours 72] [--tel-hz 5] [--reconnect-min 20]

Intermittent wound therapy (npwt_intermittent, 125 mmHg, 5 min on / 2 min
off) on the 400 mL NPWT dressing for HOURS of device time, at full speed,
with the board's target heap (the launcher's default). An extra leak comes
and goes (a generated scenario: 0.5 L/min at 10 kPa on for 11 min of every
37), and the host closes and reopens the serial port every RECONNECT_MIN
minutes of device time. Every SAMPLE_MIN minutes it reads the live heap
after a full collection (``get heap_alloc``), ``overruns`` and
``max_late_us``. Checks, with the figures printed:

* the session runs to the end (no alarm, no reset);
* no heap growth after warm-up (the first hour, or a quarter of a shorter
  run): every later sample within
  HEAP_SLACK_BYTES of the warm-up sample;
* no missed control ticks: overruns do not grow during the therapy (a
  flash write of the therapy log at start and end stalls the loop by design);
* telemetry complete: within each connection, consecutive t_ms differ by
  exactly one telemetry period and no framed line is missing.

GC pauses: the control tick runs under heap_lock, so a collection can only
happen between ticks and would show up as a late tick (max_late_us) on a
board. In the simulation device time stands still while MicroPython
collects, so max_late_us there only shows scheduling jitter of the virtual
clock; ``make bench`` measures the wall-clock collection time separately
(docs/reliability.md).
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "host_tools"))

from vacuumctl.link import DeviceLink, open_serial  # noqa: E402
from vacuumctl.simport import start_sim  # noqa: E402

WARMUP_MS = 3_600_000  # or a quarter of a shorter run
HEAP_SLACK_BYTES = 512
SAMPLE_MIN = 10
LEAK_PERIOD_MIN = 37
LEAK_ON_MIN = 11
LEAK_L_MIN = 0.5


@dataclass
class SoakResult:
    hours: float = 0.0
    wall_s: float = 0.0
    tel_lines: int = 0
    reconnects: int = 0
    max_gap_ms: int = 0
    period_ms: int = 0
    lost_lines: int = 0
    heap: list[tuple[int, int]] = field(default_factory=list)  # (t_ms, bytes)
    overruns: int = 0  # during the therapy: between the first and the last sample
    overruns_at: list[int] = field(default_factory=list)
    warmup_ms: int = WARMUP_MS
    max_late_us: int = 0
    alarms: list[str] = field(default_factory=list)
    ended: str = ""
    leak_events: int = 0

    @property
    def heap_warm(self) -> int:
        warm = [b for t, b in self.heap if t >= self.warmup_ms]
        return warm[0] if warm else 0

    @property
    def heap_peak(self) -> int:
        return max((b for _, b in self.heap), default=0)

    @property
    def heap_growth(self) -> int:
        warm = [b for t, b in self.heap if t >= self.warmup_ms]
        return max(warm) - warm[0] if warm else 0

    def summary(self) -> str:
        return ("soak: %.1f h of device time in %.0f s wall; %d telemetry lines, max gap %d ms (period %d ms), "
                "%d lost; %d reconnects; %d leak events; heap after warm-up %d B, growth %d B, peak %d B "
                "(%d samples); overruns %d; max tick lateness %d us; alarms %s; end: %s"
                % (self.hours, self.wall_s, self.tel_lines, self.max_gap_ms, self.period_ms, self.lost_lines,
                   self.reconnects, self.leak_events, self.heap_warm, self.heap_growth, self.heap_peak,
                   len(self.heap), self.overruns, self.max_late_us, ",".join(self.alarms) or "none", self.ended))

    def problems(self) -> list[str]:
        p = []
        if self.ended != "completed":
            p.append("session did not complete (%s)" % (self.ended or "no session_end"))
        if self.alarms:
            p.append("alarms: %s" % ",".join(self.alarms))
        if not any(t >= self.warmup_ms for t, _ in self.heap):
            p.append("no heap sample after warm-up")
        if self.heap_growth > HEAP_SLACK_BYTES:
            p.append("heap grew by %d B after warm-up" % self.heap_growth)
        if self.overruns:
            p.append("%d control-tick overruns" % self.overruns)
        if self.max_gap_ms >= 2 * self.period_ms:
            p.append("telemetry gap of %d ms (period %d ms)" % (self.max_gap_ms, self.period_ms))
        if self.lost_lines:
            p.append("%d framed lines lost" % self.lost_lines)
        return p


def scenario_file(hours: float, directory: Path) -> Path:
    """npwt_400ml with an extra leak switched on and off all along."""
    base = json.loads((ROOT / "boards" / "sim" / "scenarios" / "npwt_400ml.json").read_text())
    events = []
    t = LEAK_PERIOD_MIN * 60_000 // 2
    end = int(hours * 3_600_000)
    while t < end:
        events.append({"t_ms": t, "fault": "leak", "value": LEAK_L_MIN})
        events.append({"t_ms": t + LEAK_ON_MIN * 60_000, "fault": "leak", "value": 0})
        t += LEAK_PERIOD_MIN * 60_000
    base["description"] = "soak: %s h of npwt_400ml, extra leak %.1f L/min on %d of every %d min" % (hours, LEAK_L_MIN, LEAK_ON_MIN, LEAK_PERIOD_MIN)
    base["events"] = events
    path = directory / "soak.json"
    path.write_text(json.dumps(base))
    return path


def _connect(port: str) -> DeviceLink:
    ser = open_serial(port)
    link = DeviceLink(ser)
    link.enter_machine_mode()
    return link


def _get(link: DeviceLink, name: str) -> int:
    return int(link.request("get %s" % name).split()[0].split("=")[1])


def soak(hours: float, tel_hz: int = 5, reconnect_min: float = 20, progress=print) -> SoakResult:
    r = SoakResult(hours=0.0, period_ms=1000 // tel_hz, warmup_ms=int(min(WARMUP_MS, hours * 3_600_000 / 4)))
    tmp = Path(tempfile.mkdtemp(prefix="soak-"))
    sc = scenario_file(hours, tmp)
    r.leak_events = len(json.loads(sc.read_text())["events"])
    sim = start_sim(str(sc), speed="max")
    wall0 = time.monotonic()
    link = _connect(sim.port)
    try:
        link.request("tel on %dHz" % tel_hz)
        link.request("start npwt_intermittent duration=%dmin" % round(hours * 60))
        last_t: int | None = None
        t0: int | None = None
        next_sample = 0
        next_reconnect = reconnect_min * 60_000
        next_progress = 0
        while True:
            try:
                msg = link.messages.get(timeout=30)
            except Exception:  # noqa: BLE001 - queue.Empty: the board stopped talking
                r.ended = "no telemetry for 30 s wall"
                break
            if msg.kind == "alarm":
                r.alarms.append(msg.text)
                continue
            if msg.kind == "event" and "session_end" in msg.text:
                r.ended = msg.fields.get("reason", "?")
                break
            if msg.kind != "tel":
                continue
            t = int(msg.fields["t_ms"])
            t0 = t if t0 is None else t0
            rel = t - t0
            if msg.fields.get("state") in ("idle", "fault") and rel > 60_000:
                # The session_end event went out while the port was closed.
                r.ended = "completed" if rel >= hours * 3_600_000 - 60_000 else "state %s early" % msg.fields["state"]
                break
            r.tel_lines += 1
            if last_t is not None:
                r.max_gap_ms = max(r.max_gap_ms, t - last_t)
            last_t = t
            r.hours = rel / 3_600_000
            if rel >= next_sample:
                r.heap.append((rel, _get(link, "heap_alloc")))
                r.overruns_at.append(_get_status(link, "overruns"))
                next_sample += SAMPLE_MIN * 60_000
            if rel >= next_progress:
                progress("  %6.2f h  heap %d B  lines %d  wall %.0f s" % (r.hours, r.heap[-1][1], r.tel_lines, time.monotonic() - wall0))
                next_progress += 3_600_000
            if rel >= next_reconnect:
                r.lost_lines += link.lost_lines
                link.close()  # the host goes away; the session runs on
                link = _connect(sim.port)
                r.reconnects += 1
                last_t = None  # lines sent while nobody listened are dropped, as on USB
                next_reconnect += reconnect_min * 60_000
        # Overruns at boot and at the session's start/end are flash writes
        # (config load, therapy log) that stall the loop by design.
        r.overruns = r.overruns_at[-1] - r.overruns_at[0]
        r.max_late_us = _get(link, "max_late_us")
        r.heap.append((int(r.hours * 3_600_000), _get(link, "heap_alloc")))
        r.lost_lines += link.lost_lines
    finally:
        link.close()
        sim.stop()
        r.wall_s = time.monotonic() - wall0
    return r


def _get_status(link: DeviceLink, name: str) -> int:
    for w in link.request("status").split():
        if w.startswith(name + "="):
            return int(w.split("=")[1])
    raise ValueError("status has no %s" % name)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--hours", type=float, default=72.0, help="device time to soak (default 72)")
    p.add_argument("--tel-hz", type=int, default=5, help="telemetry rate (default 5 Hz)")
    p.add_argument("--reconnect-min", type=float, default=20.0, help="close and reopen the port every N device minutes")
    a = p.parse_args(argv)
    r = soak(a.hours, a.tel_hz, a.reconnect_min)
    print(r.summary())
    bad = r.problems()
    for b in bad:
        print("FAIL: %s" % b)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
