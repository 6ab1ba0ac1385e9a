"""Issue 17's leak estimate (docs/commissioning.md, "The leak estimate before
and after"): after commissioning on a pump 30 % weaker than declared, the
NPWT leak estimate reads within 15 % of the true leak, judged by the ground
truth (the plant's leak flow, not the firmware's figures), at the two ends
of 0.5..4 L/min. The low end is where the vent's bleed used to count as
leak (a 1.4 L/min pump: the Pico's declaration x 0.7); 4 L/min needs a pump
a 1.4 L/min one is not, so the high end runs on a board variant declaring
15 L/min (x 0.7: 10.5 L/min fitted). Seeded (tools/bench/leak_accuracy.py,
seed 5), device time only; each board a few seconds of wall time."""
from __future__ import annotations

import pytest

import leak_accuracy  # tools/bench (pytest.ini pythonpath)

pytestmark = pytest.mark.usefixtures("needs_sim")

# seal leak (L/min at 10 kPa) -> about the true leak at 125 mmHg:
# 0.39 -> 0.5 L/min, 3.1 -> 3.9 L/min
CASES = [
    ("pico_0.5", None, 100, 0.39),
    ("variant_4", {"free_flow_ml_min": 15_000, "max_vacuum_pa": 80_000}, 250, 3.1),
]


@pytest.mark.parametrize("declared,bottle,leak", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_commissioned_estimate_within_15_percent_of_the_true_leak(tmp_path, declared, bottle, leak):
    decl = leak_accuracy.declaration(declared and declared["free_flow_ml_min"], declared and declared["max_vacuum_pa"])
    record = leak_accuracy.commission(leak_accuracy._plant(0.7, 1.0, decl), tmp_path, declared, bottle)
    assert int(record["commissioned"]) == 1 and int(record["vent_flow_ml_min"]) > 0, record
    r = leak_accuracy.session(leak_accuracy._plant(0.7, leak, decl), tmp_path, record, 30, declared)
    assert r["end"] == "release", r  # held to the end, no alarm
    err = (r["estimate"] - r["true"]) / r["true"]
    assert abs(err) <= 0.15, (r, err)
    # The hold does not bleed pump flow through the vent (it used to, 200-1900
    # mL/min: the estimate then rested on subtracting it).
    assert r["vent"] < 0.05 * r["true"], r
    # The wound (patient side of the tubing) at 125 mmHg less the tube's drop
    # under this flow: never above the target by more than the sensor's own
    # error, and at 4 L/min no more than 10 mmHg below it (the drop of 1.5 m
    # of 3 mm tubing, docs/commissioning.md).
    assert 115.0 <= r["wound_mmhg"] <= 127.0, r

