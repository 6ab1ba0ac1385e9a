# Roles on the serial line (docs/safety.md, "Roles and access"): the
# therapist (at boot, after 'lock' or a timeout) may run, stop and choose
# among programs within their ranges and read everything; the service role
# (after 'unlock CODE') may also change parameters. The code is kept only as
# a salted SHA-256 (atomic record on flash, else the board's factory hash);
# wrong codes are rate limited with a doubling lockout; the role falls back
# after TIMEOUT_MS without a service command. Unlock, fail, lock, timeout
# and code changes go to the configuration's audit log on flash.
#
# Runs between control ticks only (hashing and flash writes allocate).
import hashlib
import os
from binascii import hexlify, unhexlify

from micropython import const

import store
from cmderror import E_ACCESS, E_ARG, E_LOCKED, E_STORAGE, CmdError

THERAPIST = const(0)
SERVICE = const(1)
ROLE_NAMES = ("therapist", "service")
TIMEOUT_MS = const(600_000)  # service role ends 10 min after its last service command
FREE_ATTEMPTS = const(3)  # wrong codes before the lockout
LOCKOUT_FIRST_MS = const(30_000)  # after the 3rd wrong code; doubles per further one
LOCKOUT_MAX_MS = const(900_000)
CODE_MIN = const(6)
CODE_MAX = const(32)
_SALT_BYTES = const(8)
FORMAT_VERSION = 1

# Commands and forms the therapist may use. A command missing here needs the
# service role (so a new command is service-only until someone decides
# otherwise). A tuple lists the first arguments that need service.
_OPEN = ()
_THERAPIST = {
    "help": _OPEN, "version": _OPEN, "status": _OPEN, "programs": _OPEN,
    "start": _OPEN, "stop": _OPEN, "pause": _OPEN, "resume": _OPEN, "next": _OPEN,
    "tel": _OPEN, "mode": _OPEN, "echo": _OPEN, "get": _OPEN, "flashlog": _OPEN,
    "clear": _OPEN, "alarms": _OPEN, "ack": _OPEN, "silence": _OPEN, "hb": _OPEN,
    "unlock": _OPEN, "lock": _OPEN,
    "log": ("clear",),
    "config": ("set", "commit", "revert", "reset"),
    "tune": ("auto", "commit", "discard", "abort"),
}
# 'set' is service except the running session's target, which stays within
# the program's range like 'start ... target=' (commands._set_target).
_SET_OPEN = "target"


def service_form(words):
    """None if the therapist may run this command line, else the command
    (and sub-command) that needs the service role, for the error message."""
    cmd = words[0]
    sub = words[1] if len(words) > 1 else ""
    if cmd == "set":
        return None if sub == _SET_OPEN else "set"
    rule = _THERAPIST.get(cmd)
    if rule is None:
        return cmd
    return cmd + " " + sub if sub in rule else None


def digest(salt, code):
    """Salted SHA-256 of the code (bytes): ~1 us on the Unix port."""
    h = hashlib.sha256(salt)
    h.update(code)
    return h.digest()


def lockout_ms(fails):
    """Lockout after `fails` wrong codes in a row: none for the first two,
    30 s at the third, doubling per further one, at most 15 min."""
    if fails < FREE_ATTEMPTS:
        return 0
    ms = LOCKOUT_FIRST_MS
    for _ in range(fails - FREE_ATTEMPTS):
        ms *= 2
        if ms >= LOCKOUT_MAX_MS:
            return LOCKOUT_MAX_MS
    return ms


def _same(a, b):
    # Constant time: the reply time says nothing about how much matched.
    if len(a) != len(b):
        return False
    d = 0
    for i in range(len(a)):
        d |= a[i] ^ b[i]
    return d == 0


def encode(salt, sha):
    return b"sha256 %s %s\n" % (hexlify(salt), hexlify(sha))


def decode(payload):
    """Record payload -> (salt, sha) or None."""
    parts = payload.split()
    if len(parts) != 3 or parts[0] != b"sha256":
        return None
    try:
        salt, sha = unhexlify(parts[1]), unhexlify(parts[2])
    except ValueError:
        return None
    return (salt, sha) if len(sha) == 32 and salt else None


def fails_in(records):
    """Wrong codes in a row at the end of the audit log: the count survives
    a power cycle without a flash write of its own."""
    for r in reversed(records):
        if b" unlock " in r:
            i = r.find(b" fails=")
            if b" unlock fail " in r and i > 0:
                try:
                    return int(r[i + 7 :].split()[0])
                except (ValueError, IndexError):
                    return FREE_ATTEMPTS  # a damaged count: assume the lockout
            return 0
    return 0


class Access:
    def __init__(self, directory, clock, uptime_ms, factory_salt, factory_sha, audit, flash_write, storage_error, event):
        self._rec = store.Record(directory, "passcode", FORMAT_VERSION)
        self._clock = clock
        self._uptime_ms = uptime_ms  # device uptime for the audit stamps
        self._audit = audit  # the configuration's store.RingLog
        self._flash_write = flash_write  # tells the loop a flash stall is coming
        self._storage_error = storage_error
        self._event = event
        self._factory = (unhexlify(factory_salt), unhexlify(factory_sha))
        self.salt, self.sha = self._factory
        self.source = store.DEFAULTS
        self.problems = []
        self.role = THERAPIST
        self._since = 0  # ticks_ms of the last service command
        self.fails = 0  # wrong codes in a row
        self._lock_at = 0  # ticks_ms the lockout began
        self._lock_ms = 0  # 0 = no lockout running

    # ---- boot ---------------------------------------------------------------
    def load(self):
        """The stored hash (current, else backup, else the board's factory
        hash) and the wrong-code count from the audit log. Returns the
        source; self.problems says what was wrong."""
        try:
            payload, source, problems = self._rec.load()
        except OSError as e:
            payload, source, problems = None, store.DEFAULTS, ["I/O error %s" % e]
        if payload is not None:
            pair = decode(payload)
            if pair is None:
                problems.append("%s: not a passcode record" % source)
                source = store.DEFAULTS
            else:
                self.salt, self.sha = pair
        self.source, self.problems = source, problems
        try:
            self.fails = fails_in(self._audit.records())
        except OSError:
            self.fails = 0
        if self.fails >= FREE_ATTEMPTS:
            # Locked out before the reset: the lockout starts again in full.
            self._start_lockout()
        return source

    # ---- between ticks ----------------------------------------------------------
    def poll(self):
        """Every loop iteration: ends the service role after TIMEOUT_MS and a
        lockout after its time. Polled so that ticks_diff never sees more
        than one loop period beyond the limit (wrap-safe for any uptime)."""
        if self.role == SERVICE:
            c = self._clock
            if c.ticks_diff(c.ticks_ms(), self._since) >= TIMEOUT_MS:
                self.role = THERAPIST
                self._log("lock reason=timeout")
                self._event("event access role=therapist reason=timeout t_ms=%d" % self._uptime_ms())
        if self._lock_ms:
            c = self._clock
            if c.ticks_diff(c.ticks_ms(), self._lock_at) >= self._lock_ms:
                self._lock_ms = 0  # the count stays: the next wrong code doubles

    def check(self, words):
        """None if the current role may run this command line, else the
        E_ACCESS sentence. A permitted service command restarts the timeout."""
        form = service_form(words)
        if form is None:
            return None
        if self.role != SERVICE:
            return "%s needs the service role: unlock <code> first" % form
        self._since = self._clock.ticks_ms()
        return None

    def role_name(self):
        return ROLE_NAMES[self.role]

    def retry_after_ms(self):
        if not self._lock_ms:
            return 0
        c = self._clock
        left = self._lock_ms - c.ticks_diff(c.ticks_ms(), self._lock_at)
        return left if left > 0 else 0

    # ---- commands ------------------------------------------------------------
    def unlock(self, code):
        left = self.retry_after_ms()
        if left:
            # Refused without checking: guessing is as slow as the lockout.
            raise CmdError(E_LOCKED, "retry_after_s=%d %d wrong codes in a row; attempts are refused until then" % ((left + 999) // 1000, self.fails))
        if _same(digest(self.salt, code), self.sha):
            self.fails = 0
            self.role = SERVICE
            self._since = self._clock.ticks_ms()
            self._log("unlock ok")
            return "role=service timeout_s=%d" % (TIMEOUT_MS // 1000)
        self.fails += 1
        self._log("unlock fail fails=%d" % self.fails)
        if self.fails >= FREE_ATTEMPTS:
            self._start_lockout()
            raise CmdError(E_ACCESS, "wrong code; %d in a row: attempts refused for %d s" % (self.fails, self._lock_ms // 1000))
        raise CmdError(E_ACCESS, "wrong code; %d more before a lockout" % (FREE_ATTEMPTS - self.fails))

    def lock(self):
        if self.role == SERVICE:
            self.role = THERAPIST
            self._log("lock reason=command")
        return "role=therapist"

    def set_code(self, code):
        """Store a new code as a fresh salt and its hash (atomic record, read
        back); the old code stops working. Raises CmdError, nothing changed."""
        if len(code) < CODE_MIN or len(code) > CODE_MAX or not _plain(code):
            raise CmdError(E_ARG, "a code is %d..%d letters or digits" % (CODE_MIN, CODE_MAX))
        salt = os.urandom(_SALT_BYTES)
        sha = digest(salt, code)
        payload = encode(salt, sha)
        self._flash_write()
        try:
            self._rec.save(payload)
            back, source, _ = self._rec.load()
        except (store.StoreError, OSError) as e:
            raise CmdError(E_STORAGE, "%s; the code is unchanged" % getattr(e, "message", e))
        if back != payload or source != store.CURRENT:
            raise CmdError(E_STORAGE, "the passcode read back from flash differs; the old code may still apply")
        self.salt, self.sha = salt, sha
        self.source, self.problems = store.CURRENT, []
        self._log("passcode changed")
        return "passcode changed (stored as a salted hash; the old code no longer works)"

    # ---- internals ----------------------------------------------------------------
    def _start_lockout(self):
        self._lock_at = self._clock.ticks_ms()
        self._lock_ms = lockout_ms(self.fails)

    def _log(self, what):
        """Audit entry with the role in force after the event; a flash
        problem is reported (storage=error) and never blocks the command."""
        self._flash_write()
        try:
            self._audit.append(b"t_ms=%d role=%s %s" % (self._uptime_ms(), ROLE_NAMES[self.role], what))
        except (store.StoreError, OSError, ValueError) as e:
            self._storage_error("audit", e)


def _plain(code):
    for c in code:
        if not (48 <= c <= 57 or 65 <= c <= 90 or 97 <= c <= 122):
            return False
    return True
