#!/usr/bin/env python3
"""Fault matrix: every simulated fault event in every therapy program and
preset, on the unchanged firmware (simulated board, 60 mL default cup, speed
max).

Each cell: the fault happens FAULT_AFTER_MS after the pump is first driven
(the scenario event `after_pump_on_ms`: the session's start as the hardware
sees it, so the cell is the same however late the host's start command
arrives on a busy machine). It must be detected within its deadline by one of
the expected alarms, the device must reach the safe state (commanded pump 0,
vent fully open, state fault), and the true vacuum (physics ground truth, not
the firmware's reading) must never exceed HARD_LIMIT_PA, nor the program's own
ceiling except by the offset of a sensor that reads low (the firmware cannot
see that offset while it regulates: docs/safety.md). Used by
hil_tests/test_fault_matrix.py (a subset, SUBSET) and `make safety-report`
(every cell). All times are device time (ms).

Laser programs (vacuum_laser, roller_laser) run on the sim_laser board (a
60 mL cup, rollers, a laser with an emission monitor and a contact switch)
and also meet the laser faults (roller_stall, laser_stuck_on, contact_lost,
which only such a board has). Their cells also require, by ground truth,
the laser, its supply and the rollers off from one tick after the alarm,
and record when the emission ended after the fault (`laser off`, device ms
and 5 ms control ticks); a fault that takes a laser condition away at once
must end it within LASER_OFF_MAX_MS (the lift: one tick).
"""
from __future__ import annotations

import csv
import json
import os
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "host_tools"))
sys.path.insert(0, os.path.join(ROOT, "boards", "sim"))
from boardfacts import control_period_ms  # noqa: E402
from vacuumctl.errors import DeviceReset  # noqa: E402
from vacuumctl.link import DeviceLink  # noqa: E402
from vacuumctl.telemetry import parse_fields  # noqa: E402

HARD_LIMIT_PA = 70_000  # pico board ceiling (firmware ABS max 71 kPa)
FAULT_AFTER_MS = 4_000  # fault this long after the pump is first driven
TEL = "tel on 50Hz"  # enough to time the safe state; more floods a busy host
LOW_ALARMS = ("reset", "overrun")  # advisory: they do not end a session

# One start line per program and preset, and its ceiling (programs.py), on
# the default 60 mL cup. Phases after the start (t = 0 when the pump starts):
#   continuous, body_sliding, cupping_back, npwt_continuous: hold, release at 20 s
#   intermittent, npwt_intermittent: on 0-8 s, off 8-12 s, on 12-20 s
#   interval_legs: on 0-5 s (its shortest phase), off 5-10 s, on 10-15 s
#   dynamic, npwt_dynamic: rise 0-3 s, fall 3-6 s, ... (setpoint always moving)
#   dotted, face_dotted: build, hold 3 s, vent, wait 4 s (the operator moves
#     the cup), repeat: about 8 s per dot
#   npwt_intermittent: on 0-60 s (its shortest phase), off 60-120 s
#   npwt_dynamic: rise 0-10 s, fall 10-20 s, release at 20 s
#   pulse, decompression: 0.5 Hz (the 60 mL cup reaches 90 % of the depth
#     at 0.5 Hz, 70 % at 1 Hz: docs/programs.md), release to ambient
# The massage presets' gentle start is shortened so each cell stays short.
PROGRAMS = {
    "continuous": ("start continuous target=30kPa duration=20s", 71_000),
    "intermittent": ("start intermittent target=30kPa on=8s off=4s duration=24s", 71_000),
    "dynamic": ("start dynamic target=30kPa floor=10kPa rise=3s fall=3s duration=20s", 71_000),
    "dotted": ("start dotted target=30kPa hold=3s wait=4s duration=30s", 50_663),
    "pulse": ("start pulse target=20kPa freq=0.5Hz duration=20s", 71_000),
    "face_dotted": ("start face_dotted target=30kPa hold=3s wait=4s duration=30s", 50_663),
    "body_sliding": ("start body_sliding target=30kPa ramp=1s duration=20s", 71_000),
    "cupping_back": ("start cupping_back target=20kPa ramp=1s duration=20s", 50_663),
    "decompression": ("start decompression target=20kPa freq=0.5Hz ramp=1s duration=20s", 50_663),
    "interval_legs": ("start interval_legs target=40mmHg on=5s off=5s duration=30s", 7_000),
    "npwt_continuous": ("start npwt_continuous target=125mmHg duration=20s", 26_664),
    "npwt_intermittent": ("start npwt_intermittent target=125mmHg on=1min off=1min duration=2min", 26_664),
    "npwt_dynamic": ("start npwt_dynamic target=125mmHg rise=10s fall=10s duration=20s", 26_664),
    # three 60 mL cups at 30, 25 and 20 kPa; the fault is on channel 2
    "gradient": ("start gradient target=30kPa step=5kPa duration=20s", 71_000),
    # the laser applicator (sim_laser): hold 20 kPa, contact proven 1 s
    # after the 1 s ramp, so the laser emits from about 2.1 s to the release at 20 s
    "vacuum_laser": ("start vacuum_laser target=20kPa contact=10kPa ramp=1s duration=20s", 71_000),
    "roller_laser": ("start roller_laser ramp=1s duration=20s", 50_663),
}
# Programs that need another board than the default pico: (board, the
# channel the fault event hits). A fault on one channel must make every
# channel safe; firmware_hang and power_cut hit the whole board.
BOARD_OF = {"gradient": ("sim_multi", 2), "vacuum_laser": ("sim_laser", 1), "roller_laser": ("sim_laser", 1)}
LASER_PROGRAMS = ("vacuum_laser", "roller_laser")


# The laser programs' board's control period (the limits below are in ticks of it).
TICK_MS = control_period_ms(BOARD_OF["vacuum_laser"][0])
assert TICK_MS == control_period_ms(BOARD_OF["roller_laser"][0])
# Faults that take a laser condition away at once, and the longest time from
# the fault to the end of the emission (device ms, by ground truth): the
# lift within one control tick (the contact switch); a failed sample in the
# next tick; a hung loop by the board's keep-alive enable (20 ms after the
# last tick's edge, judged each 1 ms physics step); a power cut at once; a
# stall when no tachometer pulse came for 4 expected periods (50 ms at 50 %
# speed) plus a tick; a stuck driver by the supply cut after its alarm.
LASER_OFF_MAX_MS = {"contact_lost": TICK_MS, "sensor_disconnect": 2 * TICK_MS, "firmware_hang": 21 + TICK_MS, "power_cut": 2,
                    "roller_stall": 50 + 2 * TICK_MS, "laser_stuck_on": 1_100}
# Kept for the matrix test's coverage check: every program the device lists
# is in PROGRAMS or here.
NOT_COVERED: tuple[str, ...] = ()

# fault -> (event value, expected alarms, default deadline ms after the fault,
# {program: deadline} where the program's phases change it, why)
DOTS = ("dotted", "face_dotted")
FAULTS = {
    "sensor_disconnect": (None, {"sensor"}, 100, {}, "4 failed samples (20 ms)"),
    "sensor_stuck": (None, {"stuck", "vent"}, 750, dict.fromkeys(DOTS, 2_500),
                     "100 frozen samples (0.5 s) while regulating or pumping; frozen during a dot's vent: the vent rule (not halved in 2 s)"),
    "sensor_offset": (5000.0, {"offset"}, 20_000,
                      {"intermittent": 8_000, "interval_legs": 5_000, "dotted": 12_000, "face_dotted": 12_000, "npwt_intermittent": 60_000},
                      "at the next rest (release at 16 s after the fault, an off phase, a dot's vent and wait) + 3 s"),
    "leak": (4.0, {"leak"}, 6_000, {"intermittent": 16_000, "dotted": 12_000, "face_dotted": 12_000, "interval_legs": 12_000},
             "4 s below target at full pump (in this on phase or dot, or the next); 3 flat 1 s windows in the next "
             "5 s on phase (interval_legs); 3 short pulses (pulse, decompression)"),
    "blockage": (None, {"blockage", "rise", "overvacuum"}, 7_000, {},
                 "4 s of no flow at the setpoint; or the blocked tubing's fast rise (rise), or its line vacuum above the trip level (overvacuum)"),
    "pump_fail": (None, {"pump"}, 8_000, {"dotted": 12_000, "face_dotted": 12_000, "interval_legs": 12_000},
                  "3 windows of 1 s falling / flat near ambient at > 50 % pump (this phase or the next); 3 flat pulses"),
    "pump_stuck_on": (None, {"pump_on", "vent"}, 7_000, dict.fromkeys(DOTS, 14_000),
                      "2 s of venting at the setpoint with the pump off (a dot: at the next hold); "
                      "2 releases stalled above ambient (pulses, off phases)"),
    "vent_stuck_closed": (None, {"vent"}, 20_000,
                          {"intermittent": 8_000, "interval_legs": 4_000, "dotted": 4_000, "face_dotted": 4_000, "npwt_intermittent": 60_000},
                          "not halved 2 s after the vent opened (the release 16 s after the fault, an off phase, a dot's vent)"),
    "firmware_hang": (None, {"reset"}, 1_100, {}, "watchdog reset (1 s), reported at boot"),
    "power_cut": (2000, {"interrupted"}, 2_500, {}, "reported at the next boot: a session was running"),
    # laser applicator boards only (LASER_FAULTS x LASER_PROGRAMS)
    "roller_stall": (None, {"roller"}, 1_000, {}, "no tachometer pulse for 500 ms (the laser is off after 50 ms)"),
    "laser_stuck_on": (None, {"laser_on"}, 1_100, {},
                       "lit in 2 ticks after a command off: the stuck-on test blanks the laser every 1.01 s of emission"),
    "contact_lost": (None, {"pump", "leak"}, 6_000, {},
                     "the lift ends the emission within one tick (switch); the cup open to the air then cannot be pumped: "
                     "flat below 2 kPa for 3 s (pump) or 4 s below target (leak)"),
}
LASER_FAULTS = ("roller_stall", "laser_stuck_on", "contact_lost")


def fits(fault, program):
    """The laser faults exist only on a laser board, i.e. in laser programs."""
    return fault not in LASER_FAULTS or program in LASER_PROGRAMS
# Cells the supervisor does not detect (they would count as GAP, not as a
# pass, and must stay contained). None today: pulsed programs are judged
# pulse by pulse (firmware/phasecheck.py), interval_legs by the 3 s
# cannot-reach rule; docs/safety.md.
KNOWN_GAPS: dict[tuple[str, str], str] = {}


PROBE_DEADLINE_MS = 0  # `fault_matrix.py --probe`: one long deadline for all, to see natural times


def deadline_of(fault, program):
    return PROBE_DEADLINE_MS or FAULTS[fault][3].get(program, FAULTS[fault][2])


def subset():
    """Cells for `make test`, chosen deterministically: every fault on two
    programs and every program against at least two faults (the full matrix
    is `make safety-report`)."""
    progs = [p for p in PROGRAMS if p not in LASER_PROGRAMS]
    faults = [f for f in FAULTS if f not in LASER_FAULTS]
    cells = []
    for i, f in enumerate(faults):
        for k in (0, 1):
            cells.append((f, progs[(2 * i + k) % len(progs)]))
    covered = {p: sum(1 for c in cells if c[1] == p) for p in progs}
    j = 0
    for p in progs:
        while covered[p] < 2:
            f = faults[j % len(faults)]
            j += 1
            if (f, p) not in cells:
                cells.append((f, p))
                covered[p] += 1
    cells += [c for c in ONCE_GAPS if c not in cells]
    return cells + [(f, p) for f in LASER_FAULTS for p in LASER_PROGRAMS] + list(LASER_CELLS)


# Former known gaps, each closed by its own rule: in `make test` too.
ONCE_GAPS = (("leak", "pulse"), ("pump_fail", "decompression"), ("pump_stuck_on", "pulse"), ("blockage", "cupping_back"))
# The laser programs against faults of the vacuum: the sample lost, the loop
# hung (the keep-alive enable), the seal lost slowly, the power cut.
LASER_CELLS = (("sensor_disconnect", "roller_laser"), ("firmware_hang", "roller_laser"), ("leak", "vacuum_laser"), ("power_cut", "vacuum_laser"))


def _scenario(fault, value, path, program, plant=None):
    ev = {"after_pump_on_ms": FAULT_AFTER_MS, "fault": fault}
    if value is not None:
        ev["value"] = value
    scn = dict(plant or {}, description="fault matrix cell", events=[ev])
    if program in BOARD_OF:
        scn["board"], channel = BOARD_OF[program]
        if fault not in ("firmware_hang", "power_cut"):
            ev["channel"] = channel
    with open(path, "w") as f:
        json.dump(scn, f)


def _channels(row):
    """(true vacuum, pump, vent) columns of every channel in a truth row."""
    out = [("true_vacuum_pa", "pump_duty", "valve_duty")]
    i = 2
    while "ch%d_true_vacuum_pa" % i in row:
        out.append(("ch%d_true_vacuum_pa" % i, "ch%d_pump_duty" % i, "ch%d_valve_duty" % i))
        i += 1
    return out


def _truth(path):
    with open(path, newline="") as f:
        return [r for r in csv.DictReader(f) if None not in r.values()]  # (not a row still being written)


def _truth_through(path, t_ms, timeout_s=5.0):
    """The truth rows once the file holds a row at or after t_ms (the
    simulator writes them as it goes, a little behind the telemetry the host
    has read): a short poll instead of a fixed wait, while the board (at
    full speed) runs on."""
    end = time.monotonic() + timeout_s
    while True:
        rows = _truth(path)
        if (rows and int(rows[-1]["t_ms"]) >= t_ms) or time.monotonic() > end:
            return rows
        time.sleep(0.01)


def _rebooted(truth_path):
    return any("boot" in r["event"].split("|") for r in _truth(truth_path))


def _first_raise(link, t_from):
    """(names, t_ms) of the first alarms raised at or after t_from that are
    not advisory, from the device's alarm log (an event line can be lost on a
    busy host; the log cannot): every alarm raised in that same tick (a stuck
    pump that reaches the ceiling raises `overvacuum` and `pump_on` at once),
    or ([], None)."""
    text = link.request("alarms log 32")
    body = text.split(": ", 1)[1] if ": " in text else ""
    names, first = [], None
    for rec in body.split("; "):
        words = rec.split()
        if len(words) >= 3 and words[1] == "raise" and words[2] not in LOW_ALARMS:
            t = int(words[0].split("=")[1])
            if t >= t_from and (first is None or t == first):
                first = t
                names.append(words[2])
    return names, first


def sensor_reads_low_pa(plant, level_pa):
    """How far below the true vacuum level_pa the plant's own sensor reads
    (0 if it reads high): reading = vacuum x (1 + gain error) - offset
    (boards/sim/world.py); an absolute part's boot zero takes its offset out.
    The firmware cannot see this error, so containment allows it."""
    if not plant:
        return 0
    p = plant.get("plant", {})
    offset = 0 if plant.get("sensor") in ("mprls", "bmp280") else p.get("sensor_offset_pa", 0)
    return max(0, int(-level_pa * p.get("sensor_gain_error_ppm", 0) * 1e-6 + offset + 0.5))


def run_cell(fault, program, wall_timeout_s=90.0, plant=None, flash_image=None):
    """One cell on the default plant, or on `plant` (a scenario object with
    board, plant and sensor: the robustness campaign's random plants,
    tools/bench/robustness.py); `flash_image`: the board's flash (a
    commissioned device's: robustness.commission)."""
    value, expected, _, _, _ = FAULTS[fault]
    deadline = deadline_of(fault, program)
    start_line, ceiling = PROGRAMS[program]
    tmp = tempfile.mkdtemp(prefix="faultmatrix_")
    scen = os.path.join(tmp, "cell.json")
    truth_path = os.path.join(tmp, "truth.csv")
    _scenario(fault, value, scen, program, plant)
    link = DeviceLink.open("sim:" + scen, truth_csv=truth_path, flash_image=flash_image)
    res = {"fault": fault, "program": program, "deadline_ms": deadline, "alarm": "-", "detect_ms": None,
           "safe_ms": None, "peak_true_pa": None, "ceiling_pa": ceiling, "problems": [], "laser_off_ms": None}
    try:
        link.request(TEL)
        link.start(start_line)  # (an absolute sensor takes its zero after boot first)
        end = time.monotonic() + wall_timeout_s
        booted = False
        last_t = 0
        t_fault = None  # uptime of the fault: first pump drive + FAULT_AFTER_MS
        safe_t = None
        fault_seen = False
        while time.monotonic() < end:
            m = link.next_message(timeout_s=1.0)
            if m is None or m.kind == "boot":
                # Quiet (a hang, or a reboot whose banner was lost) or a reboot.
                if m is not None or link.resets or _rebooted(truth_path):
                    booted = True  # (the truth file knows even if the banner line was dropped)
                    break
                try:
                    t = int(parse_fields(link.request("hb", timeout_s=1.0, retries=0))["t_ms"])
                except DeviceReset:
                    booted = True
                    break
                except (TimeoutError, OSError, ValueError, KeyError):
                    continue
                if t < last_t:
                    booted = True
                    break
                continue
            if m.kind != "tel":
                continue
            f = m.fields
            last_t = int(f["t_ms"])
            if t_fault is None and int(f["pump_duty"]) > 0:
                t_fault = last_t + FAULT_AFTER_MS  # refined from the truth file below
            if t_fault is not None and last_t >= t_fault:
                fault_seen = True
            if fault_seen and safe_t is None and f["state"] == "fault" and f["pump_duty"] == 0 and f["valve_duty"] == 65535:
                safe_t = last_t
            if safe_t is not None and last_t >= safe_t + 300:
                break
            if t_fault is not None and last_t > t_fault + deadline + 3_000:
                break
        if booted:
            time.sleep(0.3)  # the rows after the reset (their t_ms are not the telemetry's)
            rows = _truth(truth_path)
        else:
            rows = _truth_through(truth_path, last_t)  # every row the telemetry has seen
        fault_rows = [int(r["t_ms"]) for r in rows if any(e.split(":")[-1] == fault for e in r["event"].split("|"))]
        if not fault_rows:
            res["problems"].append("the fault never happened (no pump drive?)")
            return res
        t_fault = fault_rows[0]  # truth t_ms == uptime of the first boot
        if fault == "power_cut":  # its note may wait for the first row after the reboot
            t_fault = min(t_fault, next(int(r["t_ms"]) for r in rows if int(r["pump_duty"]) > 0) + FAULT_AFTER_MS)
        if booted:
            time.sleep(0.3)
            link.enter_machine_mode()  # the reboot left it in human mode (if the banner was lost, nobody resynchronised)
            al = link.request("alarms")
            t_boot = next(int(r["t_ms"]) for r in rows if int(r["t_ms"]) >= t_fault and ("boot" in r["event"] or "wdt_reset" in r["event"]))
            res["detect_ms"] = t_boot - t_fault
            names = [w.split("=")[0] for w in al.split()[2:]]
            res["alarm"] = ",".join(names) or "-"
            # From the row after the reset's own: that row holds the valve's
            # opening of the instant before (a vent with a curve, as a random
            # plant's, logs its opening, which follows one physics step later).
            if not all(int(r[pump]) == 0 and int(r[vent]) == 65535 for r in rows if int(r["t_ms"]) > t_boot for _, pump, vent in _channels(r)):
                res["problems"].append("not safe after the reset")
            res["safe_ms"] = 0
            if not expected & set(names):
                res["problems"].append("expected %s after boot, got %s" % (sorted(expected), al))
        else:
            names, t_alarm = _first_raise(link, t_fault)
            if not names and (fault, program) in KNOWN_GAPS:
                res["gap"] = KNOWN_GAPS[(fault, program)]
            elif not names:
                res["problems"].append("no alarm by %d ms after the fault" % (last_t - t_fault))
            else:
                res["alarm"] = "+".join(names)
                res["detect_ms"] = t_alarm - t_fault
                if not expected & set(names):
                    res["problems"].append("alarm %s, expected one of %s" % (res["alarm"], sorted(expected)))
                if safe_t is None:
                    st = parse_fields(link.request("status"))
                    if st.get("state") == "fault" and st.get("pump_duty") == 0 and st.get("valve_duty") == 65535:
                        res["safe_ms"] = "yes"  # safe now; its telemetry line was lost
                    else:
                        res["problems"].append("no safe state after the alarm")
                else:
                    res["safe_ms"] = max(0, safe_t - t_alarm)
                # Every other channel too (the truth file's commanded outputs), from one
                # tick after the alarm.
                late = [r for r in _truth(truth_path) if int(r["t_ms"]) >= t_alarm + 10]
                for _, pump, vent in _channels(rows[0])[1:]:
                    if not late or not all(int(r[pump]) == 0 and int(r[vent]) == 65535 for r in late):
                        res["problems"].append("%s/%s not safe after the alarm" % (pump, vent))
        if res["detect_ms"] is not None and not 0 <= res["detect_ms"] <= deadline:
            res["problems"].append("detected after %d ms, deadline %d ms" % (res["detect_ms"], deadline))
        if booted:
            time.sleep(0.2)
            rows = _truth(truth_path)
        else:
            rows = _truth_through(truth_path, last_t)
        if "laser" in rows[0]:
            _check_laser(res, rows, t_fault, fault)
        res["peak_true_pa"] = max(int(r[c[0]]) for r in rows for c in _channels(rows[0]))
        limit = min(HARD_LIMIT_PA, ceiling + (int(value) if fault == "sensor_offset" else 0))
        limit += sensor_reads_low_pa(plant, limit)
        if res["peak_true_pa"] > limit:
            res["problems"].append("true vacuum %d Pa above the limit %d Pa" % (res["peak_true_pa"], limit))
    finally:
        link.close()
        shutil.rmtree(tmp, ignore_errors=True)  # (a campaign runs hundreds of cells)
    return res


def _check_laser(res, rows, t_fault, fault):
    """Laser board (truth columns of boards/sim/aux_emu.py): when the
    emission ended after the fault, and everything of the applicator off
    from one tick after the alarm (or the reset) on."""
    lit = [r for r in rows if int(r["t_ms"]) <= t_fault and int(r["laser"]) > 0]
    if not lit or int(lit[-1]["t_ms"]) < t_fault - 20:
        res["problems"].append("the laser was not emitting when the fault came")
        return
    # The end of the emission: the last switch to dark (the stuck-on test's
    # 10 ms blanks each second are not an end).
    after = [r for r in rows if int(r["t_ms"]) >= t_fault]
    if not after or int(after[-1]["laser"]) != 0:
        res["problems"].append("the laser never went off after the fault")
        return
    dark = int(after[0]["t_ms"])
    for prev, r in zip(after, after[1:]):
        if int(prev["laser"]) > 0 and int(r["laser"]) == 0:
            dark = int(r["t_ms"])
    res["laser_off_ms"] = dark - t_fault
    limit = LASER_OFF_MAX_MS.get(fault)
    if limit is not None and res["laser_off_ms"] > limit:
        res["problems"].append("the emission ended %d ms after the fault, limit %d ms" % (res["laser_off_ms"], limit))
    if res["detect_ms"] is not None:
        t_safe = t_fault + res["detect_ms"] + TICK_MS
        late = [r for r in rows if int(r["t_ms"]) >= t_safe]
        if not all(int(r["laser"]) == 0 and int(r["laser_supply"]) == 0 and int(r["roller_duty"]) == 0 for r in late):
            res["problems"].append("laser, supply or rollers not off one tick after the alarm")


def status(r):
    """PASS, GAP (a known undetected cell that stayed contained) or FAIL."""
    return "FAIL" if r["problems"] else "GAP" if r.get("gap") else "PASS"


def _laser_text(r):
    ms = r.get("laser_off_ms")
    return "-" if ms is None else "%d/%d" % (ms, -(-ms // TICK_MS))


def _row(r):
    st = status(r)
    return "%-18s %-18s %-12s %7s %8d %7s %8s %8s %9s  %s" % (
        r["fault"], r["program"], r["alarm"], "-" if r["detect_ms"] is None else r["detect_ms"], r["deadline_ms"],
        "-" if r["safe_ms"] is None else r["safe_ms"], r["peak_true_pa"], r["ceiling_pa"], _laser_text(r),
        st + (": " + "; ".join(r["problems"]) if r["problems"] else " (not detected, contained: %s)" % r["gap"] if r.get("gap") else ""))


def main(argv=None):
    global PROBE_DEADLINE_MS
    argv = sys.argv[1:] if argv is None else argv
    if "--probe" in argv:
        PROBE_DEADLINE_MS = 70_000
    faults = [a for a in argv if a in FAULTS] or list(FAULTS)
    progs = [a for a in argv if a in PROGRAMS] or list(PROGRAMS)
    print("Fault matrix: faults x programs on the simulated 60 mL cup, fault %d ms after the pump starts; "
          "times in device ms, pressures in Pa" % FAULT_AFTER_MS)
    print("%-18s %-18s %-12s %7s %8s %7s %8s %8s %9s  %s" % ("fault", "program", "alarm", "detect", "deadline", "to safe", "peak", "ceiling",
                                                          "laser off", "result"))
    counts = {"PASS": 0, "GAP": 0, "FAIL": 0}
    t0 = time.monotonic()
    # One simulated board per cell, as many at once as there are cores;
    # rows printed in matrix order.
    from concurrent.futures import ThreadPoolExecutor

    cells = [(fault, prog) for fault in faults for prog in progs if fits(fault, prog)]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        for r in pool.map(lambda c: run_cell(*c), cells):
            counts[status(r)] += 1
            print(_row(r), flush=True)
    print("%d cells: %d pass, %d known gaps (not detected, contained), %d failed; %.0f s wall; hard limit %d Pa "
          "(a program's ceiling is its own limit, plus the offset of a sensor reading low); laser off = device ms/control ticks "
          "from the fault to the end of the emission (laser programs)" % (
              len(cells), counts["PASS"], counts["GAP"], counts["FAIL"], time.monotonic() - t0, HARD_LIMIT_PA))
    return 1 if counts["FAIL"] else 0


if __name__ == "__main__":
    sys.exit(main())
