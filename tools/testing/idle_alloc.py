# What the firmware's background pass allocates when it has no job, in
# MicroPython, on a scripted session of the simulated board
# (boards/sim/scripted.py). The loop schedules its collections by counting
# the allocating jobs (lines in and out, log records: app.Device._jobs), so a
# pass without one must allocate nothing: a bound method handed over as a
# value at every pass (16 B on a 32-bit port) fills the heap uncounted, and
# the collection it forces lands in whatever pass runs out, not in one that
# has the time (docs/reliability.md, "Loop timing").
#
#   micropython tools/testing/idle_alloc.py PROGRAM
#   micropython tools/testing/idle_alloc.py SCENARIO "START LINE"
#
# PROGRAM: a named session (boards/sim/sessions.py); or a named scenario and
# the session to start on it (its board's). Prints one line
# `IDLE_ALLOC {json}`: passes measured (after the first 2 s), the bytes they
# allocated, how many allocated anything, how many were not measured (a
# collection ran in them), and the first few (uptime_ms, bytes). Passes that sent a telemetry line are left out with the jobs: the
# firmware's line allocates nothing, but the simulator's end of the link
# keeps what it receives.
import gc
import sys

_ROOT = __file__.rsplit("/tools/", 1)[0] if "/tools/" in __file__ else "."
sys.path.insert(0, _ROOT + "/boards/sim")

import scenario as scenario_mod  # noqa: E402
import scripted  # noqa: E402
import sessions  # noqa: E402

_SKIP_MS = 2000  # boot and the session's start: commands, events
_SHOWN = 5
_passes = [0, 0, 0, 0]  # measured, bytes, passes that allocated, passes with a collection (not measured)
_first = []


def _measured(background):
    def pass_(dev):
        jobs = dev._jobs() + dev.tel.lines
        a = gc.mem_alloc()
        background(dev)
        d = gc.mem_alloc() - a
        if dev.uptime_ms < _SKIP_MS or dev._jobs() + dev.tel.lines != jobs:
            return
        if d < 0:
            # A collection ran: forced by the simulator's own garbage (its
            # physics' floats are heap objects on this port), which the
            # device does not have. What the pass allocated is unknown.
            _passes[3] += 1
            return
        _passes[0] += 1
        if d:
            _passes[1] += d
            _passes[2] += 1
            if len(_first) < _SHOWN:
                _first.append((dev.uptime_ms, d))

    return pass_


def main(program, start=None):
    if start is None:
        name, start = sessions.PROGRAMS[program]
    else:
        name = program
    keep = scripted._keep_device

    def keeping():
        keep()
        import app

        app.Device.background = _measured(app.Device.background)

    scripted._keep_device = keeping
    scn = scenario_mod.load_scenario(name, _ROOT + "/boards/sim/scenarios")
    until = sessions.START_AT_MS + sessions.duration_ms(start) + 1500
    prepared = scripted.Prepared(scn, start, until, sample_heap=False)
    s = prepared.run()
    print('IDLE_ALLOC {"program": "%s", "passes": %d, "bytes": %d, "allocating_passes": %d, "collected_passes": %d, "first": %s, "session_end": "%s"}' % (
        program, _passes[0], _passes[1], _passes[2], _passes[3], str([list(f) for f in _first]), s["session_end"]))


main(*sys.argv[1:3])
