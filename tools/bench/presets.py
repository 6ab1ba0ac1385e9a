#!/usr/bin/env python3
"""make bench-programs: every preset on a plant it is meant for, and the
highest pulse frequency each plant achieves at a given depth.

Unchanged firmware on the simulated board (DeviceLink on sim:SCENARIO, speed
max), telemetry 50 Hz. Tracking error: mean |measured vacuum - setpoint| over
the samples where the controller regulates (setpoint > 0), skipping the first
2 s after each start of regulation (the pull-down is the physical limit's
business, `make bench`). Time at target: the device's own delivered_ms /
elapsed_ms from its session_end event and log (within +-max(10 mmHg, 5 %)).
"""
import os
import sys
import time

from vacuumctl.link import DeviceLink

PRESETS = [  # preset, scenario, overrides (short sessions)
    ("face_dotted", "face_cup_5ml", "wait=1s duration=30s"),
    ("body_sliding", "default", "duration=40s"),
    ("cupping_back", "large_cup_250ml", "duration=40s"),
    ("decompression", "default", "ramp=5s duration=35s"),
    ("interval_legs", "leg_chamber_15l", "duration=70s"),
    ("npwt_continuous", "npwt_400ml", "duration=60s"),
    ("npwt_intermittent", "npwt_400ml", "on=1min off=1min duration=180s"),
    ("npwt_dynamic", "npwt_400ml", "rise=30s fall=30s duration=120s"),
    ("roller_laser", "roller_laser_body", "duration=40s"),
]
PULSE_PLANTS = ["face_cup_5ml", "default", "large_cup_250ml"]
PULSE_DEPTH_PA = 20_000
PULSE_FREQS = [0.5, 1, 2, 3, 4, 5]
FULL_PCT = 90


def _collect(link, until, deadline_s=120):
    tel, events, t_end = [], [], time.time() + deadline_s
    while time.time() < t_end:
        m = link.messages.get(timeout=20)
        if m.kind == "tel":
            tel.append(m.fields)
        elif m.kind in ("event", "alarm"):
            events.append(m)
        if until(tel, events):
            return tel, events
    raise TimeoutError("bench: the session did not end")


def _tracking_mae(tel):
    errs, since = [], None
    for f in tel:
        sp = int(f["setpoint_pa"])
        if f["state"] != "run" or sp <= 0:
            since = None
            continue
        t = int(f["t_ms"])
        since = t if since is None else since
        if t - since >= 2_000:
            errs.append(abs(int(f["vacuum_pa"]) - sp))
    return sum(errs) / len(errs) if errs else float("nan")


def run_preset(name, scen, extra):
    link = DeviceLink.open("sim:" + scen)
    try:
        link.request("tel on 50Hz")
        link.request("start %s %s" % (name, extra))
        tel, events = _collect(link, lambda t, e: any("session_end" in m.text for m in e) or (t and t[-1]["state"] == "fault"))
        row = dict(w.split("=", 1) for w in link.request("log 0").split())
        status = dict(w.split("=", 1) for w in link.request("status").split() if "=" in w)
    finally:
        link.close()
    alarms = sorted({f["alarms"] for f in tel} - {"none"})
    elapsed = int(row["elapsed_ms"]) or 1
    note = ",".join(alarms) or "none"
    pulses = [m for m in events if "pulse_achieved" in m.text]
    if pulses:  # pulses never settle: the achieved depth is the figure
        note += "; pulse swing %s Pa = %s %% of wanted" % (pulses[-1].fields["swing_pa"], pulses[-1].fields["depth_pct"])
    on = [m for m in events if m.text.startswith("event laser on")]
    if "laser_ms" in status:  # a laser program: how much of the session it emitted, and from when
        note += "; laser on %.1f s of %.1f s, first at %.1f s" % (int(status["laser_ms"]) / 1000, elapsed / 1000,
                                                                  (int(on[0].fields["t_ms"]) - int(next(f for f in tel if f["state"] == "run")["t_ms"])) / 1000 if on else float("nan"))
    return _tracking_mae(tel), int(row["delivered_ms"]) * 100 / elapsed, note


def pulse_depth_pct(scen, freq):
    link = DeviceLink.open("sim:" + scen)
    try:
        link.request("start pulse target=%dPa freq=%gHz duration=60s" % (PULSE_DEPTH_PA, freq))
        _, events = _collect(link, lambda t, e: any("pulse_achieved" in m.text for m in e), 60)
        link.request("stop")
    finally:
        link.close()
    ev = next(m for m in events if "pulse_achieved" in m.text)
    return int(ev.fields["depth_pct"]), int(ev.fields["swing_pa"])


def main():
    print("PRESETS (tracking error = mean |vacuum - setpoint| while regulating, 2 s after each start of regulation)")
    print("%-18s %-16s %-34s %10s %8s %11s  %s" % ("preset", "scenario", "overrides", "error Pa", "mmHg", "at target", "alarms; notes"))
    for name, scen, extra in PRESETS:
        mae, at, alarms = run_preset(name, scen, extra)
        print("%-18s %-16s %-34s %10.0f %8.1f %10.0f%%  %s" % (name, scen, extra, mae, mae / 133.322, at, alarms))
    print()
    print("PULSE: achieved swing at %d kPa depth (release to ambient), %% of wanted; highest frequency with >= %d %%"
          % (PULSE_DEPTH_PA // 1000, FULL_PCT))
    print("%-16s %s  %s" % ("scenario", " ".join("%7gHz" % f for f in PULSE_FREQS), "highest full-depth"))
    for scen in PULSE_PLANTS:
        pcts = [pulse_depth_pct(scen, f)[0] for f in PULSE_FREQS]
        full = [f for f, p in zip(PULSE_FREQS, pcts) if p >= FULL_PCT]
        print("%-16s %s  %s" % (scen, " ".join("%8d%%" % p for p in pcts), ("%gHz" % max(full)) if full else "< %gHz" % PULSE_FREQS[0]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
