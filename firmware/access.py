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
# The hashing, the passcode record and the unlock steps are in passcode.py,
# loaded only while they run (with_passcode): this module is what stays
# resident, the role gate and its timers.

from micropython import const

import store
from lazy import call_lazy

THERAPIST = const(0)
SERVICE = const(1)
ROLE_NAMES = ("therapist", "service")
TIMEOUT_MS = const(600_000)  # service role ends 10 min after its last service command
FREE_ATTEMPTS = const(3)  # wrong codes before the lockout
LOCKOUT_FIRST_MS = const(30_000)  # after the 3rd wrong code; doubles per further one
LOCKOUT_MAX_MS = const(900_000)
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
    "commission": ("start", "commit", "discard", "gauge"),  # (abort, status, result: anyone)
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


class Access:
    def __init__(self, directory, clock, uptime_ms, factory_salt, factory_sha, audit, flash_write, storage_error, event):
        self.record = store.Record(directory, "passcode", FORMAT_VERSION)
        self._clock = clock
        self._uptime_ms = uptime_ms  # device uptime for the audit stamps
        self.audit = audit  # the configuration's store.RingLog
        self.flash_write = flash_write  # tells the loop a flash stall is coming
        self._storage_error = storage_error
        self._event = event
        self.factory = (factory_salt, factory_sha)  # hex, from the board
        self.salt = self.sha = None  # bytes once loaded (passcode.load)
        self.source = store.DEFAULTS
        self.problems = []
        self.role = THERAPIST
        self._since = 0  # ticks_ms of the last service command
        self.fails = 0  # wrong codes in a row
        self._lock_at = 0  # ticks_ms the lockout began
        self._lock_ms = 0  # 0 = no lockout running

    # ---- boot and the commands that need the hash -------------------------------
    def load(self):
        """Stored hash and wrong-code count (passcode.load). Returns the source."""
        return self.with_passcode("load")

    def unlock(self, code):
        return self.with_passcode("unlock", code)

    def set_code(self, code):
        return self.with_passcode("set_code", code)

    def with_passcode(self, name, *args):
        """passcode.NAME(self, *args), the module loaded for this call only."""
        return call_lazy("passcode", name, self, *args)

    # ---- between ticks ----------------------------------------------------------
    def poll(self):
        """Every loop iteration: ends the service role after TIMEOUT_MS and a
        lockout after its time. Polled so that ticks_diff never sees more
        than one loop period beyond the limit (wrap-safe for any uptime)."""
        if self.role == SERVICE:
            c = self._clock
            if c.ticks_diff(c.ticks_ms(), self._since) >= TIMEOUT_MS:
                self.role = THERAPIST
                self.log("lock reason=timeout")
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

    def lockout_s(self):
        return self._lock_ms // 1000

    def lock(self):
        if self.role == SERVICE:
            self.role = THERAPIST
            self.log("lock reason=command")
        return "role=therapist"

    # ---- used by passcode.py --------------------------------------------------------
    def grant_service(self):
        """The reply to a good code."""
        self.role = SERVICE
        self._since = self._clock.ticks_ms()
        return "role=service timeout_s=%d" % (TIMEOUT_MS // 1000)

    def start_lockout(self):
        self._lock_at = self._clock.ticks_ms()
        self._lock_ms = lockout_ms(self.fails)

    def log(self, what):
        """Audit entry with the role in force after the event; a flash
        problem is reported (storage=error) and never blocks the command."""
        self.flash_write()
        try:
            self.audit.append(b"t_ms=%d role=%s %s" % (self._uptime_ms(), ROLE_NAMES[self.role], what))
        except (store.StoreError, OSError, ValueError) as e:
            self._storage_error("audit", e)


# For passcode.py, which does not import this module (it is loaded from here).
Access.FREE_ATTEMPTS = FREE_ATTEMPTS
