# Simulated board: the MicroPython-side entry point.
#
#   micropython boards/sim/runner.py [--scenario REF] [--speed X|max]
#       [--truth-csv FILE] [--truth-interval-ms N] [--until-ms N]
#       [--firmware DIR] [--hold-until-input 0|1]
#       [--flash FILE] [--flash-blocks N] [--flash-cut-at-write N]
#       [--cpu host|rp2040|esp32] [--ctrl-c-fd FD]   (FD: ctrl_c.py)
#       [--gate-fd FD --idle-speed X]   (hostgate.py)
#       [--boards-modules DIR] [--sim-modules DIR]   (the two compiled: mpycache.py)
#
# Builds the simulated world from a scenario, installs it behind the emulated
# `machine` module and boots the unchanged firmware (main.py from the firmware
# directory, or from the flash once a deploy put main.py there) as a board
# would. Resets (watchdog, machine.reset(), power cut, Ctrl-D) reboot the firmware while the physics keeps running. When the
# firmware stops (Ctrl-C or an uncaught error) the board sits in its REPL, as a
# real one does. Serial I/O is stdin/stdout; boards/sim/launcher.py puts a
# pseudo-terminal in front of it. Normally started by `vacuumctl sim`.
import sys

_HERE = __file__.rsplit("/", 1)[0] if "/" in __file__ else "."
_ROOT = _HERE.rsplit("/", 2)[0] if _HERE.count("/") >= 2 else _HERE + "/../.."
_USAGE = "usage: runner.py [--scenario REF] [--speed X|max] [--truth-csv FILE] [--truth-interval-ms N] [--until-ms N] [--firmware DIR] [--hold-until-input 0|1] [--heap-report FILE] [--flash FILE] [--flash-blocks N] [--flash-cut-at-write N] [--cpu host|rp2040|esp32] [--ctrl-c-fd FD] [--gate-fd FD --idle-speed X] [--boards-modules DIR] [--sim-modules DIR]"


def _fail(msg, code=2):
    sys.stderr.write("sim: %s\n" % msg)
    sys.exit(code)


def _parse_args(argv):
    opts = {"scenario": "default", "speed": "max", "truth-csv": None, "truth-interval-ms": "10", "until-ms": None, "firmware": _ROOT + "/firmware", "hold-until-input": "0", "heap-report": None, "flash": None, "flash-blocks": "352", "flash-cut-at-write": "0", "cpu": None, "ctrl-c-fd": None, "gate-fd": None, "idle-speed": None, "boards-modules": _ROOT + "/boards", "sim-modules": _HERE}
    i = 0
    while i < len(argv):
        a = argv[i]
        if not a.startswith("--") or a[2:] not in opts or i + 1 >= len(argv):
            _fail("bad argument %r\n%s" % (a, _USAGE))
        opts[a[2:]] = argv[i + 1]
        i += 2
    for k in ("speed", "idle-speed"):
        speed = opts[k]
        if speed is None or (speed == "max" and k == "speed"):
            opts[k] = None
            continue
        try:
            opts[k] = float(speed)
        except ValueError:
            _fail("--%s must be a number%s, not %r" % (k, " or 'max'" if k == "speed" else "", speed))
        if not 0.01 <= opts[k] <= 10000:
            _fail("--%s must be between 0.01 and 10000" % k)
    if (opts["gate-fd"] is None) != (opts["idle-speed"] is None):
        _fail("--gate-fd and --idle-speed go together")
    for k in ("truth-interval-ms", "until-ms"):
        if opts[k] is not None:
            try:
                opts[k] = int(opts[k])
            except ValueError:
                _fail("--%s must be an integer number of milliseconds" % k)
            if opts[k] < 1:
                _fail("--%s must be at least 1" % k)
    for k, lo, hi in (("flash-blocks", 8, 65536), ("flash-cut-at-write", 0, 10**9)):
        try:
            opts[k] = int(opts[k])
        except ValueError:
            _fail("--%s must be an integer" % k)
        if not lo <= opts[k] <= hi:
            _fail("--%s must be between %d and %d" % (k, lo, hi))
    return opts


def _make_flash(opts):
    import os
    from flash import SimFlash, scratch_dir

    path = opts["flash"]
    temp = path is None
    if temp:
        # No image named: a blank chip for this run only.
        path = "%s/vacuum-sim-flash-%s.img" % (scratch_dir(), "".join("%02x" % b for b in os.urandom(6)))
    try:
        chip = SimFlash(path, opts["flash-blocks"])
    except (OSError, ValueError) as e:
        _fail("--flash %s: %s" % (path, e))
    chip.temporary = temp
    chip.cut_at_write(opts["flash-cut-at-write"])
    return chip


def main():
    opts = _parse_args(sys.argv[1:])
    for p in (opts["boards-modules"], opts["sim-modules"]):
        sys.path.insert(0, p)
    # Order now: sim (machine, board), boards; boot_loop adds the firmware's
    # place after them at every boot (the flash if it holds main.py, else
    # the firmware directory).
    import scenario as scenario_mod

    try:
        scn = scenario_mod.load_scenario(opts["scenario"], _HERE + "/scenarios")
    except scenario_mod.ScenarioError as e:
        _fail(str(e))
    if opts["cpu"] is not None:
        # --cpu overrides the scenario's own "cpu".
        if opts["cpu"] not in scenario_mod.CPUS:
            _fail("--cpu must be one of %s, not %r" % (", ".join(scenario_mod.CPUS), opts["cpu"]))
        scn["cpu"] = opts["cpu"]
    import simworld
    from world import World, SimStop

    chip = _make_flash(opts)
    gate = None
    if opts["gate-fd"] is not None:
        from hostgate import HostGate

        gate = HostGate(int(opts["gate-fd"]), opts["idle-speed"])
    world = World(scn, speed=opts["speed"], truth_path=opts["truth-csv"], truth_interval_ms=opts["truth-interval-ms"], until_ms=opts["until-ms"], hold_for_input=opts["hold-until-input"] == "1", flash=chip, gate=gate)
    simworld.install(world)
    if opts["ctrl-c-fd"] is not None:
        import ctrl_c

        ctrl_c.install(int(opts["ctrl-c-fd"]))
    if opts["heap-report"]:
        world.enable_heap_sampling()
    import boot_loop

    try:
        boot_loop.run(world, opts["firmware"])
    except SimStop:
        pass
    finally:
        world.close()
        if opts["heap-report"]:
            with open(opts["heap-report"], "w") as f:
                f.write(world.heap.report() + "\n")
        if chip.temporary:
            import flash

            flash.remove_image(chip.path)


if __name__ == "__main__":
    main()
