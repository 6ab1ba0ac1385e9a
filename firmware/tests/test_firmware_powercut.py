# The whole-firmware power-cut sweep: the unchanged firmware (app.Device, its
# commands and its logs) on the simulated board's flash (a Pico's 352-block
# littlefs image), through a workload that makes every kind of flash write the
# firmware makes: a configuration commit (record, rename, audit entries), an
# unlock (audit), a passcode change (record, audit), a therapy session (start
# and end entries), alarm records; repeated until the logs rotate. The power
# is cut at every flash program/erase of the workload (torn: half the bytes
# reach the chip); the board then boots (remount, a new Device) and must be
# safe (outputs safe, storage readable) with every datum as it was before or
# after the interrupted command: committed kp, the passcode, the alarm,
# therapy and audit logs.
#
# make test samples the cut points (about 1 in 6, seeded); POWERCUT_ALL=1
# (make powercut) cuts at every one.
import gc
import os

import scenario
import simworld
from flash import PICO_BLOCKS, PowerCut, SimFlash, remove_image, scratch_image
from world import World

MIN_CUTS = 1000  # the workload grows until it makes at least this many writes
SAMPLE = 6  # make test: about one cut point in this many
FACTORY_CODE = "246810"  # boards/*.py
_ALL = bool(os.getenv("POWERCUT_ALL"))
_state = {}


def _world(fresh=False):
    if fresh or "world" not in _state:
        w = World(scenario.validate_scenario({}))
        simworld.install(w)
        _state["world"] = w
    return _state["world"]


def _boot(fresh=False):
    """A power-up: what a board runs at reset, up to the first tick. fresh:
    a new world too (chamber at ambient, the sensor's noise from its seed),
    so that every run of a workload sees the same physics: the controller's
    approach follows the sensor's noise, and a log entry's times with it."""
    _world(fresh)
    import app
    import channels
    import machine

    w = _state["world"]
    w.mcu_reset(machine.PWRON_RESET)  # peripherals to their reset state (watchdog stopped)
    gc.collect()
    out = channels.make_outputs(app.board, machine)
    dev = app.Device(out)
    for _ in range(4):  # a few control ticks: the sensor answers, the device is ready
        w.advance_to(w.clock.now_us + 5000)
        dev.tick()
    return dev, out


def _observe(dev):
    """Every datum the workload writes, as the firmware reads it back: the
    committed kp, the code the passcode record accepts (a change draws a new
    salt, so codes are compared, not hashes), the alarm, therapy and audit
    logs."""
    import passcode

    code = None
    for c in _CODES:
        if passcode.digest(dev.access.salt, c.encode()) == dev.access.sha:
            code = c
    audit = [bytes(r) for r in dev.config.audit.records()]
    therapy = [bytes(r) for r in dev.session.log._ring.records()]  # as stored (a reboot shows a running one as interrupted)
    return (dev.config.committed["kp"], code, dev.log_records("alarm"), therapy, audit)


_CODES = [FACTORY_CODE] + ["Code%02dx" % r for r in range(60)]


def _workload():
    """(kind, [steps]) in order; a step is ("cmd", text), ("ticks", n) or
    ("alarm", text). Codes follow each other: a passcode change makes the
    next unlock use the new one."""
    ops = []
    code = FACTORY_CODE
    for r in range(60):
        new = "Code%02dx" % r
        ops.append(("config commit", [("cmd", "unlock " + code), ("cmd", "config set kp %d" % (3000 + 37 * r)), ("cmd", "config commit")]))
        ops.append(("therapy session", [("cmd", "start continuous target=20kPa duration=60s"), ("ticks", 20), ("cmd", "stop"), ("ticks", 100)]))
        ops.append(("alarm records", [("alarm", "raise sensor priority=high t_ms=%d" % r), ("alarm", "clear sensor t_ms=%d" % r)]))
        ops.append(("passcode change", [("cmd", "unlock " + code), ("cmd", "passcode " + new)]))
        code = new
    return ops


def _run(dev, step):
    if step[0] == "cmd":
        reply = dev.console.execute(step[1])
        assert not reply.startswith("err"), (step, reply)
    elif step[0] == "ticks":
        # Control ticks, each with the session's report (its log records):
        # the loop's work without the serial console.
        w = _state["world"]
        for _ in range(step[1]):
            w.advance_to(w.clock.now_us + 5000)
            dev.tick()
            if dev.wdt is not None:
                dev.wdt.feed()
            dev.uptime_ms += 5
            dev.session.report(dev.console.event, dev.uptime_ms, dev.ch.vacuum_pa, dev.alarm_text)
    else:
        dev.log("alarm", step[1], False)


_BUF = bytearray(4096)


def _copy(src, dst):
    """An image file to another, a block at a time (an image is up to 1.4 MB)."""
    with open(src, "rb") as a, open(dst, "wb") as b:
        while True:
            n = a.readinto(_BUF)
            if not n:
                return
            b.write(memoryview(_BUF)[:n])


def _quiet_events(dev):
    dev.console.event = lambda text: None  # no serial output from the sweep


def sweep(sample=None):
    """Cut at every flash write of the workload (or a seeded sample of one
    in `sample`); returns {kind: cuts}."""
    path = scratch_image()
    chip = SimFlash(path, PICO_BLOCKS)
    seed = [15]

    def skip():  # a seeded sample (an LCG: MicroPython's random has one global state)
        seed[0] = (seed[0] * 1103515245 + 12345) & 0x7FFFFFFF
        return (seed[0] >> 16) % sample != 0

    cuts = {}
    writes = 0
    image = path + ".before"  # the chip before the current command sequence
    after = path + ".after"
    try:
        chip.mount()
        _copy(path, image)
        for kind, steps in _workload():
            if writes >= MIN_CUTS:
                break
            # Clean run of this command sequence from a fresh boot: the
            # state after each step and the writes each step makes.
            _copy(image, path)
            chip.mount()
            dev, out = _boot(fresh=True)
            _quiet_events(dev)
            states = [_observe(dev)]
            ends = []
            w0 = chip.writes
            for step in steps:
                _run(dev, step)
                ends.append(chip.writes - w0)
                states.append(_observe(dev))
            _copy(path, after)
            n = ends[-1]
            writes += n
            for cut in range(1, n + 1):
                if sample and skip():
                    continue
                _copy(image, path)
                chip.mount()
                dev, out = _boot(fresh=True)
                _quiet_events(dev)
                chip.cut_at_write(cut)
                j = 0
                try:
                    for j, step in enumerate(steps):
                        _run(dev, step)
                    raise AssertionError("%s: no cut at write %d of %d" % (kind, cut, n))
                except PowerCut:
                    pass
                # The command that was writing: the one whose writes reach `cut`.
                k = 0
                while ends[k] < cut:
                    k += 1
                chip.mount()  # power back: the board boots
                dev, out = _boot()
                assert out.is_safe(), (kind, cut)
                assert dev.storage in ("ok", "backup"), (kind, cut, dev.storage, dev.config.problems)
                got = _observe(dev)
                # Each datum as it was before or after the interrupted
                # command; a log may also have rotated without the new entry
                # (as in test_store_powercut.py). Never corrupt, reordered or
                # gapped.
                for i in range(len(got)):
                    a, b = states[k][i], states[k + 1][i]
                    ok = got[i] == a or got[i] == b or (i >= 2 and got[i] == b[:-1])
                    assert ok, (kind, cut, k, i, got[i], a, b)
                cuts[kind] = cuts.get(kind, 0) + 1
            _copy(after, image)
    finally:
        chip.close()
        for p in (path, image, after):
            remove_image(p)
    return cuts, writes


def test_power_cut_at_flash_writes_of_the_whole_firmware():
    cuts, writes = sweep(None if _ALL else SAMPLE)
    assert writes >= MIN_CUTS, writes
    assert set(cuts) == {"config commit", "therapy session", "alarm records", "passcode change"}, cuts
    total = sum(cuts.values())
    print("power-cut sweep (whole firmware): %d cuts of %d flash writes (%s), each boot safe with the old or new data" % (
        total, writes, ", ".join("%s %d" % (k, cuts[k]) for k in sorted(cuts))))
    if _ALL:
        assert total == writes, (total, writes)
