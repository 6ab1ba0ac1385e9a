# The 32-bit check's MicroPython side (make check-32bit): runs inside the
# official MicroPython webassembly port (tools/testing/wasm32/check32.mjs loads it),
# a 32-bit interpreter like the rp2 and esp32 ports: 31-bit small ints, a
# long int for 2**30 and above, 32-bit heap objects. Each function runs in a
# fresh interpreter and returns a JSON string.
import gc
import json
import sys


REPO = "/repo"
# Where the firmware is imported from: /repo/firmware (.py, compiled into the
# heap at import, as .mpy files copied to a board are loaded into it) or /rom
# (a ROMFS image of .mpy files executed in place: bytecode stays in flash, as
# in a frozen build). check32.mjs chooses with use_firmware().
_FW = [REPO + "/firmware"]


def use_firmware(path):
    _FW[0] = path
    return "{}"


def _paths():
    for p in (_FW[0], REPO + "/boards", REPO + "/boards/sim"):
        if p not in sys.path:
            sys.path.insert(0, p)


def interpreter():
    """What kind of interpreter this is (the check refuses to run on a
    64-bit one: it would prove nothing)."""
    import struct

    if REPO + "/tools/testing" not in sys.path:
        sys.path.append(REPO + "/tools/testing")
    from heaplock import locked

    small, big = 2**30 - 2, 2**30 - 1  # variables: a constant sum would be folded at compile time
    return json.dumps({
        "version": "%d.%d.%d" % sys.implementation.version[:3],
        "platform": sys.platform,
        "maxsize": sys.maxsize,
        "pointer_bytes": struct.calcsize("P"),
        "add_to_2_pow_30_minus_2": locked(lambda: small + 1),  # 2**30 - 1: a small int
        "add_to_2_pow_30_minus_1": locked(lambda: big + 1),  # 2**30: a long int, allocates
        "float_is_double": 1.0 + 1e-8 != 1.0,
    })


def unit_file(path):
    """The test_* functions of one firmware unit-test file (as
    tools/testing/mpy_unittest.py runs them): {passed, failed, skipped, failures}."""
    _paths()
    folder = path.rsplit("/", 1)[0]
    if folder not in sys.path:
        sys.path.append(folder)  # helpers beside the tests (testbus.py), as tools/testing/mpy_unittest.py
    scope = {"__name__": "__test__", "__file__": path}
    with open(path) as f:
        source = f.read()
    passed, failed, failures = 0, 0, []
    import vfs

    if ("import flash" in source or "from flash " in source) and not hasattr(vfs, "VfsLfs2"):
        # The simulated flash chip is littlefs on an image file: this port
        # has neither littlefs nor os.urandom. These run in the Unix port.
        return json.dumps({"passed": 0, "failed": 0, "skipped": "needs littlefs (vfs.VfsLfs2), absent from this port", "failures": []})
    try:
        exec(compile(source, path, "exec"), scope)
    except ImportError as e:
        # A module this port does not have (littlefs: the flash tests run in
        # the Unix port only).
        return json.dumps({"passed": 0, "failed": 0, "skipped": str(e), "failures": []})
    names = sorted(k for k in scope if k.startswith("test_") and callable(scope[k]))
    for name in names:
        try:
            scope[name]()
            passed += 1
        except Exception as e:  # noqa: BLE001 - report every failure, keep going
            failed += 1
            failures.append("%s: %s: %s" % (name, type(e).__name__, e))
            sys.print_exception(e)
    return json.dumps({"passed": passed, "failed": failed, "skipped": None, "failures": failures})


# A session runs in several calls from JavaScript: this port frees garbage
# only when a collection runs at the top of a call (its C stack holds stale
# pointers to whatever the current call allocated), so the heap is weighed
# between calls: after the session is set up (the simulator's own objects),
# and after it ran with the firmware's Device kept reachable.
_state = {}


def session_prepare(kind, name, cpu="host"):
    """Set up a closed-loop session (boards/sim/scripted.py): kind "program"
    or "scenario"."""
    _paths()
    import scenario as scenario_mod
    import scripted
    import sessions

    if kind == "program":
        scn_name, start = sessions.PROGRAMS[name]
    else:
        scn_name, start = name, sessions.scenario_start(name)
    scn = scenario_mod.load_scenario(scn_name, REPO + "/boards/sim/scenarios")
    until = sessions.START_AT_MS + sessions.duration_ms(start) + 1500
    # Without the world's heap sampling (a collection and gc.mem_alloc() once
    # per simulated second): this port frees garbage only between calls from
    # JavaScript, so during session_run() the heap only grows and each sample
    # scans all of it, weighing nothing (4 s of the 150 s npwt_intermittent
    # session's 10 s). check32.mjs weighs the heap between calls (heap()).
    _state["prepared"] = scripted.Prepared(scn, start, until, cpu=cpu, fw_dir=_FW[0], boards_dir=REPO + "/boards",
                                           sample_heap=False)
    _state["start"] = start
    _state["scenario"] = scn_name
    return "{}"


def heap():
    """The live heap after a collection (call it on its own)."""
    gc.collect()
    return json.dumps(gc.mem_alloc())


def session_run():
    s = _state["prepared"].run()
    s["start"] = _state["start"]
    s["scenario"] = _state["scenario"]
    return json.dumps(s)


SERVICE = ("command_help", "program_help", "param_commands", "tune_commands", "config_commands", "tune_result")


def service_import(name):
    """Load one on-demand module and keep it (lazy.call_lazy holds it
    for one command)."""
    _state["before"] = set(sys.modules)
    _state["module"] = __import__(name)
    return "{}"


def service_drop():
    _state["module"] = None
    for m in list(sys.modules):
        if m not in _state["before"]:
            del sys.modules[m]
    return "{}"


def names():
    """Every program and named scenario the check must cover."""
    _paths()
    import os

    import programs
    import sessions

    return json.dumps({
        "programs": [p.name for p in programs.PROGRAMS],
        "sessions": sorted(sessions.PROGRAMS),
        "scenarios": sorted(f[:-5] for f in os.listdir(REPO + "/boards/sim/scenarios") if f.endswith(".json")),
        "unit_files": sorted(REPO + "/firmware/tests/" + f for f in os.listdir(REPO + "/firmware/tests") if f.startswith("test_") and f.endswith(".py")),
        "service": SERVICE,
    })
