# The power-cut sweep. For each kind of write (record save, log append, log
# rotation) a workload of many writes runs on a littlefs image (so littlefs
# also allocates blocks, erases and compacts its metadata). The power is cut
# at every flash program/erase of the workload (torn: half the bytes reach the
# chip), the board reboots (remount), and the data must be the state before or
# after the interrupted write, intact; the next write must then succeed.
import random

from flash import MOUNT_POINT, PowerCut, SimFlash, remove_image, scratch_image

import store

D = MOUNT_POINT + "/data"
SEG = 512
CUTS = {}  # kind -> cut points tried (printed by the summary test)
MAX_CUTS = 1000  # per kind; above this a seeded random sample


def _chip_from(path, data):
    with open(path, "wb") as f:
        f.write(data)
    chip = SimFlash(path, 64)
    chip.mount()
    return chip


def _read(path):
    with open(path, "rb") as f:
        return f.read()


def _sweep(kind, setup, ops, observe, allowed):
    """setup() builds the starting state, ops is the list of writes,
    observe() reads the state back, allowed(got, before, after) judges the
    state after a cut during a write."""
    path = scratch_image()
    snap = path + ".snap"
    chip = None
    try:
        chip = SimFlash(path, 64)
        chip.mount()
        setup()
        # Clean run: the state after each write, the number of flash writes
        # each took, and an image of the chip before each (a snapshot file),
        # so a cut in write i replays only write i.
        states = [observe()]
        counts = []
        for i, op in enumerate(ops):
            chip.close()
            with open("%s%d" % (snap, i), "wb") as f:
                f.write(_read(path))
            chip = SimFlash(path, 64)
            chip.mount()
            w0 = chip.writes
            op()
            counts.append(chip.writes - w0)
            states.append(observe())
        chip.close()
        chip = None
        total = sum(counts)
        points = [(i, k) for i in range(len(ops)) for k in range(1, counts[i] + 1)]
        if len(points) > MAX_CUTS:
            random.seed(8)
            points = [points[random.getrandbits(16) % len(points)] for _ in range(MAX_CUTS)]
        for i, k in points:
            chip = _chip_from(path, _read("%s%d" % (snap, i)))
            chip.cut_at_write(k)
            try:
                ops[i]()
            except PowerCut:
                pass
            else:
                raise AssertionError("%s: no cut at write %d of op %d" % (kind, k, i))
            chip.mount()  # power back: the board reboots
            got = observe()
            assert allowed(got, states[i], states[i + 1]), "%s: cut at write %d of op %d left %r; before %r after %r" % (kind, k, i, got, states[i], states[i + 1])
            ops[i]()  # the device carries on: the write, done again, succeeds
            redone = observe()
            assert redone[-1:] == states[i + 1][-1:], "%s: cut at write %d of op %d, then the write again: %r" % (kind, k, i, redone)
            chip.close()
            chip = None
        CUTS[kind] = len(points)
        return total
    finally:
        if chip is not None:
            chip.close()
        remove_image(path)
        for i in range(len(ops)):
            remove_image("%s%d" % (snap, i))


def test_record_save_cut_at_every_write():
    r = store.Record(D, "config", 1)

    def save(i):
        # Small (inline in littlefs metadata) and large (own blocks) payloads.
        return lambda: r.save(b"rev=%d\n" % i + b"x" * (i * 97 % 1500))

    def observe():
        payload, src, problems = r.load()
        assert payload is not None, problems  # never falls to defaults
        return [payload]

    _sweep("record save", lambda: r.save(b"rev=0\n"), [save(i) for i in range(1, 61)], observe, lambda got, before, after: got in (before, after))


def _entry(i):
    return b"t=%08d alarm=leak" % i


class _Log:
    def __init__(self, name):
        self.name = name

    def append(self, i):
        # A fresh RingLog each time: a rebooted device rescans its segments.
        return lambda: store.RingLog(D, self.name, SEG).append(_entry(i))

    def observe(self):
        return store.RingLog(D, self.name, SEG).records()


def _log_allowed(got, before, after):
    # before; after; or a rotation done without its entry. Never a corrupt,
    # reordered or gapped list.
    return got == before or got == after or got == after[:-1]


def test_log_append_cut_at_every_write():
    log = _Log("alarm")
    per_seg = (SEG - 12) // (7 + len(_entry(0)))
    # Appends that do not rotate (within the first segment).
    _sweep("log append", lambda: None, [log.append(i) for i in range(per_seg)], log.observe, _log_allowed)


def test_log_rotation_cut_at_every_write():
    log = _Log("therapy")
    per_seg = (SEG - 12) // (7 + len(_entry(0)))

    def setup():
        for i in range(2 * per_seg):
            log.append(i)()

    # Four more segments' worth: each segment start rotates out the oldest.
    _sweep("log rotation", setup, [log.append(100 + i) for i in range(4 * per_seg)], log.observe, _log_allowed)


def test_zz_summary_prints_the_cut_counts():
    assert sorted(CUTS) == ["log append", "log rotation", "record save"], CUTS
    print("power-cut sweep: %d cuts tried (%s), each left the old or the new data" % (sum(CUTS.values()), ", ".join("%s %d" % (k, CUTS[k]) for k in sorted(CUTS))))
