# Host CPU cost of the firmware's own work, per kind, in the MicroPython Unix
# port: the control tick (idle and in a session), the background pass (idle,
# with a telemetry line, with a command) and a garbage collection.
#
#   micropython tools/bench/cpu_cost.py [FIRMWARE_DIR] [PASSES]
#
# The firmware runs on the simulated board (default scenario, pico) with its
# serial link on buffers (boards/sim/bufferlink.py); this script drives the
# passes itself and times each piece of work with the host's clock. Host
# time is noisy (other processes, caches): medians are reported, and the
# figures calibrate boards/sim/cpu.py (scaled to a target by the tick's
# measured RP2040 cost, docs/simulation.md "CPU model") and feed `make
# bench`; tests never use them. Prints one JSON object.
import gc
import json
import sys
import time

import micropython

_ROOT = __file__.rsplit("/tools/", 1)[0] if "/tools/" in __file__ else "."
FIRMWARE = sys.argv[1] if len(sys.argv) > 1 else _ROOT + "/firmware"
PASSES = int(sys.argv[2]) if len(sys.argv) > 2 else 4000
for p in (FIRMWARE, _ROOT + "/boards", _ROOT + "/boards/sim"):
    sys.path.insert(0, p)

import scenario  # noqa: E402
import simworld  # noqa: E402
from flash import SimFlash, remove_image, scratch_image  # noqa: E402
from world import World  # noqa: E402


def _median(xs):
    if not xs:
        return 0
    s = sorted(xs)
    return s[len(s) // 2]


def _stats(xs):
    return {"n": len(xs), "median_us": _median(xs), "max_us": max(xs) if xs else 0}


def main():
    scn = scenario.load_scenario("default", _ROOT + "/boards/sim/scenarios")
    chip = SimFlash(scratch_image(), 352)
    world = World(scn, flash=chip)
    simworld.install(world)
    chip.mount()
    import bufferlink

    bufferlink.install()
    import app
    import board
    import channels
    import machine

    dev = app.Device(channels.make_outputs(board, machine))
    link = dev.link
    clock = dev.clock
    period = dev.period_us
    tick_idle, tick_run, bg_idle, bg_tel, bg_cmd, gcs = [], [], [], [], [], []
    plan = {10: b"tel on 10Hz\r\n", 200: b"start continuous target=30kPa duration=600s\r\n"}
    deadline = clock.ticks_add(clock.ticks_us(), period)
    tel_lines = 0
    for i in range(PASSES):
        clock.sleep_until_us(deadline)
        deadline = clock.ticks_add(deadline, period)
        if clock.ticks_diff(deadline, clock.ticks_us()) <= 0:
            deadline = clock.ticks_add(clock.ticks_us(), period)  # after a flash write: no catch-up burst
        cmd = plan.get(i)
        if cmd is None and i > 400 and i % 200 == 0:
            cmd = b"status\r\n"
        if cmd is not None:
            link.feed(cmd)
        t0 = time.ticks_us()
        micropython.heap_lock()
        try:
            dev.tick()
        finally:
            micropython.heap_unlock()
        t1 = time.ticks_us()
        (tick_run if i > 400 else tick_idle).append(time.ticks_diff(t1, t0))
        now = clock.ticks_ms()
        dev.uptime_ms += clock.ticks_diff(now, dev._last_ms)
        dev._last_ms = now
        dev.ticks += 1
        if dev.wdt is not None:
            dev.wdt.feed()
        before = len(link.out)
        dev.background()
        t2 = time.ticks_us()
        out = bytes(link.out[before:])
        link.take_output()
        bg = time.ticks_diff(t2, t1)
        if cmd is not None:
            bg_cmd.append(bg)
        elif out.startswith(b"tel ") or out.startswith(b"!"):
            bg_tel.append(bg)
            tel_lines += 1
        elif not out:
            bg_idle.append(bg)
        if i % 500 == 499:
            t3 = time.ticks_us()
            gc.collect()
            gcs.append(time.ticks_diff(time.ticks_us(), t3))
    gc.collect()
    live = gc.mem_alloc()
    chip.close()
    remove_image(chip.path)
    print(json.dumps({
        "tick_idle": _stats(tick_idle), "tick_session": _stats(tick_run),
        "background_idle": _stats(bg_idle), "background_telemetry": _stats(bg_tel),
        "background_command": _stats(bg_cmd), "collect": _stats(gcs), "live_bytes": live,
        "state": dev.session.state, "alarms": dev.sup.alarms,
    }))


main()
