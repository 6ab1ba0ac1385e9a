#!/usr/bin/env python3
"""Fault matrix: every simulated fault event in every therapy program, on the
unchanged firmware (simulated board, 60 mL default cup, speed max).

Each cell: a scenario with the fault at FAULT_T_MS of device time (the
session, started at ~1 s, is holding by then); the fault must be detected
within its deadline by one of the expected alarms, the device must be in the
safe state (commanded pump 0, vent fully open, state fault), and the true
vacuum (physics ground truth, not the firmware's reading) must never exceed
HARD_LIMIT_PA. Used by hil_tests/test_fault_matrix.py and `make safety-report`.
All times are device time (ms).
"""
from __future__ import annotations

import csv
import json
import os
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "host_tools"))
from vacuumctl.link import DeviceLink  # noqa: E402

HARD_LIMIT_PA = 70_000  # pico board ceiling (firmware ABS max 71 kPa)
FAULT_T_MS = 5_000
NOMINAL_START_MS = 1_100  # uptime at which the start command usually arrives
# One start line per therapy program (the matrix test checks that this covers
# every program the device lists). Intermittent: on 1-9 s, off 9-13 s, on 13-21 s.
PROGRAMS = {
    "continuous": "start continuous target=30kPa duration=20s",
    "intermittent": "start intermittent target=30kPa on=8s off=4s duration=24s",
}
# Programs the device lists that this matrix does not yet exercise: they came
# with the programs branch after the matrix was written and need their own
# start lines and deadlines (a dotted program waits for the operator between
# dots, a pulse program never holds a setpoint, ...). The matrix test fails if
# a program is neither here nor in PROGRAMS.
NOT_COVERED = ("dynamic", "dotted", "pulse", "face_dotted", "body_sliding", "cupping_back", "decompression",
               "interval_legs", "npwt_continuous", "npwt_intermittent", "npwt_dynamic", "gradient")
# fault -> (event value, expected alarms, {program: deadline ms after the fault}, why)
FAULTS = {
    "sensor_disconnect": (None, {"sensor"}, {"continuous": 100, "intermittent": 100}, "4 failed samples"),
    "sensor_stuck": (None, {"stuck"}, {"continuous": 750, "intermittent": 750}, "100 frozen samples (0.5 s) while regulating, from the first sample equal to the frozen one"),
    "sensor_offset": (5000.0, {"offset"}, {"continuous": 23_000, "intermittent": 9_000}, "at the next rest (release at ~21.5 s / off phase at 9 s) + 3 s"),
    "leak": (1.5, {"leak"}, {"continuous": 6_000, "intermittent": 16_000}, "4 s below target at full pump (this on phase or the next)"),
    "blockage": (None, {"blockage", "rise"}, {"continuous": 7_000, "intermittent": 10_000}, "4 s of no flow at the setpoint; or the tubing's rise at the next pull-down"),
    "pump_fail": (None, {"pump"}, {"continuous": 8_000, "intermittent": 14_000}, "3 windows of 1 s falling / flat at ambient at > 50 % pump"),
    "pump_stuck_on": (None, {"pump_on", "vent"}, {"continuous": 7_000, "intermittent": 15_000}, "2 s of venting at the setpoint with the pump off"),
    "vent_stuck_closed": (None, {"vent"}, {"continuous": 21_000, "intermittent": 8_000}, "not halved 2 s after the vent opened (release at ~21.5 s / off phase at 9 s)"),
    "firmware_hang": (None, {"reset"}, {"continuous": 1_100, "intermittent": 1_100}, "watchdog reset (1 s), reported at boot"),
    "power_cut": (2000, set(), {"continuous": 2_500, "intermittent": 2_500}, "boots safe; pwron_reset is not told apart from a normal power-up (needs the persistent store)"),
}


def _scenario(fault, value, path):
    ev = {"t_ms": FAULT_T_MS, "fault": fault}
    if value is not None:
        ev["value"] = value
    with open(path, "w") as f:
        json.dump({"description": "fault matrix cell", "events": [ev]}, f)


def _truth(path):
    with open(path, newline="") as f:
        return [r for r in csv.DictReader(f) if r.get("event") is not None]


def run_cell(fault, program, wall_timeout_s=60.0):
    value, expected, deadlines, _ = FAULTS[fault]
    deadline = deadlines[program]
    tmp = tempfile.mkdtemp(prefix="faultmatrix_")
    scen = os.path.join(tmp, "cell.json")
    truth_path = os.path.join(tmp, "truth.csv")
    _scenario(fault, value, scen)
    link = DeviceLink.open("sim:" + scen, truth_csv=truth_path)
    res = {"fault": fault, "program": program, "deadline_ms": deadline, "alarm": "-", "detect_ms": None, "safe_ms": None, "peak_true_pa": None, "problems": []}
    try:
        link.request("tel on 200Hz")
        link.request(PROGRAMS[program])
        end = time.monotonic() + wall_timeout_s
        raised = None
        boot = None
        last_t = 0
        safe_t = None
        t_start = None  # uptime of the first telemetry line in the session
        while time.monotonic() < end:
            try:
                m = link.messages.get(timeout=1.0)
            except Exception:  # noqa: BLE001 - queue.Empty
                continue
            if m.kind == "boot":
                boot = m
                break
            if m.kind == "alarm" and m.text.startswith("alarm raise") and raised is None and "priority=low" not in m.text:
                raised = m
            if m.kind == "tel":
                last_t = int(m.fields["t_ms"])
                f = m.fields
                if t_start is None and f["state"] == "run":
                    t_start = last_t
                    # Deadlines assume the session starts at NOMINAL_START_MS;
                    # the host's command can arrive later on a busy machine.
                    deadline += max(0, t_start - NOMINAL_START_MS)
                    res["deadline_ms"] = deadline
                if raised is not None and safe_t is None and f["pump_duty"] == 0 and f["valve_duty"] == 65535 and f["state"] == "fault":
                    safe_t = last_t
                if safe_t is not None and last_t >= safe_t + 300:
                    break
                if last_t > FAULT_T_MS + deadline + 3_000:
                    break
        if boot is not None:
            time.sleep(0.3)
            al = link.request("alarms")
            rows = _truth(truth_path)
            t_fault = next(int(r["t_ms"]) for r in rows if fault in r["event"])
            t_boot = next(int(r["t_ms"]) for r in rows if "boot" in r["event"] or "wdt_reset" in r["event"])
            res["detect_ms"] = t_boot - t_fault if expected else None  # a power cut is not detected: it just boots
            names = [w.split("=")[0] for w in al.split()[2:]]
            res["alarm"] = ",".join(names) or "-"
            res["boot"] = boot.text
            after = [r for r in rows if int(r["t_ms"]) > t_fault]
            if not all(int(r["pump_duty"]) == 0 and int(r["valve_duty"]) == 65535 for r in after if int(r["t_ms"]) >= t_boot):
                res["problems"].append("not safe after the reset")
            res["safe_ms"] = 0
            if expected and not expected & set(names):
                res["problems"].append("expected %s after boot, got %s" % (sorted(expected), al))
            if not expected and names:
                res["problems"].append("unexpected alarms after boot: %s" % al)
        elif raised is None:
            res["problems"].append("no alarm by %d ms after the fault" % (last_t - FAULT_T_MS))
        else:
            name = raised.text.split()[2]
            res["alarm"] = name
            t_alarm = int(raised.fields["t_ms"])
            res["detect_ms"] = t_alarm - FAULT_T_MS  # truth t_ms == uptime on the first boot
            if name not in expected:
                res["problems"].append("alarm %s, expected one of %s" % (name, sorted(expected)))
            if safe_t is None:
                res["problems"].append("no safe state after the alarm")
            else:
                res["safe_ms"] = safe_t - t_alarm
        if res["detect_ms"] is not None and not 0 <= res["detect_ms"] <= deadline:
            res["problems"].append("detected after %d ms, deadline %d ms" % (res["detect_ms"], deadline))
        time.sleep(0.2)
        rows = _truth(truth_path)
        res["peak_true_pa"] = max(int(r["true_vacuum_pa"]) for r in rows)
        if res["peak_true_pa"] > HARD_LIMIT_PA:
            res["problems"].append("true vacuum %d Pa above the hard limit" % res["peak_true_pa"])
    finally:
        link.close()
    return res


def main():
    print("Fault matrix: faults x programs on the simulated 60 mL cup, fault at t=%d ms; times in device ms" % FAULT_T_MS)
    print("%-18s %-13s %-10s %9s %9s %8s %12s  %s" % ("fault", "program", "alarm", "detect", "deadline", "to safe", "peak true", "result"))
    bad = 0
    for fault in FAULTS:
        for prog in PROGRAMS:
            r = run_cell(fault, prog)
            ok = not r["problems"]
            bad += not ok
            print("%-18s %-13s %-10s %9s %9d %8s %10s Pa  %s" % (
                fault, prog, r["alarm"], "-" if r["detect_ms"] is None else r["detect_ms"], r["deadline_ms"],
                "-" if r["safe_ms"] is None else r["safe_ms"], r["peak_true_pa"], "PASS" if ok else "FAIL: " + "; ".join(r["problems"])))
    print("hard limit %d Pa; %d cell(s) failed" % (HARD_LIMIT_PA, bad))
    print("NOT covered yet (no start line / deadlines): %s" % ", ".join(NOT_COVERED))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
