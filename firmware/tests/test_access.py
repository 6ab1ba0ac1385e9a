# access.py on the simulated flash with a hand-driven clock that wraps like
# a 32-bit port: the role table, wrong codes and the doubling lockout, the
# timeout, the code change (salted hash, atomic record, fallbacks), the
# wrong-code count surviving a reboot, and the cost of one hash.
import hashlib
import sys
import time

import access
import store
from expect import refused
from flash import MOUNT_POINT, with_scratch_chip

D = MOUNT_POINT + "/data"
SALT = "5e1c0a7e3b9d2f41"  # the boards' factory code 246810
SHA = "7a536213c23027bb35377ddb1f04216653e0c710dd38ba729db31b23d246da32"
_PERIOD = 1 << 30


class _Clock:
    """ticks_ms starting 1 s before the wrap, advanced by hand."""

    def __init__(self):
        self.ms = _PERIOD - 1000

    def ticks_ms(self):
        return self.ms & (_PERIOD - 1)

    @staticmethod
    def ticks_diff(a, b):
        return ((a - b + _PERIOD // 2) & (_PERIOD - 1)) - _PERIOD // 2

    def run(self, acc, ms, step=5):
        # As the device loop does: poll every period.
        for _ in range(ms // step):
            self.ms += step
            acc.poll()


class _Dev:
    def __init__(self, clock):
        self.clock = clock
        self.uptime = 0
        self.events = []
        self.stalls = 0
        self.storage_errors = []
        self.audit = store.RingLog(D, "audit", 2048)

    def make(self):
        a = access.Access(D, self.clock, lambda: self.uptime, SALT, SHA, self.audit, self._stall, self._err, self.events.append)
        a.load()
        return a

    def _stall(self):
        self.stalls += 1

    def _err(self, which, e):
        self.storage_errors.append((which, e))


def _on_a_fresh_chip(fn):
    """fn(clock, dev, access) with access.py loaded from a fresh flash chip."""
    def body(chip):
        clock = _Clock()
        dev = _Dev(clock)
        fn(clock, dev, dev.make())

    with_scratch_chip(body)


def _digest(salt, code):
    import passcode

    try:
        return passcode.digest(salt, code)
    finally:
        sys.modules.pop("passcode", None)


def _read(path):
    with open(path, "rb") as f:
        return f.read()


def test_factory_hash_matches_the_documented_code():
    from binascii import unhexlify

    assert _digest(unhexlify(SALT), b"246810") == unhexlify(SHA)


def test_role_table_therapist_and_service_forms():
    f = access.service_form
    for line in ("status", "start continuous target=20kPa", "stop", "pause", "resume", "next", "help set", "get kp",
                 "tel on", "mode machine", "echo off", "log", "log 0", "flashlog alarm", "config show", "config get kp",
                 "config diff", "config audit", "tune status", "tune result", "clear", "ack", "silence", "alarms", "hb",
                 "programs", "version", "unlock x", "lock", "set target 20kPa", "config"):
        assert f(line.split()) is None, line
    for line, form in (("set kp 5", "set"), ("set ceiling 90kPa", "set"), ("config set kp 5", "config set"),
                       ("config commit", "config commit"), ("config revert", "config revert"), ("config reset", "config reset"),
                       ("tune auto target=20kPa", "tune auto"), ("tune commit fast", "tune commit"), ("tune discard", "tune discard"),
                       ("tune abort", "tune abort"), ("selftest exception", "selftest"), ("log clear", "log clear"),
                       ("passcode abcdef", "passcode"), ("newcommand", "newcommand")):
        assert f(line.split()) == form, (line, f(line.split()))


def test_lockout_doubles_from_30s_to_a_15min_cap():
    assert [access.lockout_ms(n) for n in range(0, 10)] == [0, 0, 0, 30_000, 60_000, 120_000, 240_000, 480_000, 900_000, 900_000]
    assert access.lockout_ms(10_000) == 900_000


def test_wrong_codes_lockout_in_device_time_across_the_tick_wrap():
    def body(clock, dev, a):
        assert a.role == access.THERAPIST and a.source == store.DEFAULTS and a.problems == []
        assert "2 more" in refused(lambda: a.unlock(b"000000"), "E_ACCESS")
        refused(lambda: a.unlock(b"111111"), "E_ACCESS")
        assert "refused for 30 s" in refused(lambda: a.unlock(b"222222"), "E_ACCESS")
        # Refused unchecked, even the right code, until the lockout ends.
        assert refused(lambda: a.unlock(b"246810"), "E_LOCKED").startswith("retry_after_s=30 ")
        clock.run(a, 29_000)  # crosses the ticks wrap
        assert refused(lambda: a.unlock(b"246810"), "E_LOCKED").startswith("retry_after_s=1 ")
        assert a.fails == 3 and a.role == access.THERAPIST
        clock.run(a, 1_000)
        assert a.retry_after_ms() == 0
        assert "refused for 60 s" in refused(lambda: a.unlock(b"333333"), "E_ACCESS")  # doubled
        clock.run(a, 59_995)
        refused(lambda: a.unlock(b"246810"), "E_LOCKED")
        clock.run(a, 5)
        assert a.unlock(b"246810") == "role=service timeout_s=600"
        assert a.fails == 0 and a.role == access.SERVICE
        log = [r.decode() for r in dev.audit.records()]
        assert [r.split(" ", 1)[1] for r in log] == ["role=therapist unlock fail fails=1", "role=therapist unlock fail fails=2",
                                                     "role=therapist unlock fail fails=3", "role=therapist unlock fail fails=4",
                                                     "role=service unlock ok"], log

    _on_a_fresh_chip(body)


def test_service_times_out_without_service_commands_and_lock_ends_it():
    def body(clock, dev, a):
        a.unlock(b"246810")
        clock.run(a, 500_000)
        assert a.check("config set kp 5".split()) is None  # a service command restarts the timeout
        clock.run(a, 500_000)
        assert a.check("status".split()) is None and a.role == access.SERVICE  # a therapist command does not
        clock.run(a, 100_000)
        assert a.role == access.THERAPIST and dev.events == ["event access role=therapist reason=timeout t_ms=0"]
        assert "needs the service role" in a.check("config set kp 5".split())
        a.unlock(b"246810")
        assert a.lock() == "role=therapist" and a.role == access.THERAPIST
        assert a.lock() == "role=therapist"  # no-op: not audited twice
        log = [r.decode().split(" ", 1)[1] for r in dev.audit.records()]
        assert log == ["role=service unlock ok", "role=therapist lock reason=timeout", "role=service unlock ok", "role=therapist lock reason=command"], log

    _on_a_fresh_chip(body)


def test_wrong_code_count_survives_a_reboot():
    def body(clock, dev, a):
        for c in (b"000000", b"111111", b"222222", b"333333"):
            try:
                a.unlock(c)
            except ValueError:
                pass
            clock.run(a, 30_000)
        assert a.fails == 4
        b = _Dev(clock).make()  # a reboot: RAM state gone, flash kept
        assert b.fails == 4 and b.retry_after_ms() == 60_000  # the lockout starts again in full
        assert b.role == access.THERAPIST

    _on_a_fresh_chip(body)


def test_passcode_change_persists_as_salted_hash_and_falls_back():
    def body(clock, dev, a):
        a.unlock(b"246810")
        refused(lambda: a.set_code(b"abc"), "E_ARG")
        refused(lambda: a.set_code(b"abc-def"), "E_ARG")
        refused(lambda: a.set_code(b"x" * 33), "E_ARG")
        assert a.set_code(b"Sv2024ok").startswith("passcode changed")
        raw = _read(D + "/passcode")
        assert b"Sv2024ok" not in raw and b"sha256 " in raw
        b = _Dev(clock).make()
        assert b.source == store.CURRENT
        refused(lambda: b.unlock(b"246810"), "E_ACCESS")
        assert b.unlock(b"Sv2024ok").startswith("role=service")
        # Two changes with the same code store different salts.
        b.set_code(b"Sv2024ok")
        assert _read(D + "/passcode") != raw
        # Corrupt current: the backup (the previous record) is used, reported.
        data = bytearray(_read(D + "/passcode"))
        data[-3] ^= 1
        with open(D + "/passcode", "wb") as f:
            f.write(data)
        c = _Dev(clock).make()
        assert c.source == store.BACKUP and c.problems and c.unlock(b"Sv2024ok").startswith("role=service")
        # Neither file good: the factory code.
        import os

        os.remove(D + "/passcode")
        os.remove(D + "/passcode.bak")
        with open(D + "/passcode", "wb") as f:
            f.write(b"garbage")
        d = _Dev(clock).make()
        assert d.source == store.DEFAULTS and d.problems and d.unlock(b"246810").startswith("role=service")

    _on_a_fresh_chip(body)


def test_hash_cost_on_this_port():
    import passcode

    n = 2000
    t = time.ticks_us()
    for _ in range(n):
        passcode.digest(b"\x5e\x1c\x0a\x7e\x3b\x9d\x2f\x41", b"246810")
    us = time.ticks_diff(time.ticks_us(), t) / n
    sys.modules.pop("passcode", None)
    print("access: one salted SHA-256 of a code: %.2f us on the Unix port" % us)
    assert us < 500  # far below the 5 ms control period
    assert hashlib.sha256(b"").digest()[:2] == b"\xe3\xb0"


def test_hash_code_is_not_resident_between_calls():
    # docs/reliability.md "Memory": hashing and record code load per call.
    import sys

    def body(chip):
        a = _Dev(_Clock()).make()  # make() loads
        assert "passcode" not in sys.modules
        a.unlock(b"246810")
        assert "passcode" not in sys.modules and a.role == access.SERVICE

    with_scratch_chip(body)
