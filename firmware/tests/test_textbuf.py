# Tests for firmware/textbuf.py and the names telemetry writes through it;
# run under MicroPython with tools/testing/mpy_unittest.py.
import sys

# Find firmware/ from this file too, whatever the runner's working directory.
sys.path.append((__file__.rsplit("/", 1)[0] if "/" in __file__ else ".") + "/..")

import micropython  # noqa: E402

import alarms  # noqa: E402
import session as ses  # noqa: E402
import telemetry  # noqa: E402
from textbuf import TextBuf  # noqa: E402

_NAMES = ("idle", "run", "release", "fault", "pause")


def _text(t):
    return bytes(t.buf[: t.n]).decode()


def test_put_field_writes_each_name_without_allocating():
    names = ("".join(n + "," for n in _NAMES)).encode()
    t = TextBuf(64)
    got = []
    for i in range(len(_NAMES)):
        t.clear()
        micropython.heap_lock()
        try:
            t.put_field(names, i)
        finally:
            micropython.heap_unlock()
        got.append(_text(t))
    assert tuple(got) == _NAMES, got


def test_put_appends_without_allocating_and_truncates_at_capacity():
    t = TextBuf(12)
    micropython.heap_lock()
    try:
        t.put(b"tel ")
        t.put(b"t_ms=")
        t.put(b"")
    finally:
        micropython.heap_unlock()
    assert _text(t) == "tel t_ms=" and len(t.buf) == 12
    t.put(b"12345")  # 3 bytes of room left: the rest is dropped, the buffer keeps its size
    assert _text(t) == "tel t_ms=123" and t.n == 12 and len(t.buf) == 12
    t.put(b"x")
    assert t.n == 12 and len(t.buf) == 12


def test_put_part_truncates_at_capacity():
    t = TextBuf(5)
    t.put(b"ab")
    t.put_part(b"xyz,uvw", 4, 7)
    assert _text(t) == "abuvw"
    t.put_part(b"more", 0, 4)
    assert _text(t) == "abuvw" and t.n == 5


class _Out:
    pump_u16 = 0
    vent_u16 = 65535


class _Sup:
    alarms = 0


class _Ctl:
    setpoint_pa = 0


class _Ch:
    vacuum_pa = 0
    ctl = _Ctl()
    out = _Out()
    sup = _Sup()


class _Session:
    state = 0

    def put_tel(self, t):
        pass


class _Console:
    machine = False


class _Sink:
    def __init__(self):
        self.data = b""

    def write(self, buf, n):
        self.data = bytes(buf[:n])


class _Link:
    tx = _Sink()


class _Dev:
    console = _Console()
    ch = _Ch()
    session = _Session()
    link = _Link()
    extra = None
    laser = None
    uptime_ms = 0
    overruns = 0


def _field(line, key):
    for w in line.split():
        if w.startswith(key + "="):
            return w[len(key) + 1 :]
    raise AssertionError("%s= missing in %r" % (key, line))


def test_telemetry_names_the_state_and_alarms_as_the_tables_do():
    dev = _Dev()
    tel = telemetry.Telemetry(100)
    every = 0
    for e in alarms.TABLE:
        every |= e[0]
    cases = [0, alarms.TABLE[0][0], alarms.TABLE[-1][0], every, alarms.TABLE[1][0] | alarms.TABLE[-2][0]]
    for i, e in enumerate(alarms.TABLE):
        cases.append(e[0] | alarms.TABLE[(i * 7) % len(alarms.TABLE)][0])
    for k, bits in enumerate(cases):
        dev.ch.sup.alarms = bits
        dev.session.state = k % len(ses.STATE_NAMES)
        tel.send(dev, 0, 0)
        line = dev.link.tx.data.decode()
        assert _field(line, "alarms") == alarms.names_of(bits), line
        assert _field(line, "state") == ses.STATE_NAMES[dev.session.state], line
