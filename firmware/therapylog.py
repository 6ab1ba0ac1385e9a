# Therapy log on flash: one record per session (program, parameters, start,
# end, how it ended, time delivered at target, every alarm raised during it).
#
# A session writes two entries to a store.RingLog (docs/storage.md): a start
# entry before the pump starts and an end entry once the release has begun or
# the session faulted. A start without an end from an earlier power-on is a
# session cut short by a reset or power loss ("interrupted"). Entries are
# text, at most store.MAX_ENTRY bytes:
#   s seq=N boot=B start_ms=T program=P params=name:value,...
#   e seq=N end_ms=T elapsed_ms=E delivered_ms=D end=REASON alarms=A,B
# seq counts sessions across resets; boot numbers the power-on periods that
# had a session, so start_ms/end_ms (uptime) are comparable within one boot.
#
# A write that fails (flash full, I/O error) keeps the entry in RAM (bounded),
# shown in the log with stored=no and retried before the next write; the
# caller's on_error reports the failure. The oldest sessions rotate out with
# the ring's older segment.
# Not for the control tick: reading and writing flash allocate and stall.

_MAX_UNSAVED = 8
_NONE = -1

# Record fields, in the order row() prints them.
FIELDS = ("seq", "boot", "start_ms", "end_ms", "program", "params", "elapsed_ms", "delivered_ms", "end", "alarms", "stored")
_INT_FIELDS = ("seq", "boot", "start_ms", "end_ms", "elapsed_ms", "delivered_ms")


class TherapyLog:
    def __init__(self, ring=None, on_error=None, on_write=None):
        """ring: a store.RingLog (None: RAM only, e.g. a bench); on_write()
        is called before each flash write (it stalls the CPU), on_error(e)
        after a failed one."""
        self._ring = ring
        self._on_error = on_error
        self._on_write = on_write
        self._unsaved = []  # entries not on flash yet, oldest first
        self._open = _NONE  # seq of the running session's record
        self._cache = None  # merged records, rebuilt after a change
        self.total = 0  # sessions ever logged = seq of the next one
        self.boot = 0
        recs = self._records()
        for r in recs:
            if r["seq"] >= self.total:
                self.total = r["seq"] + 1
            if r["boot"] >= self.boot:
                self.boot = r["boot"] + 1
        self.persistent = ring is not None

    # ---- writing -----------------------------------------------------------
    def begin(self, t_ms, program, params):
        """params: text such as 'target:30000,duration:900000'."""
        seq = self.total
        self.total += 1
        self._open = seq
        self._write("s seq=%d boot=%d start_ms=%d program=%s params=%s" % (seq, self.boot, t_ms, program, params))

    def is_open(self):
        return self._open != _NONE

    def finish(self, t_ms, elapsed_ms, delivered_ms, end, alarms):
        seq = self._open
        if seq == _NONE:
            return
        self._open = _NONE
        self._write("e seq=%d end_ms=%d elapsed_ms=%d delivered_ms=%d end=%s alarms=%s" % (seq, t_ms, elapsed_ms, delivered_ms, end, alarms))

    def take_interrupted(self):
        """At boot: (program, start_ms) of the latest session whose start is
        on flash without an end, i.e. cut short by a reset or power loss;
        None if there is none. Its end entry (end=interrupted) is written
        now, so it is reported once."""
        started = {}
        ended = set()
        for data, _ in self._entries():
            kind, f = _parse(data)
            if kind == "s":
                started[f["seq"]] = f
            elif kind == "e":
                ended.add(f["seq"])
        open_seqs = [q for q in started if q not in ended and q != self._open]
        if not open_seqs:
            return None
        for seq in sorted(open_seqs):
            # Straight to flash, not queued: if the flash is full the record
            # simply stays open and is reported again at the next boot.
            if self._ring is None:
                break
            if self._on_write is not None:
                self._on_write()
            try:
                self._ring.append(b"e seq=%d end_ms=%d elapsed_ms=%d delivered_ms=%d end=interrupted alarms=?" % (seq, _NONE, _NONE, _NONE))
            except Exception as e:  # noqa: BLE001 - StoreError, OSError: reported, never fatal
                if self._on_error is not None:
                    self._on_error(e)
                break
        self._cache = None
        f = started[max(open_seqs)]
        return f.get("program", "?"), f.get("start_ms", _NONE)

    def _write(self, text):
        data = text.encode()
        if len(data) > 255:  # store.MAX_ENTRY: keep the record, cut the text
            data = data[:252] + b"..."
        self._unsaved.append(data)
        self._cache = None
        if self._ring is None:
            del self._unsaved[:-_MAX_UNSAVED * 4]
            return
        if self._on_write is not None:
            self._on_write()
        try:
            while self._unsaved:
                self._ring.append(self._unsaved[0])
                self._unsaved.pop(0)
        except Exception as e:  # noqa: BLE001 - StoreError, OSError: reported, never fatal
            del self._unsaved[:-_MAX_UNSAVED]
            if self._on_error is not None:
                self._on_error(e)

    def clear(self):
        """Forget every finished session (the running one's start stays)."""
        if self._ring is not None:
            self._ring.clear()
        self._unsaved = []
        self._cache = None

    # ---- reading -----------------------------------------------------------
    def _entries(self):
        """(entry bytes, on flash) pairs, oldest first."""
        out = []
        if self._ring is not None:
            try:
                out = [(e, True) for e in self._ring.records()]
            except Exception:  # noqa: BLE001 - unreadable flash: show what RAM holds
                out = []
        return out + [(e, False) for e in self._unsaved]

    def _records(self):
        if self._cache is not None:
            return self._cache
        recs = []
        by_seq = {}
        for data, stored in self._entries():
            kind, f = _parse(data)
            if kind is None:
                continue
            r = by_seq.get(f["seq"])
            if r is None:
                r = {"seq": f["seq"], "boot": _NONE, "start_ms": _NONE, "end_ms": _NONE, "program": "?", "params": "?",
                     "elapsed_ms": _NONE, "delivered_ms": _NONE, "end": "interrupted", "alarms": "?", "stored": "yes"}
                by_seq[f["seq"]] = r
                recs.append(r)
            for k in f:
                r[k] = f[k]
            if not stored:
                r["stored"] = "no"
        if self._open != _NONE and self._open in by_seq:
            r = by_seq[self._open]
            r["end"] = "running"
        self._cache = recs
        return recs

    def count(self):
        return len(self._records())

    def row(self, i):
        """Record i (0 = oldest kept) as key=value text."""
        r = self._records()[i]
        return " ".join("%s=%s" % (k, r[k]) for k in FIELDS)


def _parse(data):
    """('s'|'e', fields) of one entry, or (None, None) if it is not one."""
    try:
        words = data.decode().split()
    except Exception:  # noqa: BLE001 - not text: skip it
        return None, None
    if not words or words[0] not in ("s", "e"):
        return None, None
    f = {}
    for w in words[1:]:
        k, _, v = w.partition("=")
        if k in _INT_FIELDS:
            try:
                f[k] = int(v)
            except ValueError:
                return None, None
        elif k in FIELDS:
            f[k] = v
    if "seq" not in f:
        return None, None
    return words[0], f
