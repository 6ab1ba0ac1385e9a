# Named sessions: one per therapy program on a plant it is meant for, and one
# per named scenario. Used by the CPU budget tests (hil_tests/test_cpu_budget.py,
# every program on the rp2040 and esp32 CPU models) and by the 32-bit check
# (make check-32bit, tools/testing/wasm32): the same sessions everywhere. Runs under
# MicroPython and CPython. Short durations within each program's ranges
# (the NPWT intermittent phases are at least 60 s): a session ends by itself.

# program -> (scenario, start line)
PROGRAMS = {
    "continuous": ("default", "start continuous target=30kPa duration=8s"),
    "intermittent": ("default", "start intermittent target=20kPa on=3s off=2s duration=10s"),
    "dynamic": ("default", "start dynamic target=20kPa floor=8kPa rise=2s fall=2s duration=10s"),
    "dotted": ("default", "start dotted target=20kPa hold=3s wait=1s duration=10s"),
    "pulse": ("default", "start pulse target=20kPa freq=1Hz duration=8s"),
    "gradient": ("multi_3cups", "start gradient target=40kPa step=10kPa duration=8s"),
    "face_dotted": ("face_cup_5ml", "start face_dotted hold=3s wait=1s duration=10s"),
    "body_sliding": ("default", "start body_sliding ramp=2s duration=8s"),
    "cupping_back": ("large_cup_250ml", "start cupping_back ramp=2s duration=8s"),
    "decompression": ("default", "start decompression ramp=2s duration=8s"),
    "interval_legs": ("leg_chamber_15l", "start interval_legs on=5s off=5s duration=12s"),
    "npwt_continuous": ("npwt_400ml", "start npwt_continuous duration=8s"),
    "npwt_intermittent": ("npwt_400ml", "start npwt_intermittent on=60s off=60s duration=150s"),
    "npwt_dynamic": ("npwt_400ml", "start npwt_dynamic rise=10s fall=10s duration=25s"),
}

# The start line of a scenario's own session: continuous at a level its pump
# reaches (the leg chamber's interval therapy, the NPWT default), gradient on
# the three-cup board.
_SCENARIO_TARGETS = {"leg_chamber_15l": "5kPa", "npwt_400ml": "125mmHg", "fault_leak": "20kPa"}


def scenario_start(name):
    if name.startswith("multi_"):
        return PROGRAMS["gradient"][1]
    return "start continuous target=%s duration=12s" % _SCENARIO_TARGETS.get(name, "30kPa")


# The host: telemetry at 10 Hz, the start, then `status` every 250 ms as a
# monitoring host would (commands allocate: they make the loop collect).
TEL_AT_MS = 100
START_AT_MS = 300
STATUS_EVERY_MS = 250


def host_script(start_line, until_ms):
    """[(t_ms, line)] the host sends during a session of until_ms."""
    out = [(TEL_AT_MS, "tel on 10Hz"), (START_AT_MS, start_line)]
    t = START_AT_MS + STATUS_EVERY_MS
    while t < until_ms - 100:
        out.append((t, "status"))
        t += STATUS_EVERY_MS
    return out


def duration_ms(start_line):
    """The duration= of a start line, in ms."""
    for word in start_line.split():
        if word.startswith("duration="):
            v = word[9:]
            if v.endswith("ms"):
                return int(v[:-2])
            if v.endswith("s"):
                return int(v[:-1]) * 1000
    raise ValueError("no duration in %r" % start_line)
