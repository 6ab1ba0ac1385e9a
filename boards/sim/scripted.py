# A scripted session on the simulated board, in one interpreter: the
# unchanged firmware, the sensor emulation and the physics, with the serial
# link on buffers (bufferlink.py) and the host's lines sent at set device
# times (sessions.host_script). Summarises what the budget tests and the
# 32-bit check judge: loop timing, collections, alarms, how the session
# ended, errors, and the firmware's peak live heap. --truth writes the
# world's ground truth (10 ms rows), --tel-log the telemetry's time and
# setpoint (`t_ms,setpoint_pa`): files, so the summary does not grow (the
# robustness campaign judges the control targets from them).
#
#   micropython boards/sim/scripted.py (--program NAME | --scenario NAME|PATH)
#       [--start LINE] [--cpu host|rp2040|esp32] [--board NAME] [--until-ms N]
#       [--truth CSV] [--tel-log CSV]
#       [--firmware DIR] [--boards-modules DIR] [--sim-modules DIR]
#
# The last three name where the firmware's, the boards' and the simulator's
# modules are imported from (default: their sources); the launcher's .mpy
# cache (mpycache.py, as runner.py boots) saves compiling them at each run.
#
# prints the summary as one line `SCRIPTED {json}` (what the firmware printed
# before it, e.g. a traceback, stays in the output for the caller to see).
# Under the 32-bit interpreter (tools/testing/wasm32/check32.mjs) run() is called
# directly. Resets (power cut, watchdog) reboot the firmware as boot_loop
# does; a firmware that stops (an uncaught error) ends the run.
import gc
import sys

_HERE = __file__.rsplit("/", 1)[0] if "/" in __file__ else "."


def _paths(fw_dir, boards_dir, sim_dir=None):
    for p in (fw_dir, boards_dir, sim_dir or _HERE):
        if p not in sys.path:
            sys.path.insert(0, p)


def _fields(line):
    out = {}
    for w in line.split():
        k, eq, v = w.partition("=")
        if eq:
            out[k] = v
    return out


class Summary:
    """The budget figures, from the device's output as it is written."""

    def __init__(self, tel_log=None):
        self.tel_log = tel_log  # an open file for `t_ms,setpoint_pa` rows, or None
        self.s = {"telemetry": 0, "late_us_max": 0, "gc_us_max": 0, "tel_overruns": 0, "alarms": [],
                  "session_end": None, "errors": [], "status": {}, "boots": 0}
        self._part = b""

    def feed(self, data):
        data = self._part + data
        lines = data.split(b"\n")
        self._part = lines.pop()
        for raw in lines:
            self.line(raw.decode().strip())

    def line(self, line):
        s = self.s
        if line.startswith("!"):
            line = line.split(" ", 1)[1] if " " in line else ""
        if line.startswith("tel "):
            f = _fields(line)
            s["telemetry"] += 1
            s["late_us_max"] = max(s["late_us_max"], int(f.get("late_us", 0)))
            s["gc_us_max"] = max(s["gc_us_max"], int(f.get("gc_us", 0)))
            s["tel_overruns"] = max(s["tel_overruns"], int(f.get("overruns", 0)))
            if self.tel_log is not None and "setpoint_pa" in f:
                self.tel_log.write("%s,%s\n" % (f.get("t_ms"), f.get("setpoint_pa")))
        elif line.startswith("alarm raise "):
            name = line.split()[2]
            if name not in s["alarms"]:
                s["alarms"].append(name)
        elif line.startswith("event session_end"):
            s["session_end"] = _fields(line).get("reason")
        elif line.startswith("ok state="):
            s["status"] = _fields(line[3:])
        elif line.startswith("boot "):
            s["boots"] += 1
        elif line.startswith("err E_INTERNAL") or "MemoryError" in line or "Traceback" in line:
            s["errors"].append(line)


# The firmware's Device of the current boot: kept reachable after the run so
# that a collection at the interpreter's top level can weigh what the
# firmware holds (the webassembly port frees garbage only there).
DEVICE = []


class Prepared:
    """A session set up and not yet run: the world, the host's script."""

    def __init__(self, scn, start_line, until_ms, cpu="host", fw_dir=None, boards_dir=None, flash_image=None,
                 truth_path=None, tel_log_path=None, sim_dir=None, sample_heap=True):
        root = _HERE.rsplit("/", 2)[0] if _HERE.count("/") >= 2 else _HERE + "/../.."
        _paths(fw_dir or root + "/firmware", boards_dir or root + "/boards", sim_dir)
        import sessions
        import simworld
        import vfs
        from world import World

        scn = dict(scn)
        scn["cpu"] = cpu
        self.chip = None
        if hasattr(vfs, "VfsLfs2"):
            from flash import SimFlash, scratch_image

            self.chip = SimFlash(flash_image or scratch_image(), 352)
            self.chip.temporary = flash_image is None
        else:
            # No littlefs in this port (the webassembly one): the board's data
            # directory on the interpreter's own filesystem; flash timing not modelled.
            import os

            for d in ("/flash", "/flash/data"):
                try:
                    os.mkdir(d)
                except OSError:
                    pass
        self.world = World(scn, until_ms=until_ms, flash=self.chip, truth_path=truth_path)
        simworld.install(self.world)
        if sample_heap:
            # The firmware's peak heap: a collection once per simulated
            # second (heapwatch.py). The 32-bit check weighs it its own
            # way and leaves this off (tools/testing/wasm32/check32.py).
            self.world.enable_heap_sampling()
        import bufferlink

        bufferlink.reset()
        self.tel_log = open(tel_log_path, "w") if tel_log_path else None
        if self.tel_log is not None:
            self.tel_log.write("t_ms,setpoint_pa\n")
        self.summary = Summary(self.tel_log)
        bufferlink.sink = self.summary.feed
        for t_ms, line in sessions.host_script(start_line, until_ms):
            bufferlink.schedule(t_ms, (line + "\r\n").encode())
        bufferlink.install()
        self.keep = set(sys.modules)
        del DEVICE[:]

    def run(self):
        """Boot the firmware and run it to the end of the session (resets
        reboot it, as boot_loop does); returns the summary."""
        import machine
        from world import SimStop

        world = self.world
        cause = None
        stopped = "until"
        try:
            while True:
                try:
                    if cause is not None:
                        world.mcu_reset(cause)
                        cause = None
                    for name in list(sys.modules):
                        if name not in self.keep:
                            del sys.modules[name]
                    gc.collect()
                    if self.chip is not None:
                        self.chip.mount()
                    world.mark_firmware_boot()
                    _keep_device()
                    __import__("main")
                    stopped = "firmware stopped"
                    break
                except machine.SimReset as r:
                    cause = r.cause
        except SimStop:
            pass
        finally:
            world.close()
            if self.chip is not None and self.chip.temporary:
                from flash import remove_image

                remove_image(self.chip.path)
        import bufferlink

        bufferlink.sink = None
        if self.tel_log is not None:
            self.tel_log.close()
        s = self.summary.s
        heap = world.heap
        s.update({"firmware_peak_bytes": heap.firmware_peak if heap else 0, "heap_baseline_bytes": heap.baseline if heap else 0,
                  "stopped": stopped, "cpu": world.cpu.name, "board": world.board_name,
                  "cpu_charged": {("tick", "background", "collect")[k]: v for k, v in world.cpu.stats.items()}})
        return s


def _keep_device():
    import app

    init = app.Device.__init__

    def keeping(self, *args):
        init(self, *args)
        DEVICE[:] = [self]

    app.Device.__init__ = keeping


def run(scn, start_line, until_ms, cpu="host", fw_dir=None, boards_dir=None, flash_image=None, truth_path=None, tel_log_path=None,
        sim_dir=None):
    """One session; returns the summary (a dict). The peak heap is the
    world's sampling (a collection once per simulated second): right on the
    Unix port, where a collection frees all garbage."""
    s = Prepared(scn, start_line, until_ms, cpu, fw_dir, boards_dir, flash_image, truth_path, tel_log_path, sim_dir).run()
    s["service_module_bytes"] = _service_bytes()
    return s


def _service_bytes():
    """The largest on-demand service module, loaded alone (cmdargs.call_lazy
    imports one for a command and forgets it after): the firmware's true
    peak is its session peak plus this."""
    best = 0
    for name in ("command_help", "program_help", "param_commands", "tune_commands", "config_commands", "tune_result"):
        for _ in range(2):  # the first import also interns its qstrs, which stay
            before = set(sys.modules)
            gc.collect()
            a = gc.mem_alloc()
            try:
                __import__(name)
            except ImportError:
                break
            gc.collect()
            d = gc.mem_alloc() - a
            for m in list(sys.modules):
                if m not in before:
                    del sys.modules[m]
            if d > best:
                best = d
    return best


def _json(v):
    if isinstance(v, dict):
        return "{" + ", ".join('"%s": %s' % (k, _json(v[k])) for k in v) + "}"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_json(x) for x in v) + "]"
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if v is None:
        return "null"
    return str(v)


def main(argv):
    opts = {"program": None, "scenario": None, "cpu": "host", "board": None, "until-ms": None, "flash": None, "start": None,
            "truth": None, "tel-log": None, "firmware": None, "boards-modules": None, "sim-modules": None}
    i = 0
    while i < len(argv):
        a = argv[i]
        if not a.startswith("--") or a[2:] not in opts or i + 1 >= len(argv):
            sys.stderr.write("usage: scripted.py (--program NAME | --scenario NAME) [--start LINE] [--cpu C] [--board B] [--until-ms N] [--flash IMG] [--truth CSV] [--tel-log CSV] [--firmware DIR] [--boards-modules DIR] [--sim-modules DIR]\n")
            sys.exit(2)
        opts[a[2:]] = argv[i + 1]
        i += 2
    sys.path.insert(0, opts["sim-modules"] or _HERE)
    import scenario as scenario_mod
    import sessions

    if opts["program"]:
        name, start = sessions.PROGRAMS[opts["program"]]
    else:
        name = opts["scenario"]
        start = sessions.scenario_start(name)
    if opts["start"]:
        start = opts["start"]  # another session on that plant (the robustness campaign)
    scn = scenario_mod.load_scenario(name, _HERE + "/scenarios")
    if opts["board"]:
        scn["board"] = opts["board"]
    until = int(opts["until-ms"]) if opts["until-ms"] else sessions.START_AT_MS + sessions.duration_ms(start) + 1500
    s = run(scn, start, until, cpu=opts["cpu"], fw_dir=opts["firmware"], boards_dir=opts["boards-modules"], flash_image=opts["flash"],
            truth_path=opts["truth"], tel_log_path=opts["tel-log"], sim_dir=opts["sim-modules"])
    s["start"] = start
    s["scenario"] = name
    print("SCRIPTED " + _json(s))


if __name__ == "__main__":
    main(sys.argv[1:])
