"""The NPWT leak estimate against the true leak, before and after
commissioning (issue 17), on a pump weaker than the board file declares.

    .venv/bin/python tools/bench/leak_accuracy.py [--pump 0.7] [--leaks 0.5,1,2,4] [--duration 40]
        [--declared 12000 [--declared-max 80000]] [--bottle 100]

The plant is npwt_400ml's (400 mL soft dressing and canister, 1.5 m of 3 mm
tubing, solenoid vent, sensor offset and gain error, ambient drift) with its
pump replaced by one of PUMP x the board's declared free flow and maximum
vacuum, on npwt_400ml's concave curve. The declaration is the Pico's board
file (2000 mL/min, 80 kPa), or with --declared a variant of it with a bigger
pump (the scenario key "declared_pump": the firmware reads that declaration
as it would read a board file's): a 1.4 L/min pump cannot hold a 4 L/min
leak, and the figures must say which pump they are for. For each seal leak (L/min at 10 kPa):
an `npwt_continuous` session at 125 mmHg, uncommissioned (the firmware knows
the declared pump only) and commissioned (the record of a commissioning run
on a 100 mL bottle with the same pump, vent and sensor, set into the device's
configuration as `config load` would). Judged by the ground truth over the
session's last half: the true leak (`leak_flow_ml_min`) and the vacuum at
the wound (`true_vacuum_pa`, patient side of the tubing).

Prints one row per leak and state; the last line is the worst error."""
from __future__ import annotations

import argparse
import csv
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "host_tools"))
sys.path.insert(0, str(ROOT / "boards" / "sim"))
from boardfacts import board_constant  # noqa: E402
from vacuumctl.link import DeviceLink  # noqa: E402
from vacuumctl.telemetry import parse_fields  # noqa: E402

FACTORY_CODE = "246810"
RECORD = ("commissioned", "pump_flow_ml_min", "pump_max_vac", "vent_dead_pm", "vent_full_pm", "vent_flow_ml_min", "vent_exp_pm", "dead_time", "cal_offset")
PA_PER_MMHG = 133.322


def declaration(flow_ml_min: int | None, max_pa: int | None) -> dict:
    """The pump as the board declares it: the Pico's board file, or a
    variant's figures."""
    return {"free_flow_ml_min": flow_ml_min or board_constant("pico", "PUMP_FREE_FLOW_ML_MIN"),
            "max_vacuum_pa": max_pa or board_constant("pico", "PUMP_MAX_VACUUM_PA")}


def _plant(pump: float, leak_l_min: float, declared: dict) -> dict:
    sc = json.loads((ROOT / "boards" / "sim" / "scenarios" / "npwt_400ml.json").read_text())
    p = sc["plant"]
    flow = declared["free_flow_ml_min"] / 1000 * pump
    vmax = declared["max_vacuum_pa"] / 1000 * pump
    top = p["pump_curve"][-1][0]
    p["pump_free_flow_l_min"] = round(flow, 3)
    p["pump_curve"] = [[round(v * vmax / top, 2), q] for v, q in p["pump_curve"]]
    p["leak_l_min_at_10kpa"] = leak_l_min
    return p


def _open(plant: dict, d: Path, name: str, declared: dict | None, truth: Path | None = None) -> DeviceLink:
    path = d / ("%s.json" % name)
    sc = {"seed": 5, "board": "pico", "plant": plant, "events": []}
    if declared:
        sc["declared_pump"] = declared
    path.write_text(json.dumps(sc))
    link = DeviceLink.open("sim:" + str(path), truth_csv=str(truth) if truth else None)
    assert link.request("unlock " + FACTORY_CODE).startswith("role=service")
    return link


def commission(plant: dict, d: Path, declared: dict | None = None, bottle_ml: int = 100) -> dict:
    """Commission the plant's pump, vent and sensor on a rigid bottle;
    return the committed configuration entries."""
    bench = {k: v for k, v in plant.items() if k not in ("tube_length_m", "tube_inner_diameter_mm")}
    bench.update({"volume_ml": float(bottle_ml), "compliance_ml_per_kpa": 0.0, "leak_l_min_at_10kpa": 0.0})
    link = _open(bench, d, "bench", declared)
    try:
        link.request("commission start volume=%dmL" % bottle_ml)
        while True:
            m = link.next_message(120)
            if m is not None and m.kind in ("event", "alarm") and "commission_" in m.text:
                break
        if "commission_done" not in m.text:
            raise SystemExit("commissioning did not finish: %s" % m.text)
        link.request("commission commit")
        cfg = parse_fields(link.request("config show"))
    finally:
        link.close()
    return {k: cfg[k] for k in RECORD if k in cfg}


def session(plant: dict, d: Path, record: dict | None, duration_s: int, declared: dict | None = None) -> dict[str, float]:
    truth = d / "truth.csv"
    link = _open(plant, d, "npwt", declared, truth)
    tel: list[dict] = []
    try:
        if record:
            for k, v in record.items():
                link.request("config set %s %s" % (k, v))
            link.request("config commit")
        link.request("tel on 10Hz")
        link.request("start npwt_continuous duration=%ds" % duration_s)
        while True:
            m = link.next_message(60)
            if m is None:
                raise SystemExit("no telemetry")
            if m.kind == "tel":
                f = parse_fields(m.text)
                tel.append(f)
                if f["state"] != "run" and any(x["state"] == "run" for x in tel):
                    break  # ended (idle), or stopped by an alarm (fault: said in the row)
    finally:
        link.close()
    run = [f for f in tel if f["state"] == "run"]
    t0, t1 = int(run[0]["t_ms"]), int(run[-1]["t_ms"])
    half = t0 + (t1 - t0) // 2
    est = [int(f["leak_ml_min"]) for f in run if int(f["t_ms"]) >= half]
    # Device uptime and the truth's simulation time: both start at power-up
    # (the boot takes the same time in both; a 250 ms allowance is inside the
    # averaging window's slack).
    rows = [r for r in csv.DictReader(truth.open()) if half <= int(r["t_ms"]) <= t1]
    true_leak = sum(int(r["leak_flow_ml_min"]) for r in rows) / len(rows)
    wound = sum(int(r["true_vacuum_pa"]) for r in rows) / len(rows)
    line = sum(int(r["line_vacuum_pa"]) for r in rows) / len(rows)
    vent = sum(int(r["vent_flow_ml_min"]) for r in rows) / len(rows)
    return {"estimate": sum(est) / len(est), "true": true_leak, "wound_mmhg": wound / PA_PER_MMHG,
            "line_mmhg": line / PA_PER_MMHG, "vent": vent, "end": tel[-1]["state"] + ("" if tel[-1]["alarms"] == "none" else " " + tel[-1]["alarms"])}


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pump", type=float, default=0.7, help="the fitted pump as a fraction of the declared one (default 0.7)")
    ap.add_argument("--leaks", default="0.5,1,2,4", help="seal leaks in L/min at 10 kPa (default 0.5,1,2,4)")
    ap.add_argument("--duration", type=int, default=40, help="session length in device seconds (default 40)")
    ap.add_argument("--declared", type=int, default=None, metavar="ML_MIN",
                    help="a board variant declaring a pump of this free flow (default: the Pico's board file)")
    ap.add_argument("--declared-max", type=int, default=None, metavar="PA", help="that variant's maximum vacuum (default: the Pico's)")
    ap.add_argument("--bottle", type=int, default=100, metavar="ML", help="the commissioning bottle's volume (default 100 mL)")
    a = ap.parse_args(argv)
    leaks = [float(x) for x in a.leaks.split(",")]
    worst = {"uncommissioned": 0.0, "commissioned": 0.0}
    declared = declaration(a.declared, a.declared_max)
    variant = declared if a.declared or a.declared_max else None
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        fitted = _plant(a.pump, 1.0, declared)
        record = commission(fitted, d, variant, a.bottle)
        print("declared pump %d mL/min, %d Pa (%s); fitted pump %.2f x declared: %.0f mL/min, %.0f Pa" % (
            declared["free_flow_ml_min"], declared["max_vacuum_pa"], "a variant of the Pico" if variant else "the Pico's board file",
            a.pump, fitted["pump_free_flow_l_min"] * 1000, fitted["pump_curve"][-1][0] * 1000))
        print("commissioning record (%d mL bottle): %s" % (a.bottle, " ".join("%s=%s" % kv for kv in record.items())), flush=True)
        print("%-9s %-15s %9s %9s %7s  %10s %10s  %9s  %s" % ("leak", "state", "estimate", "true", "error", "wound mmHg", "line mmHg", "true vent", "end"))
        for leak in leaks:
            for state, rec in (("uncommissioned", None), ("commissioned", record)):
                r = session(_plant(a.pump, leak, declared), d, rec, a.duration, variant)
                err = 100 * (r["estimate"] - r["true"]) / r["true"]
                worst[state] = max(worst[state], abs(err))
                print("%-9s %-15s %9.0f %9.0f %+6.1f%%  %10.1f %10.1f  %9.0f  %s" % (
                    "%.2f L/min" % leak, state, r["estimate"], r["true"], err, r["wound_mmhg"], r["line_mmhg"], r["vent"], r["end"]), flush=True)
    print("worst leak-estimate error: uncommissioned %.1f %%, commissioned %.1f %%" % (worst["uncommissioned"], worst["commissioned"]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
