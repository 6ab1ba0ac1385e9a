# The telemetry line (docs/protocol.md): its rate and its formatting, without
# allocating (a TextBuf of its own). The device's loop asks due() once per
# background pass and then send()s; `tel on/off` sets the rate.
from micropython import const

import alarms
import session as ses
from frame import crc16
from textbuf import TextBuf

_TEL_BUF = const(360)
# The session states' and the alarms' names (ses.STATE_NAMES, alarms.TABLE)
# as one bytes object each, every name ended by a comma, written without
# allocating (TextBuf.put_field/put_part): a bytes object and a tuple per
# name cost ~1.3 KB at 32 bits, these two ~0.3 KB.
_STATES = ("".join(n + "," for n in ses.STATE_NAMES)).encode()
_ALARMS = ("".join(e[1] + "," for e in alarms.TABLE)).encode()


class Telemetry:
    def __init__(self, control_hz):
        self._control_hz = control_hz
        self.hz = 10_000  # milli-Hz
        self.period_ticks = 0  # 0 = off
        self._count = 0
        self.lines = 0
        self._t = TextBuf(_TEL_BUF)

    def set_rate(self, mhz):
        self.hz = mhz
        self.period_ticks = max(1, self._control_hz * 1000 // mhz)
        self._count = 0

    def off(self):
        self.period_ticks = 0

    def due(self):
        """Once per background pass: True when a line is due."""
        self._count += 1
        if self._count < self.period_ticks:
            return False
        self._count = 0
        return True

    def send(self, dev, late_us, gc_us):
        """Format and send one line of the device's state; late_us and gc_us:
        the latest tick start and the longest collection since the last."""
        self.lines += 1
        t = self._t
        t.clear()
        c = dev.console
        if c.machine:
            t.put(b"!")
            t.put_int(c.take_seq())
            t.put(b" ")
        t.put(b"tel t_ms=")
        t.put_int(dev.uptime_ms)
        ch = dev.ch
        t.put(b" vacuum_pa=")
        t.put_int(ch.vacuum_pa)
        t.put(b" setpoint_pa=")
        t.put_int(ch.ctl.setpoint_pa)
        t.put(b" pump_duty=")
        t.put_int(ch.out.pump_u16)
        t.put(b" valve_duty=")
        t.put_int(ch.out.vent_u16)
        t.put(b" state=")
        t.put_field(_STATES, dev.session.state)
        t.put(b" alarms=")
        a = ch.sup.alarms
        if not a:
            t.put(b"none")
        else:
            # alarms.names_of(a), in TABLE's order: name i is the i-th of _ALARMS.
            sep = False
            p = 0
            for e in alarms.TABLE:
                q = _ALARMS.find(b",", p)
                if a & e[0]:
                    if sep:
                        t.put(b",")
                    t.put_part(_ALARMS, p, q)
                    sep = True
                p = q + 1
        dev.session.put_tel(t)
        if dev.extra is not None:
            dev.extra.put_tel(t)
        if dev.laser is not None:
            dev.laser.put_tel(t)
        # Loop timing since the previous line: the latest tick start and the
        # longest collection; overruns since boot.
        t.put(b" late_us=")
        t.put_int(late_us)
        t.put(b" gc_us=")
        t.put_int(gc_us)
        t.put(b" overruns=")
        t.put_int(dev.overruns)
        if c.machine:
            crc = crc16(t.buf, 0, t.n)
            t.put(b"*")
            t.put_hex4(crc)
        t.put(b"\r\n")
        t.write_to(dev.link.tx)
