# Where the simulated board's wall time goes, measured inside MicroPython.
#
#   micropython -X heapsize=N tools/bench/simprofile_mpy.py [runner options] < commands
#
# Runs the simulated board exactly as boards/sim/runner.py does (same
# options; stdin/stdout are the serial line), with a time.ticks_us() probe
# wrapped around each part of the simulator and of the firmware, and prints
# the breakdown as JSON on stderr at the end (the MicroPython Unix port has
# no profiler). Each probe costs a little: its own cost is measured here and
# subtracted (from the part itself and from the part that encloses it).
# tools/bench/simprofile.py drives it; docs/simulation.md, "Where the time goes".
import gc
import sys
import time

_HERE = __file__.rsplit("/", 1)[0] if "/" in __file__ else "."
_ROOT = _HERE + "/../.."
_ticks = time.ticks_us
_diff = time.ticks_diff

# name -> [inclusive us, calls]; PARENT says which probe encloses which.
ACC = {}
PARENT = {}
_names = []


def _slot(name, parent):
    ACC[name] = [0, 0]
    PARENT[name] = parent
    _names.append(name)
    return ACC[name]


# A probe's wrapper has the wrapped method's fixed arity, its state passed
# as default arguments: a *args wrapper would allocate a tuple per call, and
# so does calling a closure with more than 5 arguments + captured names, and
# most of these run inside the firmware's heap-locked tick. One source for
# every arity, compiled per probe.
_WRAPPER = """def w(self%s, f=f, a=a):
    t = _ticks()
    try:
        return f(%s)
    finally:
        a[0] += _diff(_ticks(), t)
        a[1] += 1
"""


def _wrapper(f, a, nargs, method=True):
    """A method taking nargs arguments besides self that calls f with them
    (and with self first if method), its time and calls added up in a."""
    params = "".join(", p%d" % i for i in range(nargs))
    scope = {"f": f, "a": a, "_ticks": _ticks, "_diff": _diff}
    exec(_WRAPPER % (params, "self" + params if method else params[2:]), scope)
    return scope["w"]


def probe(cls, meth, nargs, name, parent):
    """Wrap cls.meth, which takes nargs arguments besides self."""
    setattr(cls, meth, _wrapper(getattr(cls, meth), _slot(name, parent), nargs))


def _probe_cost():
    """Wall cost of one probe around a call, beyond the call itself (us)."""

    class C:
        def m(self, x):
            return x

    c = C()
    n = 20000
    t = _ticks()
    for i in range(n):
        c.m(i)
    bare = _diff(_ticks(), t)
    probe(C, "m", 1, "_cal", None)
    t = _ticks()
    for i in range(n):
        c.m(i)
    wrapped = _diff(_ticks(), t)
    del ACC["_cal"]
    _names.remove("_cal")
    # What a probe adds to the time measured by an enclosing probe, and what
    # it adds to its own reading (about half: one ticks_us call is inside).
    return max(0.0, (wrapped - bare) / n)


def main():
    for p in (_ROOT + "/boards", _ROOT + "/boards/sim"):
        sys.path.insert(0, p)
    # runner.main()'s steps, with the probes put in before the boot.
    import scenario as scenario_mod

    import runner

    opts = runner._parse_args(sys.argv[1:])
    scn = scenario_mod.load_scenario(opts["scenario"], _ROOT + "/boards/sim/scenarios")
    import simworld
    import world as world_mod
    import vclock
    import machine
    import plant

    chip = runner._make_flash(opts)
    w = world_mod.World(scn, speed=opts["speed"], truth_path=opts["truth-csv"], truth_interval_ms=opts["truth-interval-ms"],
                        until_ms=opts["until-ms"], hold_for_input=False, flash=chip)
    simworld.install(w)
    sys.path.insert(2, opts["firmware"])
    import app
    import safety
    import console
    import telemetry

    sen_cls = type(w.sensor)
    probe(vclock.VirtualClock, "sleep_until_us", 1, "virtual clock (sleep_until_us)", None)
    probe(world_mod.World, "advance_to", 1, "world stepping (advance_to)", "virtual clock (sleep_until_us)")
    if hasattr(plant.Plant, "advance_us"):
        probe(plant.Plant, "advance_us", 3, "physics (Plant.advance_us)", "world stepping (advance_to)")
    else:
        probe(plant.Plant, "step", 3, "physics (Plant.step)", "world stepping (advance_to)")
    probe(sen_cls, "advance", 2, "sensor emulation, simulator side (advance)", "world stepping (advance_to)")
    if "observe" in sen_cls.__dict__:
        probe(sen_cls, "observe", 2, "sensor emulation, simulator side (observe)", "world stepping (advance_to)")
    probe(world_mod.World, "_write_truth", 2, "truth CSV (_write_truth)", "world stepping (advance_to)")
    probe(world_mod.World, "_pace", 0, "pacing (_pace)", "world stepping (advance_to)")
    probe(app.Device, "tick", 0, "firmware tick (Device.tick)", None)
    probe(machine.I2C, "readfrom_mem_into", 3, "I2C byte path + emulation bus side", "firmware tick (Device.tick)")
    probe(machine.I2C, "writeto_mem", 3, "I2C byte path (writes)", "firmware tick (Device.tick)")
    probe(safety.Supervisor, "check", 6, "supervisor (Supervisor.check)", "firmware tick (Device.tick)")
    probe(app.Device, "background", 0, "firmware background (Device.background)", None)
    probe(console.Console, "service", 0, "serial input + commands (Console.service)", "firmware background (Device.background)")
    probe(telemetry.Telemetry, "send", 3, "telemetry formatting (Telemetry.send)", "firmware background (Device.background)")
    # The loop's gc calls (a heap walk each, and the scheduled collection):
    # app's global `gc` becomes a probe around the real module.
    walk = _slot("firmware loop: gc.mem_alloc/mem_free (heap walks)", None)
    coll = _slot("firmware loop: gc.collect (scheduled collections)", None)

    class _GcProbe:
        mem_alloc = _wrapper(gc.mem_alloc, walk, 0, False)
        mem_free = _wrapper(gc.mem_free, walk, 0, False)
        collect = _wrapper(gc.collect, coll, 0, False)

    app.gc = _GcProbe()
    ovh = _probe_cost()
    import boot_loop

    t0 = _ticks()
    try:
        boot_loop.run(w, opts["firmware"])
    except world_mod.SimStop:
        pass
    wall = _diff(_ticks(), t0)
    w.close()
    if chip.temporary:
        import flash

        flash.remove_image(chip.path)
    sim_s = w.phys_us / 1e6
    # Self time: inclusive minus the enclosed probes (and their probe cost).
    out = []
    for n in _names:
        incl, calls = ACC[n]
        kids = [k for k in _names if PARENT[k] == n]
        self_us = incl - calls * ovh * 0.5 - sum(ACC[k][0] + ACC[k][1] * ovh * 0.5 for k in kids)
        out.append((n, PARENT[n], self_us, calls))
    top = sum(ACC[n][0] + ACC[n][1] * ovh for n in _names if PARENT[n] is None)
    loops = ACC["firmware tick (Device.tick)"][1]
    rest = wall - top
    res = {"wall_us": wall, "sim_s": sim_s, "probe_us": ovh, "loops": loops,
           "parts": [{"name": n, "parent": p, "us": s, "calls": c} for n, p, s, c in out],
           "rest_us": rest}
    sys.stderr.write("SIMPROFILE " + _json(res) + "\n")


def _json(o):
    import json

    return json.dumps(o)


main()
