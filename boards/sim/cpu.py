# CPU model of the simulated board: how long the firmware's own work takes
# on the target, charged to the virtual clock (docs/simulation.md, "CPU
# model"). Runs under MicroPython (the sim) and CPython (tools, tests).
#
# The Unix port runs the firmware a hundred times faster than an RP2040, and
# without this model device time stands still while the firmware computes or
# collects. With a target CPU, every piece of work the firmware's loop
# reports through clock.work_done(kind, units) advances device time by a
# modelled cost, so overruns, lateness and collection pauses appear in device
# time, in `status` and in telemetry, as on the chip.
#
# Deterministic by design: the cost of a kind of work is a calibrated figure
# (below) with a spread drawn from a generator seeded by the scenario's seed,
# never a measurement of the host's time, which depends on the load of the
# machine (tests run in parallel on a shared CI host) and would make a run
# irreproducible. What the model does not see: a change that makes the
# firmware's code slower without changing the kind or number of its jobs
# (tools/bench/cpu_cost.py measures the host's relative costs for that;
# `make bench` prints them beside the model).
#
# Bus transfers (machine.I2C) and flash writes (flash.py) charge their own
# time where they happen; the figures here are CPU time only.

CPUS = ("host", "rp2040", "esp32")

# Kinds of work (firmware/hwclock.py WORK_*).
TICK = 0
BACKGROUND = 1
COLLECT = 2

# RP2040 at 125 MHz, MicroPython 1.29, firmware frozen into the image (issue
# 14: an official rp2 build on an instruction-level RP2040 emulator). Each
# figure is (low, high) microseconds; a draw is uniform in between.
RP2040 = {
    # Control tick, CPU part (the I2C bus time, 0.36 ms, is charged by
    # machine.I2C): measured 1.34 ms idle, 1.9 ms average and 2.35 ms max in
    # a session, each less the bus time; mean 980 and 1540 us.
    "tick_idle": (800, 1160),
    "tick_busy": (1090, 1990),
    # Each extra chamber of a multi-channel board: its sensor driver,
    # supervisor, controller and outputs (about the busy tick less the
    # shared loop and session work; an estimate, not measured).
    "tick_channel": (700, 1100),
    # Background pass with no line in or out: measured 2.58 ms average
    # before this issue, of which the annunciator took ~0.7 ms on every pass;
    # it now works only when its 100 ms slot or a priority changes (one pass
    # in ten at 100 Hz): 2.58 - 0.7 + 0.07 ~ 1.9 ms, less the telemetry
    # lines the average included (one pass in twenty).
    "background": (1200, 2400),
    # Per line in or out or log record of the pass (a command with its reply
    # is two): formatting and USB CDC. The host measures a telemetry line at
    # ~3.5x an empty pass and a command with its reply at ~10x
    # (tools/bench/cpu_cost.py); scaled by the tick's host/RP2040 ratio that
    # is 2.4 ms a line, by the background's 6 ms: 3 ms taken.
    "line": (2500, 3500),
    # gc.collect(): measured 4.2-6.6 ms with 38-44 KB live in a 228 KB heap.
    # Modelled as a sweep of the whole heap (8 us per KB) plus marking the
    # live set: 3.8 ms for the firmware's 38 KB after boot, 100 us per KB it
    # grows beyond that (32-bit bytes), plus up to 0.8 ms spread.
    "collect_sweep_per_kb": 8,
    "collect_mark_boot": 3800,
    "collect_mark_per_kb": 100,
    "collect_spread": (0, 800),
}
# ESP32 (ESP32-WROOM-32, no PSRAM) at MicroPython's default 160 MHz: the same
# Python code takes 0.78 of the RP2040's time (a published float and integer
# benchmark, MicroPython 1.24: 15.4 s on an ESP32 at 160 MHz, 19.8 s on an
# RP2040 at 125 MHz, scruss.com 2025). Its sweep covers its smaller heap.
ESP32_SCALE_PCT = 78
FIGURES = {"rp2040": (RP2040, 100), "esp32": (RP2040, ESP32_SCALE_PCT)}


class HostCpu:
    """The default: the firmware's work takes no device time (the behaviour
    before the CPU model existed)."""

    name = "host"
    stats = {}

    def cost_us(self, kind, units, world):
        return 0

    def firmware_boot(self):
        pass


class TargetCpu:
    def __init__(self, name, heap_bytes, seed, channels=1):
        figures, pct = FIGURES[name]
        self.name = name
        self._f = figures
        self._pct = pct
        self._heap_kb = heap_bytes // 1024
        self._channels = channels
        self._rng = (seed * 2654435761 + 0x9E3779B9) & 0xFFFFFFFF or 1
        self._live_boot = None  # the firmware's live heap at its first collection (host bytes)
        self._baseline = 0  # live heap before the firmware booted (the sim's own objects)
        # Per kind: [count, total us, max us] of what was charged (make bench).
        self.stats = {TICK: [0, 0, 0], BACKGROUND: [0, 0, 0], COLLECT: [0, 0, 0]}

    def _draw(self, lo_hi):
        # xorshift32: the same sequence for the same seed and the same calls.
        x = self._rng
        x ^= (x << 13) & 0xFFFFFFFF
        x ^= x >> 17
        x ^= (x << 5) & 0xFFFFFFFF
        self._rng = x
        lo, hi = lo_hi
        return lo + x % (hi - lo + 1)

    def _scaled(self, us):
        return us * self._pct // 100

    def firmware_boot(self):
        """main.py is about to run: what is live now belongs to the sim."""
        import gc

        gc.collect()
        self._baseline = gc.mem_alloc()
        self._live_boot = None

    def _collect_us(self):
        import gc

        f = self._f
        live = gc.mem_alloc() - self._baseline  # just after the firmware's collection
        if self._live_boot is None:
            self._live_boot = live
        # The sim is a 64-bit port: its objects take about twice the bytes.
        grown_kb = max(0, live - self._live_boot) // 2 // 1024
        us = f["collect_sweep_per_kb"] * self._heap_kb + f["collect_mark_boot"] + f["collect_mark_per_kb"] * grown_kb
        return us + self._draw(f["collect_spread"])

    def cost_us(self, kind, units, world):
        f = self._f
        if kind == TICK:
            busy = world.pump_level() > 0 or world.vent_opening() < 65535
            us = self._draw(f["tick_busy"] if busy else f["tick_idle"])
            for _ in range(self._channels - 1):
                us += self._draw(f["tick_channel"])
        elif kind == BACKGROUND:
            us = self._draw(f["background"])
            for _ in range(units):
                us += self._draw(f["line"])
        elif kind == COLLECT:
            us = self._collect_us()
        else:
            raise ValueError("unknown kind of work %r" % (kind,))
        us = self._scaled(us)
        st = self.stats[kind]
        st[0] += 1
        st[1] += us
        if us > st[2]:
            st[2] = us
        return us


def make_cpu(name, board_module, seed):
    """The CPU model for a scenario's `cpu` (one of CPUS)."""
    if name == "host":
        return HostCpu()
    if name not in FIGURES:
        raise ValueError("cpu '%s' is not modelled (one of %s)" % (name, ", ".join(CPUS)))
    channels = len(getattr(board_module, "CHANNELS", ())) or 1
    return TargetCpu(name, board_module.HEAP_BYTES, seed, channels)
