"""Three pumps and vents that differ from what the pico declares (2 L/min,
80 kPa), shared by the commissioning tests and tools/bench/commission_accuracy.py:
weaker and stalling below the device's 63 kPa commissioning top, stronger and
deeper than the ceiling (extrapolated), and a slow one. `dead` is the vent
curve's true dead zone (duty fraction), the figure commissioning must find."""

PLANTS = [
    {"name": "weak_stalls", "pump_free_flow_l_min": 1.4, "pump_max_vacuum_kpa": 58.0,
     "pump_curve": [[0, 1.0], [20, 0.8], [40, 0.5], [58, 0.0]], "vent_curve": [[0, 0], [0.35, 0], [0.6, 0.9], [1, 1]], "dead": 0.35},
    {"name": "strong_deep", "pump_free_flow_l_min": 2.7, "pump_max_vacuum_kpa": 88.0,
     "pump_curve": [[0, 1.0], [22, 0.8], [44, 0.57], [66, 0.31], [88, 0.0]], "vent_curve": [[0, 0], [0.2, 0], [0.7, 1.0], [1, 1]], "dead": 0.2},
    {"name": "slow_mid", "pump_free_flow_l_min": 1.1, "pump_max_vacuum_kpa": 72.0,
     "pump_curve": [[0, 1.0], [36, 0.45], [72, 0.0]], "vent_curve": [[0, 0], [0.1, 0], [1, 1]], "dead": 0.1},
]
