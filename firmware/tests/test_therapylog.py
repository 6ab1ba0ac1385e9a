# therapylog.py on the simulated flash chip: one record per session from its
# start and end entries, kept across a reboot, a session cut short by a reset
# shown as interrupted, a full flash reported with the record kept in RAM,
# old sessions rotating out.
import os

import store
from fillflash import fill
from flash import MOUNT_POINT, with_scratch_chip
from therapylog import TherapyLog

D = MOUNT_POINT + "/data"



def _row(log, i):
    return dict(w.split("=", 1) for w in log.row(i).split())


def _open(errors, segment=4096):
    return TherapyLog(store.RingLog(D, "therapy", segment), errors.append)


def test_sessions_survive_a_reboot_and_a_cut_session_is_interrupted():
    def body(chip):
        errors = []
        log = _open(errors)
        assert log.count() == 0 and log.total == 0 and log.boot == 0
        log.begin(100, "continuous", "target:30000,duration:60000")
        assert _row(log, 0)["end"] == "running"
        log.finish(60_500, 60_000, 55_000, "completed", "none")
        log.begin(61_000, "npwt_continuous", "target:16665,duration:259200000")
        chip.mount()  # power lost during the second session
        log = _open(errors)
        assert log.count() == 2 and log.total == 2 and log.boot == 1
        r = _row(log, 0)
        assert r == {"seq": "0", "boot": "0", "start_ms": "100", "end_ms": "60500", "program": "continuous",
                     "params": "target:30000,duration:60000", "elapsed_ms": "60000", "delivered_ms": "55000",
                     "end": "completed", "alarms": "none", "stored": "yes"}, r
        r = _row(log, 1)
        assert r["end"] == "interrupted" and r["program"] == "npwt_continuous" and r["end_ms"] == "-1", r
        log.begin(20, "pulse", "target:20000")
        log.finish(900, 880, 0, "alarm", "sensor,leak")
        r = _row(log, 2)
        assert (r["seq"], r["boot"], r["end"], r["alarms"]) == ("2", "1", "alarm", "sensor,leak"), r
        assert errors == []

    with_scratch_chip(body)


def test_full_flash_is_reported_and_the_session_kept_in_ram():
    def body(chip):
        errors = []
        log = _open(errors, segment=1024)
        log.begin(1, "continuous", "target:30000")
        log.finish(2, 1, 1, "stopped", "none")
        filler = fill(MOUNT_POINT + "/filler")
        stored = True
        for i in range(12):  # enough to need a new segment
            log.begin(10 + i, "continuous", "target:%d" % (20000 + i))
            log.finish(20 + i, 10, 5, "completed", "none")
        assert errors and getattr(errors[0], "full", False), errors
        rows = [_row(log, i) for i in range(log.count())]
        assert rows[0]["seq"] == "0" and rows[0]["stored"] == "yes"
        assert rows[-1]["seq"] == "12" and rows[-1]["stored"] == "no" and rows[-1]["end"] == "completed"
        for name in filler:
            os.remove(name)
        # With space again the RAM entries reach flash before the next one.
        log.begin(50, "continuous", "target:1")
        log.finish(60, 10, 0, "stopped", "none")
        chip.mount()
        log = _open([], segment=1024)
        rows = [_row(log, i) for i in range(log.count())]
        assert rows[-1]["seq"] == "13" and all(r["stored"] == "yes" for r in rows)
        assert "12" in [r["seq"] for r in rows]

    with_scratch_chip(body)


def test_old_sessions_rotate_out_and_seq_keeps_counting():
    def body(chip):
        log = _open([], segment=1024)
        for i in range(40):
            log.begin(i * 10, "continuous", "target:30000,ramp:0,duration:60000")
            log.finish(i * 10 + 5, 5, 5, "completed", "none")
        n = log.count()
        assert 4 < n < 40, n
        assert _row(log, n - 1)["seq"] == "39"
        seqs = [int(_row(log, i)["seq"]) for i in range(n)]
        assert seqs == sorted(seqs)
        log.clear()
        assert log.count() == 0 and log.total == 40

    with_scratch_chip(body)


def test_an_overlong_entry_is_cut_not_lost():
    def body(chip):
        log = _open([])
        log.begin(1, "gradient", ",".join("p%d:%d" % (i, 100000 + i) for i in range(30)))
        log.finish(2, 1, 0, "stopped", "none")
        r = _row(log, 0)
        assert r["program"] == "gradient" and r["params"].endswith("...") and r["end"] == "stopped"

    with_scratch_chip(body)
