# The plant the simulator's plant tests (test_plant.py, test_imperfections.py)
# start from: a 60 mL body cup on a typical small 12 V diaphragm pump, written
# out here (not taken from scenario.PLANT_DEFAULTS) so that the figures the
# tests compute from it stay fixed if the simulator's defaults change.
BASE = {
    "volume_ml": 60.0,
    "compliance_ml_per_kpa": 0.3,
    "pump_free_flow_l_min": 2.0,
    "pump_max_vacuum_kpa": 80.0,
    "leak_l_min_at_10kpa": 0.05,
    "vent_l_min_at_10kpa": 6.0,
    "ambient_kpa": 101.325,
}


def params(*overrides, **kw):
    """A copy of BASE updated by each dict of `overrides`, then by `kw`."""
    p = dict(BASE)
    for o in overrides:
        p.update(o)
    p.update(kw)
    return p
