"""Commissioning accuracy on the simulated board: for each plant, a 100 mL
rigid chamber (no compliance, no leak, no tubing) on that plant's pump, vent
and sensor; the device's commissioning against the plant's true figures.

    .venv/bin/python tools/bench/commission_accuracy.py [SCENARIO.json ...]

Without arguments: the plants of hil_tests/mismatched_plants.py and every named
scenario with a pump curve. Prints one row per plant."""
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "host_tools"))
sys.path.insert(0, str(ROOT / "hil_tests"))
sys.path.insert(0, str(ROOT / "boards" / "sim"))
from devicekit import unlock  # noqa: E402
import scenario as scenario_mod  # noqa: E402
from mismatched_plants import PLANTS  # noqa: E402
from vacuumctl.link import DeviceLink  # noqa: E402

BENCH = {"volume_ml": 100.0, "compliance_ml_per_kpa": 0.0, "leak_l_min_at_10kpa": 0.0}
DROP = ("tube_length_m", "tube_inner_diameter_mm")


def _dead_zone(curve):
    if not curve:
        return 0.0
    return max(d for d, o in curve if o <= 0.0)


def run(name, plant, board="pico"):
    p = {k: v for k, v in plant.items() if k not in DROP and v is not None}
    p.update(BENCH)
    if p.get("pump_curve"):
        p["pump_max_vacuum_kpa"] = p["pump_curve"][-1][0]
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / ("%s.json" % name)
        path.write_text(json.dumps({"seed": 3, "board": board, "plant": p, "events": []}))
        link = DeviceLink.open("sim:" + str(path))
        try:
            unlock(link)
            link.request("commission start volume=100mL")
            while True:
                m = link.next_message(60)
                if m is not None and m.kind in ("event", "alarm") and "commission_" in m.text:
                    break
        finally:
            link.close()
    f = dict(t.split("=", 1) for t in m.text.split() if "=" in t)
    if "commission_done" not in m.text:
        return "%-22s %s" % (name, m.text)
    tf, tm = p["pump_free_flow_l_min"] * 1000, p["pump_max_vacuum_kpa"] * 1000
    td = _dead_zone(p.get("vent_curve"))
    mf, mm, md = int(f["pump_free_flow_ml_min"]), int(f["pump_max_vacuum_pa"]), int(f["vent_dead_pm"]) / 1000
    tv, mv = p["vent_l_min_at_10kpa"] * 1000, int(f["vent_flow_ml_min"])
    return "%-22s %6d %6d %+6.1f%%  %6.1f %6.1f %+6.1f%%  %5.2f %5.2f %+5.2f  %6d %6d %+6.1f%% %5.2f  %s" % (
        name, tf, mf, 100 * (mf - tf) / tf, tm / 1000, mm / 1000, 100 * (mm - tm) / tm, td, md, md - td,
        tv, mv, 100 * (mv - tv) / tv, int(f["vent_exp_pm"]) / 1000, "stalled" if f["stalled"] == "1" else "extrapolated")


def main(argv):
    plants = []
    if argv:
        for a in argv:
            sc = scenario_mod.load(a) if hasattr(scenario_mod, "load") else json.loads(Path(a).read_text())
            plants.append((Path(a).stem, sc["plant"], sc.get("board", "pico")))
    else:
        for pl in PLANTS:
            q = {k: v for k, v in pl.items() if k not in ("name", "dead")}
            plants.append((pl["name"], q, "pico"))
        for f in sorted((ROOT / "boards" / "sim" / "scenarios").glob("*.json")):
            raw = json.loads(f.read_text())
            if "pump_curve" in raw.get("plant", {}):
                plants.append((f.stem, raw["plant"], raw.get("board", "pico")))
    print("%-22s %6s %6s %7s  %6s %6s %7s  %5s %5s %5s  %6s %6s %7s %5s" % (
        "plant", "flow", "meas", "err", "maxkPa", "meas", "err", "dead", "meas", "err", "vent10", "meas", "err", "exp"))
    for name, plant, board in plants:
        full = dict(scenario_mod.PLANT_DEFAULTS)
        full.update(plant)
        print(run(name, full, board if board in ("pico", "pico2", "esp32_devkitc") else "pico"), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
