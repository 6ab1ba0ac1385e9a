# store.py on the simulated flash chip (littlefs2): atomic records with
# fallback to the backup and to defaults, ring logs with torn tails, a full
# filesystem.
import os

import store
from fillflash import fill
from flash import MOUNT_POINT, with_scratch_chip

D = MOUNT_POINT + "/data"


def _overwrite(name, at, data):
    """Bytes of a file of the data folder overwritten in place (damage on flash)."""
    with open(D + "/" + name, "r+b") as f:
        f.seek(at)
        f.write(data)


def _cfg_saved(*payloads):
    """The record "cfg" (format 1), each of payloads saved in turn."""
    r = store.Record(D, "cfg", 1)
    for p in payloads:
        r.save(p)
    return r


def test_record_round_trip_and_backup_of_the_previous_version():
    def body(chip):
        r = store.Record(D, "cfg", 1)
        assert r.load() == (None, store.DEFAULTS, [])  # fresh device: no problem
        r.save(b"one")
        r.save(b"two")
        assert r.load() == (b"two", store.CURRENT, [])
        assert sorted(os.listdir(D)) == ["cfg", "cfg.bak"]
        chip.mount()  # reboot
        assert r.load()[0] == b"two"

    with_scratch_chip(body)


def test_corrupt_current_falls_back_to_backup_then_defaults():
    def body(chip):
        r = _cfg_saved(b"old", b"new")
        _overwrite("cfg", 14, b"X")  # one flipped payload byte
        payload, src, problems = r.load()
        assert (payload, src) == (b"old", store.BACKUP)
        assert problems == ["current: checksum mismatch"]
        with open(D + "/cfg.bak", "wb") as f:
            f.write(b"VRC1\x01")
        payload, src, problems = r.load()
        assert (payload, src) == (None, store.DEFAULTS)
        assert problems == ["current: checksum mismatch", "backup: truncated header"]

    with_scratch_chip(body)


def test_saving_over_a_corrupt_current_keeps_the_good_backup():
    def body(chip):
        r = _cfg_saved(b"good", b"bad-to-be")
        _overwrite("cfg", 13, b"#")
        r.save(b"newest")
        _overwrite("cfg", 13, b"#")
        assert r.load()[:2] == (b"good", store.BACKUP)

    with_scratch_chip(body)


def test_other_format_version_is_not_loaded():
    def body(chip):
        store.Record(D, "cfg", 1).save(b"v1")
        payload, src, problems = store.Record(D, "cfg", 2).load()
        assert src == store.DEFAULTS and problems[0] == "current: format version 1, expected 2"

    with_scratch_chip(body)


def _log_of(name, segment_bytes, entries):
    """A ring log on the chip with each of entries appended in turn."""
    log = store.RingLog(D, name, segment_bytes=segment_bytes)
    for e in entries:
        log.append(e)
    return log


def test_ring_log_is_bounded_and_keeps_the_newest():
    def body(chip):
        log = _log_of("alarm", 512, [b"entry %03d" % i for i in range(200)])
        recs = log.records()
        assert recs[-1] == b"entry 199"
        # Two segments of 512 bytes: 16-byte entries, 12-byte headers.
        assert 31 <= len(recs) <= 62, len(recs)
        assert recs == [b"entry %03d" % i for i in range(200 - len(recs), 200)]
        assert sorted(os.listdir(D)) == ["alarm.0", "alarm.1"]
        assert all(os.stat(D + "/" + n)[6] <= 512 for n in os.listdir(D))
        chip.mount()  # after a reboot appending continues in order
        log2 = store.RingLog(D, "alarm", segment_bytes=512)
        log2.append(b"after")
        assert log2.records()[-1] == b"after" and log2.records()[-2] == b"entry 199"

    with_scratch_chip(body)


def test_torn_log_tail_is_dropped_and_appending_goes_on():
    def body(chip):
        _log_of("therapy", 1024, [b"rec%d" % i for i in range(5)])
        name = [n for n in os.listdir(D)][0]
        with open(D + "/" + name, "ab") as f:
            f.write(b"\xa5\x30\x00garbage")  # a record cut short
        log = store.RingLog(D, "therapy", segment_bytes=1024)
        assert log.records() == [b"rec%d" % i for i in range(5)]
        log.append(b"rec5")
        assert log.records() == [b"rec%d" % i for i in range(6)]

    with_scratch_chip(body)


def test_full_filesystem_is_reported_and_the_old_record_kept():
    def body(chip):
        r = store.Record(D, "cfg", 1)
        r.save(b"kept")
        log = store.RingLog(D, "audit", segment_bytes=1024)
        log.append(b"first")
        filler = fill(MOUNT_POINT + "/filler")
        try:
            r.save(b"x" * 3000)
        except store.StoreError as e:
            assert e.full and "flash full" in e.message
        else:
            raise AssertionError("a save on a full flash succeeded")
        assert r.load()[:2] == (b"kept", store.CURRENT)
        failed = 0
        for i in range(40):
            try:
                log.append(b"more %d" % i)
            except store.StoreError as e:
                assert e.full
                failed += 1
        assert failed
        assert log.records()[0] == b"first"
        for name in filler:
            os.remove(name)
        r.save(b"after")
        assert r.load()[0] == b"after"

    with_scratch_chip(body)


def test_bad_arguments_are_refused():
    try:
        store.Record(D, "cfg", 1).save(bytes(store.MAX_RECORD + 1))
    except ValueError:
        pass
    else:
        raise AssertionError("oversized record accepted")
    try:
        store.RingLog(D, "x", segment_bytes=100)
    except ValueError:
        pass
    else:
        raise AssertionError("tiny segment accepted")


def test_fallback_crc32_matches_binascii_without_large_constants():
    # The pure-Python CRC-32 for ports built without binascii.crc32: the same
    # checksums, computed in 16-bit halves (no constant >= 2**30).
    import binascii

    src = open(store.__file__).read()
    head = src.split("_ENOENT = 2")[0].replace("from binascii import crc32", "raise ImportError")
    scope = {}
    exec(head, scope)
    crc = scope["crc32"]
    for d in (b"", b"a", b"hello world", bytes(range(256))):
        assert crc(d) == binascii.crc32(d), d
        assert crc(d[3:], crc(d[:3])) == binascii.crc32(d), d
