# Persistent data on the board's flash: atomic records and bounded ring logs.
#
# Record (configuration, calibration): one file NAME with a header (magic,
# format version, payload length, CRC-32) and the payload. save() writes
# NAME.new, reads it back and compares, moves the current NAME to NAME.bak and
# renames NAME.new into place: a power cut at any point leaves NAME or NAME.bak
# holding a complete, verified old or new version. A corrupt NAME is dropped
# rather than backed up, so NAME.bak stays the last good version. load() tries NAME, then
# NAME.bak, then reports that the caller must use its safe defaults.
#
# RingLog (therapy, alarm and audit logs): two segment files NAME.0/NAME.1 of
# at most segment_bytes each; records are appended to the newer one, and when
# it is full the older one is started afresh. Every segment starts with a
# header carrying a sequence number, every record carries its length and a
# CRC-32, so a torn tail is dropped and the rest is kept.
#
# Not for the control tick: this allocates and a flash write stalls the CPU
# (tens of ms for an erase on an RP2040). Call it between sessions or from the
# background loop; docs/storage.md has the measured cost.
import os
import struct

try:
    from binascii import crc32  # unsigned 0..2**32-1 (MicroPython and CPython)
except ImportError:  # pragma: no cover - ports built without binascii.crc32
    def crc32(data, crc=0):
        """CRC-32 (IEEE) in two 16-bit halves: no constant or intermediate
        reaches 2**30 (a heap-allocated long int on 32-bit ports); only the
        result does."""
        hi = (crc >> 16) ^ 0xFFFF
        lo = (crc & 0xFFFF) ^ 0xFFFF
        for b in data:
            lo ^= b
            for _ in range(8):
                if lo & 1:
                    lo = ((lo >> 1) | ((hi & 1) << 15)) ^ 0x8320
                    hi = (hi >> 1) ^ 0xEDB8
                else:
                    lo = (lo >> 1) | ((hi & 1) << 15)
                    hi >>= 1
        return ((hi ^ 0xFFFF) << 16) | (lo ^ 0xFFFF)


_ENOENT = 2
_ENOSPC = 28
_EEXIST = 17

_REC_MAGIC = b"VRC1"
_REC_HDR = "<4sHHI"  # magic, format version, payload length, crc32(payload)
_REC_HDR_LEN = 12
MAX_RECORD = 4096

_SEG_MAGIC = b"VLG1"
_SEG_HDR = "<4sII"  # magic, segment sequence number, crc32(magic+seq)
_SEG_HDR_LEN = 12
_ENTRY_HDR = "<BHI"  # 0xA5, payload length, crc32(payload)
_ENTRY_HDR_LEN = 7
_ENTRY_MARK = 0xA5
MAX_ENTRY = 255

CURRENT = "current"
BACKUP = "backup"
DEFAULTS = "defaults"


class StoreError(Exception):
    """A write did not complete (flash full, read-back mismatch, I/O error);
    the data on flash is still the previous version."""

    def __init__(self, message, full=False):
        super().__init__(message)
        self.message = message
        self.full = full


def _io_error(what, path, e):
    full = isinstance(e, OSError) and e.args and e.args[0] == _ENOSPC
    return StoreError("%s %s: %s" % (what, path, "flash full" if full else "I/O error %s" % (e.args[0] if e.args else e)), full)


def ensure_dir(path):
    """Create path and its parents if missing (like mkdir -p)."""
    part = ""
    for name in path.split("/"):
        if not name:
            continue
        part += "/" + name
        try:
            os.mkdir(part)
        except OSError as e:
            if e.args[0] != _EEXIST:
                raise


def _exists(path):
    try:
        os.stat(path)
        return True
    except OSError:
        return False


def _remove(path):
    try:
        os.remove(path)
    except OSError as e:
        if e.args[0] != _ENOENT:
            raise


def _read_all(path, limit):
    try:
        with open(path, "rb") as f:
            return f.read(limit + 1)
    except OSError as e:
        if e.args[0] == _ENOENT:
            return None
        raise


def encode_record(version, payload):
    return struct.pack(_REC_HDR, _REC_MAGIC, version, len(payload), crc32(payload)) + payload


def decode_record(data, version):
    """(payload, None) if data is a complete record of this format version,
    else (None, why)."""
    if data is None:
        return None, "missing"
    if len(data) < _REC_HDR_LEN:
        return None, "truncated header"
    magic, ver, n, crc = struct.unpack(_REC_HDR, data[:_REC_HDR_LEN])
    if magic != _REC_MAGIC:
        return None, "not a record"
    if ver != version:
        return None, "format version %d, expected %d" % (ver, version)
    payload = data[_REC_HDR_LEN:]
    if len(payload) != n:
        return None, "length %d, header says %d" % (len(payload), n)
    if crc32(payload) != crc:
        return None, "checksum mismatch"
    return payload, None


class Record:
    """One atomically replaced record file."""

    def __init__(self, directory, name, version):
        self.directory = directory
        self.path = directory + "/" + name
        self.version = version

    def save(self, payload):
        """Write payload so that after a power cut at any point either the
        previous or this version loads. Raises StoreError on failure; the
        previous version is then still current."""
        if len(payload) > MAX_RECORD:
            raise ValueError("record of %d bytes exceeds %d" % (len(payload), MAX_RECORD))
        data = encode_record(self.version, payload)
        path = self.path
        new = path + ".new"
        bak = path + ".bak"
        try:
            ensure_dir(self.directory)
            with open(new, "wb") as f:
                f.write(data)
        except OSError as e:
            try:
                _remove(new)  # give the space back
            except OSError:
                pass
            raise _io_error("writing", new, e)
        try:
            back = _read_all(new, MAX_RECORD + _REC_HDR_LEN)
        except OSError as e:
            raise _io_error("reading back", new, e)
        if back != data:
            raise StoreError("read-back of %s differs from what was written" % new)
        try:
            if _exists(path):
                if decode_record(_read_all(path, MAX_RECORD + _REC_HDR_LEN), self.version)[0] is None:
                    _remove(path)  # corrupt: keep the backup, the last good one
                else:
                    _remove(bak)
                    os.rename(path, bak)
            os.rename(new, path)
        except OSError as e:
            raise _io_error("replacing", path, e)

    def load(self):
        """(payload, source, problems): source is CURRENT or BACKUP with the
        payload, or DEFAULTS with None (use safe defaults). problems lists
        what was wrong with the files skipped, e.g. 'current: checksum
        mismatch'; a missing file on a fresh device is not a problem."""
        problems = []
        fresh = True
        for source, path in ((CURRENT, self.path), (BACKUP, self.path + ".bak")):
            try:
                data = _read_all(path, MAX_RECORD + _REC_HDR_LEN)
            except OSError as e:
                problems.append("%s: I/O error %s" % (source, e.args[0] if e.args else e))
                fresh = False
                continue
            payload, why = decode_record(data, self.version)
            if payload is not None:
                return payload, source, problems
            if why != "missing" or not fresh:
                problems.append("%s: %s" % (source, why))
                fresh = False
        return None, DEFAULTS, problems


class RingLog:
    """Append-only log of short records in two rotating segment files;
    bounded to 2 x segment_bytes of flash."""

    def __init__(self, directory, name, segment_bytes=4096):
        if segment_bytes < _SEG_HDR_LEN + _ENTRY_HDR_LEN + MAX_ENTRY:
            raise ValueError("segment of %d bytes cannot hold one record" % segment_bytes)
        self.directory = directory
        self._paths = (directory + "/" + name + ".0", directory + "/" + name + ".1")
        self.segment_bytes = segment_bytes
        self._active = -1  # segment index being appended to; -1 = not scanned
        self._size = 0
        self._seq = 0
        self._torn = False

    # ---- reading -----------------------------------------------------------
    def _segment(self, i):
        """(seq, [payloads], valid_bytes, file_bytes) of segment i; seq is -1
        for a missing or unreadable segment."""
        try:
            data = _read_all(self._paths[i], self.segment_bytes + MAX_ENTRY + _ENTRY_HDR_LEN)
        except OSError:
            data = None
        if data is None or len(data) < _SEG_HDR_LEN:
            return -1, [], 0, 0 if data is None else len(data)
        magic, seq, crc = struct.unpack(_SEG_HDR, data[:_SEG_HDR_LEN])
        if magic != _SEG_MAGIC or crc32(data[:8]) != crc:
            return -1, [], 0, len(data)
        out = []
        pos = _SEG_HDR_LEN
        while pos + _ENTRY_HDR_LEN <= len(data):
            mark, n, c = struct.unpack(_ENTRY_HDR, data[pos : pos + _ENTRY_HDR_LEN])
            end = pos + _ENTRY_HDR_LEN + n
            if mark != _ENTRY_MARK or n > MAX_ENTRY or end > len(data):
                break
            payload = data[pos + _ENTRY_HDR_LEN : end]
            if crc32(payload) != c:
                break
            out.append(payload)
            pos = end
        return seq, out, pos, len(data)

    def records(self):
        """Every intact record, oldest first."""
        a = self._segment(0)
        b = self._segment(1)
        if a[0] < 0 and b[0] < 0:
            return []
        first, second = (a, b) if (b[0] < 0 or (a[0] >= 0 and a[0] < b[0])) else (b, a)
        return (first[1] if first[0] >= 0 else []) + (second[1] if second[0] >= 0 else [])

    # ---- writing -----------------------------------------------------------
    def _scan(self):
        best = -1
        for i in (0, 1):
            seq, _, valid, size = self._segment(i)
            if seq >= 0 and (best < 0 or seq > self._seq):
                best = i
                self._seq = seq
                self._size = valid
                self._torn = valid != size
        self._active = best
        if best < 0:
            self._seq = 0

    def _rotate(self):
        nxt = 0 if self._active < 0 else 1 - self._active
        seq = (self._seq + 1) & 0x3FFFFFFF if self._active >= 0 else 1  # wraps after 2**30 segments
        head = struct.pack("<4sI", _SEG_MAGIC, seq)
        head += struct.pack("<I", crc32(head))
        with open(self._paths[nxt], "wb") as f:
            f.write(head)
        self._active = nxt
        self._seq = seq
        self._size = _SEG_HDR_LEN
        self._torn = False

    def clear(self):
        """Remove every record (both segments); the next append starts anew."""
        try:
            for p in self._paths:
                _remove(p)
        except OSError as e:
            self._active = -1
            raise _io_error("clearing", self._paths[0][:-2], e)
        self._active = -1

    def append(self, payload):
        """Append one record (bytes, at most MAX_ENTRY). Raises StoreError if
        the flash is full or fails; earlier records stay readable."""
        n = len(payload)
        if n > MAX_ENTRY:
            raise ValueError("log record of %d bytes exceeds %d" % (n, MAX_ENTRY))
        try:
            ensure_dir(self.directory)
            if self._active < 0:
                self._scan()
            if self._active < 0 or self._torn or self._size + _ENTRY_HDR_LEN + n > self.segment_bytes:
                # A torn tail would hide what follows it: start a new segment.
                self._rotate()
            rec = struct.pack(_ENTRY_HDR, _ENTRY_MARK, n, crc32(payload)) + payload
            with open(self._paths[self._active], "ab") as f:
                f.write(rec)
            self._size += len(rec)
        except OSError as e:
            self._active = -1  # rescan next time: the file state is unknown
            raise _io_error("appending to", self._paths[0][:-2], e)
