# The code behind the service unlock (access.py): salted SHA-256, the
# passcode record on flash, the wrong-code count read back from the audit
# log, and the unlock and passcode-change steps. Loaded only for boot, an
# unlock and a passcode change, then dropped again (access.with_passcode), so
# hashing and record code take no RAM while therapy runs (docs/reliability.md,
# "Memory").
#
# It imports nothing above the storage: what it needs of the role gate comes
# through the Access object it is given, and a refusal is a
# ValueError(reason, sentence) that the access commands turn into the
# protocol's error (cmdargs.from_below).
import hashlib
import os
from binascii import hexlify, unhexlify

from micropython import const

import store

_SALT_BYTES = const(8)
CODE_MIN = const(6)
CODE_MAX = const(32)


def digest(salt, code):
    """Salted SHA-256 of the code (bytes): ~1 us on the Unix port."""
    h = hashlib.sha256(salt)
    h.update(code)
    return h.digest()


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


def fails_in(records, damaged):
    """Wrong codes in a row at the end of the audit log: the count survives
    a power cycle without a flash write of its own. A damaged count reads
    as `damaged` (the free attempts: assume the lockout)."""
    for r in reversed(records):
        if b" unlock " in r:
            i = r.find(b" fails=")
            if b" unlock fail " in r and i > 0:
                try:
                    return int(r[i + 7 :].split()[0])
                except (ValueError, IndexError):
                    return damaged
            return 0
    return 0


def load(acc):
    """The stored hash (current, else backup, else the board's factory
    hash) and the wrong-code count from the audit log. Returns the source;
    acc.problems says what was wrong."""
    acc.salt, acc.sha = unhexlify(acc.factory[0]), unhexlify(acc.factory[1])
    try:
        payload, source, problems = acc.record.load()
    except OSError as e:
        payload, source, problems = None, store.DEFAULTS, ["I/O error %s" % e]
    if payload is not None:
        pair = decode(payload)
        if pair is None:
            problems.append("%s: not a passcode record" % source)
            source = store.DEFAULTS
        else:
            acc.salt, acc.sha = pair
    acc.source, acc.problems = source, problems
    try:
        acc.fails = fails_in(acc.audit.records(), acc.FREE_ATTEMPTS)
    except OSError:
        acc.fails = 0
    if acc.fails >= acc.FREE_ATTEMPTS:
        # Locked out before the reset: the lockout starts again in full.
        acc.start_lockout()
    return source


def unlock(acc, code):
    if acc.sha is None:
        load(acc)
    left = acc.retry_after_ms()
    if left:
        # Refused without checking: guessing is as slow as the lockout.
        raise ValueError("locked", "retry_after_s=%d %d wrong codes in a row; attempts are refused until then" % ((left + 999) // 1000, acc.fails))
    if _same(digest(acc.salt, code), acc.sha):
        acc.fails = 0
        reply = acc.grant_service()
        acc.log("unlock ok")
        return reply
    acc.fails += 1
    acc.log("unlock fail fails=%d" % acc.fails)
    if acc.fails >= acc.FREE_ATTEMPTS:
        acc.start_lockout()
        raise ValueError("access", "wrong code; %d in a row: attempts refused for %d s" % (acc.fails, acc.lockout_s()))
    raise ValueError("access", "wrong code; %d more before a lockout" % (acc.FREE_ATTEMPTS - acc.fails))


def set_code(acc, code):
    """Store a new code as a fresh salt and its hash (atomic record, read
    back); the old code stops working. Raises ValueError, nothing changed."""
    if len(code) < CODE_MIN or len(code) > CODE_MAX or not _plain(code):
        raise ValueError("arg", "a code is %d..%d letters or digits" % (CODE_MIN, CODE_MAX))
    salt = os.urandom(_SALT_BYTES)
    sha = digest(salt, code)
    payload = encode(salt, sha)
    acc.flash_write()
    try:
        acc.record.save(payload)
        back, source, _ = acc.record.load()
    except (store.StoreError, OSError) as e:
        raise ValueError("storage", "%s; the code is unchanged" % getattr(e, "message", e))
    if back != payload or source != store.CURRENT:
        raise ValueError("storage", "the passcode read back from flash differs; the old code may still apply")
    acc.salt, acc.sha = salt, sha
    acc.source, acc.problems = store.CURRENT, []
    acc.log("passcode changed")
    return "passcode changed (stored as a salted hash; the old code no longer works)"


def _plain(code):
    for c in code:
        if not (48 <= c <= 57 or 65 <= c <= 90 or 97 <= c <= 122):
            return False
    return True
