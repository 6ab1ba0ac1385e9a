# The alarm model (IEC 60601-1-8 ideas): every alarm has a priority, is
# latching or not, and either stops the therapy (safe state) or only informs.
# The supervisor (safety.py) raises alarm bits in the control tick; this
# module turns changes of those bits into events and log records, and keeps
# the operator's acknowledgement and the time-limited audio pause. Runs
# between ticks (may allocate), never inside the heap-locked tick.
from micropython import const

# Alarm bits (the supervisor's `alarms` word).
A_OVERVAC = const(1)  # vacuum above the trip level / program ceiling
A_SENSOR = const(2)  # sensor bus error, timeout or implausible value
A_INTERNAL = const(4)  # firmware exception in the control path
A_PUMP = const(8)  # pump driven hard, vacuum not rising
A_VENT = const(16)  # vent open, pump off, vacuum not decaying (safe state not verified)
A_LEAK = const(32)  # cannot reach or hold the setpoint at full pump
A_PUMP_ON = const(64)  # vacuum kept up or rising with the pump commanded off
A_STUCK = const(128)  # sensor output frozen while the plant is driven
A_OFFSET = const(256)  # at rest (pump off, vent open) the reading is not ambient
A_BLOCKAGE = const(512)  # holding the setpoint needs no flow: tube blocked / canister full
A_RISE = const(1024)  # vacuum rising faster than the hard rate limit
A_HOLD = const(2048)  # continuous hold above the program's threshold too long
A_SESSION = const(4096)  # session longer than the program's maximum
A_HOST = const(8192)  # host heartbeat lost during a host-supervised session
A_OVERRUN = const(16384)  # control loop missed its deadline
A_RESET = const(32768)  # the device booted from a watchdog or brown-out reset
A_INTERRUPTED = const(65536)  # a session was running when the power or the firmware stopped
# Laser applicator boards only (laser.py):
A_LASER_ON = const(131072)  # laser emission sensed while commanded off (stuck on)
A_ROLLER = const(262144)  # rollers driven but the tachometer sees them stopped (stalled)
A_LASER = const(524288)  # laser commanded on but no emission sensed (source or its monitor failed)

HIGH = const(3)
MEDIUM = const(2)
LOW = const(1)
PRIORITY_NAMES = ("none", "low", "medium", "high")

# (bit, name, priority, latching, stops therapy), highest priority first: the
# order of telemetry's alarms= list and of the `alarms` reply.
TABLE = (
    (A_OVERVAC, "overvacuum", HIGH, True, True),
    (A_RISE, "rise", HIGH, True, True),
    (A_PUMP_ON, "pump_on", HIGH, True, True),
    (A_LASER_ON, "laser_on", HIGH, True, True),
    (A_VENT, "vent", HIGH, True, True),
    (A_SENSOR, "sensor", HIGH, True, True),
    (A_STUCK, "stuck", HIGH, True, True),
    (A_OFFSET, "offset", HIGH, True, True),
    (A_INTERNAL, "internal", HIGH, True, True),
    (A_HOLD, "hold", MEDIUM, True, True),
    (A_SESSION, "session_time", MEDIUM, True, True),
    (A_HOST, "host", MEDIUM, True, True),
    (A_BLOCKAGE, "blockage", MEDIUM, True, True),
    (A_PUMP, "pump", MEDIUM, True, True),
    (A_LEAK, "leak", MEDIUM, True, True),
    (A_ROLLER, "roller", MEDIUM, True, True),
    (A_LASER, "laser", MEDIUM, True, True),
    # Found at boot: the therapy stopped without the device ending it (power
    # cut, reset). A person must look at the patient; nothing is running.
    (A_INTERRUPTED, "interrupted", MEDIUM, True, False),
    (A_RESET, "reset", LOW, True, False),
    (A_OVERRUN, "overrun", LOW, False, False),
)


def _mask(col):
    m = 0
    for t in TABLE:
        if t[col]:
            m |= t[0]
    return m


STOP_MASK = _mask(4)  # alarms that force the safe state and refuse `start`
LATCH_MASK = _mask(3)  # alarms that stay until `clear`

# Audio pause (IEC 60601-1-8: 120 s is common); `silence` cannot exceed it.
SILENCE_MAX_MS = const(120_000)

# Log actions.
RAISE = const(0)
END = const(1)  # a non-latching alarm whose condition went away
CLEAR = const(2)  # cleared by the `clear` command
ACK = const(3)
SILENCE = const(4)
ACTION_NAMES = ("raise", "end", "clear", "ack", "silence")


def info(bit):
    for t in TABLE:
        if t[0] == bit:
            return t
    return None


def index_of(bit):
    for i in range(len(TABLE)):
        if TABLE[i][0] == bit:
            return i
    return -1


def names_of(bits):
    return ",".join(t[1] for t in TABLE if bits & t[0]) if bits else "none"


def priority_of(bits):
    """Highest priority among bits (0 if none)."""
    for t in TABLE:
        if bits & t[0]:
            return t[2]
    return 0


class AlarmLog:
    """Bounded ring of alarm records (uptime ms, action, alarm, value), in
    RAM. Only append() and records() are used by the rest of the firmware, so
    a flash-backed log (firmware/store.py, another branch) can replace it."""

    def __init__(self, size=32):
        self.size = size
        self._t = [0] * size
        self._a = bytearray(size)
        self._i = bytearray(size)
        self._v = [0] * size
        self._n = 0  # records ever appended

    def append(self, t_ms, action, index, value):
        k = self._n % self.size
        self._t[k] = t_ms
        self._a[k] = action
        self._i[k] = index if index >= 0 else 255
        self._v[k] = value
        self._n += 1

    def __len__(self):
        return self._n if self._n < self.size else self.size

    def total(self):
        return self._n

    def records(self):
        """(t_ms, action name, alarm name or '-', value), oldest first."""
        out = []
        n = len(self)
        start = self._n - n
        for j in range(start, self._n):
            k = j % self.size
            i = self._i[k]
            out.append((self._t[k], ACTION_NAMES[self._a[k]], TABLE[i][1] if i < len(TABLE) else "-", self._v[k]))
        return out


class AlarmState:
    """What the operator sees of the supervisor's alarm bits: which are
    active, acknowledged, the audio pause, and the log."""

    def __init__(self, log):
        self.log = log
        self.active = 0  # bits as last reported
        self.acked = 0
        self.silence_until = 0  # uptime ms; audio paused while t < this
        self.silenced = False
        # Priorities of the active and of the unacknowledged alarms, kept
        # here when the bits change: the annunciator asks for them on every
        # pass of the loop, and scanning TABLE twice per pass cost ~0.7 ms
        # of background time on an RP2040 (issue 14).
        self._visual = 0
        self._audible = 0

    def update(self, bits, t_ms, vacuum_pa):
        """Compare with the supervisor's bits; log and return event lines."""
        events = []
        new = bits & ~self.active
        gone = self.active & ~bits
        if new:
            if self.silenced:
                self.silenced = False  # a new alarm ends the audio pause
            self.acked &= ~new
            for i in range(len(TABLE)):
                t = TABLE[i]
                if new & t[0]:
                    self.log.append(t_ms, RAISE, i, vacuum_pa)
                    events.append("alarm raise %s priority=%s latching=%d t_ms=%d vacuum_pa=%d" % (t[1], PRIORITY_NAMES[t[2]], 1 if t[3] else 0, t_ms, vacuum_pa))
        if gone:
            self._log_each(events, gone, END, t_ms, vacuum_pa)
            self.acked &= ~gone
        self.active = bits
        self._reprioritise()
        if self.silenced and t_ms - self.silence_until >= 0:
            self.silenced = False
        return events

    def _log_each(self, events, bits, action, t_ms, value):
        """Log `action` for each alarm in bits, and its event line."""
        for i in range(len(TABLE)):
            t = TABLE[i]
            if bits & t[0]:
                self.log.append(t_ms, action, i, value)
                events.append("alarm %s %s t_ms=%d" % (ACTION_NAMES[action], t[1], t_ms))

    def _reprioritise(self):
        self._visual = priority_of(self.active)
        self._audible = priority_of(self.active & ~self.acked)

    def cleared(self, bits, t_ms):
        """The `clear` command removed these bits: logged as a clear."""
        events = []
        self._log_each(events, bits, CLEAR, t_ms, 0)
        self.active &= ~bits
        self.acked &= ~bits
        self._reprioritise()
        return events

    def ack(self, t_ms):
        """Acknowledge every active, unacknowledged alarm: its audible signal
        stops; it stays active (and latched) until cleared."""
        bits = self.active & ~self.acked
        events = []
        self._log_each(events, bits, ACK, t_ms, 0)
        self.acked |= bits
        self._reprioritise()
        return bits, events

    def silence(self, ms, t_ms):
        self.silenced = True
        self.silence_until = t_ms + ms
        self.log.append(t_ms, SILENCE, -1, ms)
        return ["alarm silence ms=%d t_ms=%d" % (ms, t_ms)]

    def silence_left(self, t_ms):
        if not self.silenced:
            return 0
        r = self.silence_until - t_ms
        return r if r > 0 else 0

    def audible_priority(self, t_ms):
        """Priority the buzzer should sound (0 = quiet)."""
        if self.silenced and self.silence_until - t_ms > 0:
            return 0
        return self._audible

    def visual_priority(self):
        return self._visual


class PersistentAlarmLog(AlarmLog):
    """The RAM ring (this boot, for `alarms log`) plus every record written
    through `write(text)` to the alarm log on flash (`flashlog alarm`), which
    survives resets and power cuts. Called between ticks only."""

    def __init__(self, write, size=32):
        super().__init__(size)
        self._write = write

    def append(self, t_ms, action, index, value):
        super().append(t_ms, action, index, value)
        name = TABLE[index][1] if 0 <= index < len(TABLE) else "-"
        self._write("t_ms=%d %s %s value=%d" % (t_ms, ACTION_NAMES[action], name, value))
