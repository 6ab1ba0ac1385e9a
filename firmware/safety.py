# Safety supervisor: hard limits and fault detection, independent of the
# controller. It sees the measured vacuum and the outputs the controller
# proposes, and may only make them safer. Allocation-free (control tick).
from micropython import const

# Compiled-in absolute ceiling: 0.7 atm below ambient (domain.md). No board,
# command or configuration can raise it; a board may only lower it.
ABS_MAX_VACUUM_PA = const(71_000)
# Trip margin above the highest setpoint of the session.
_TRIP_MARGIN_MIN_PA = const(3_000)
_TRIP_MARGIN_DIV = const(5)  # 20 % of setpoint
# Sensor: consecutive failed samples before the fault (tick count).
_SENSOR_FAULT_TICKS = const(4)

# Sensor stuck: a live sensor is noisy (tens of Pa), so this many consecutive
# fresh (status OK) samples within +-_STUCK_BAND_PA of each other while the
# session regulates or the pump runs > 25 % means frozen output registers.
# 100 samples = 0.5 s at 200 Hz. (Regulating counts, not only pump > 25 %:
# holding a small cup at setpoint needs ~10 % duty, where a 25 %-only rule
# would never see a sensor that froze at setpoint.)
_STUCK_SAMPLES = const(100)
_STUCK_BAND_PA = const(1)
_STUCK_PUMP_U16 = const(16384)  # 25 % duty
# Pump fail: pump commanded > 50 % and the vacuum, below setpoint, falls by
# more than _PUMP_DECLINE_PA in each of _PUMP_WINDOWS consecutive windows of
# _PUMP_WINDOW_MS (3 s), or stays flat near ambient (< _PUMP_LOW_PA, rise <
# _PUMP_PROGRESS_PA per window). A working pump against a leak makes the
# vacuum settle (leak alarm); a dead pump lets it keep decaying.
_PUMP_ON_U16 = const(32768)  # 50 % duty
_PUMP_WINDOW_MS = const(1000)
_PUMP_WINDOWS = const(3)
_PUMP_DECLINE_PA = const(300)
_PUMP_PROGRESS_PA = const(200)
_PUMP_LOW_PA = const(2000)
# Vent/pump stuck: with the pump commanded off and the vent commanded open,
# a healthy plant can only lose vacuum. Alarm when the vacuum rises more than
# _VENT_RISE_PA above its value when that command began (any vent opening,
# also while regulating: pump stuck on), or, with the vent fully open (release
# or safe state) and at least _VENT_MIN_PA at command time, it is still above
# half of that value after _VENT_DECAY_MS (vent stuck closed). Sized for cups
# up to a few hundred mL (a 250 mL cup vents to < 10 % in well under 1 s);
# a 15 L chamber vents slower and would need a volume-aware limit.
_VENT_RISE_PA = const(1000)
# While regulating at a steady (not decreasing) setpoint, the controller
# venting with the pump off continuously for _VENT_HOLD_MS means something
# still pumps (pump stuck on): a healthy plant falls below setpoint long before.
_VENT_HOLD_MS = const(2000)
_VENT_DECAY_MS = const(1500)
_VENT_MIN_PA = const(5000)
# Leak: in RUN, after the vacuum has reached the setpoint once, the vacuum is
# below setpoint by more than max(_LEAK_GAP_MIN_PA, 10 %) while the pump runs
# > 90 %, for longer than _LEAK_MS. Medium priority, but latched into the safe
# state like every alarm (the therapy cannot hold its target anyway).
_LEAK_GAP_MIN_PA = const(2000)
_LEAK_GAP_DIV = const(10)
_LEAK_PUMP_U16 = const(58982)  # 90 % duty
_LEAK_MS = const(4000)
_REACHED_BAND_PA = const(500)
_REACHED_MIN_SP_PA = const(5000)

# Alarm bits.
A_OVERVAC = const(1)  # vacuum above the trip level
A_SENSOR = const(2)  # sensor bus error, stale, implausible or stuck
A_INTERNAL = const(4)  # firmware exception in the control path
A_PUMP = const(8)  # pump driven hard, vacuum not rising
A_VENT = const(16)  # vent or pump stuck: vacuum not decaying with pump off, vent open
A_LEAK = const(32)  # cannot hold the setpoint at full pump

ALARM_NAMES = (
    (A_OVERVAC, "overvacuum"),
    (A_VENT, "vent"),
    (A_SENSOR, "sensor"),
    (A_PUMP, "pump"),
    (A_LEAK, "leak"),
    (A_INTERNAL, "internal"),
)


class Supervisor:
    def __init__(self, board_max_pa, period_ms=5):
        self.period_ms = period_ms
        self.ceiling_pa = board_max_pa if board_max_pa < ABS_MAX_VACUUM_PA else ABS_MAX_VACUUM_PA
        self.alarms = 0  # latched until cleared by command
        self.trip_pa = self.ceiling_pa
        self.leak_ms = _LEAK_MS  # service parameter leak_delay (config.py)
        self._sensor_bad = 0
        self._peak_sp = 0
        self._reset_detectors()
        self._reset_detectors()

    def _reset_detectors(self):
        self._last_pa = 0
        self._stuck_n = 0
        self._pump_ms = -1  # -1: pump not above 50 %
        self._pump_ref = 0
        self._pump_bad = 0
        self._vent_ms = -1  # -1: not (pump off and vent open)
        self._vent_ref = 0
        self._vent_sp = 0
        self._reached = False
        self._leak_ms = 0

    def session_start(self):
        self._peak_sp = 0
        self._reset_detectors()

    def phase_start(self):
        """An intermittent session starts a new on phase: the pull-down from
        the floor is not a leak, so the leak detector re-arms."""
        self._reached = False
        self._leak_ms = 0

    def trip_level(self, setpoint_pa):
        """Vacuum above which the pump is cut and the vent opened at once."""
        if setpoint_pa > self._peak_sp:
            self._peak_sp = setpoint_pa
        sp = self._peak_sp
        m = sp // _TRIP_MARGIN_DIV
        if m < _TRIP_MARGIN_MIN_PA:
            m = _TRIP_MARGIN_MIN_PA
        t = sp + m
        return t if t < self.ceiling_pa else self.ceiling_pa

    def check(self, sensor_status, vacuum_pa, setpoint_pa, regulating, pump_u16=0, vent_u16=65535):
        """Returns the latched alarm bits after this tick's checks.
        pump_u16/vent_u16: the outputs commanded last tick."""
        fresh = sensor_status == 0
        if fresh or sensor_status == 1:
            # OK, or BUSY (conversion still running: one stale tick is fine).
            if fresh:
                self._sensor_bad = 0
            else:
                self._sensor_bad += 1
        else:
            self._sensor_bad += 2
        if self._sensor_bad >= 2 * _SENSOR_FAULT_TICKS:
            self.alarms |= A_SENSOR
        self.trip_pa = self.trip_level(setpoint_pa) if regulating else self.ceiling_pa
        if vacuum_pa > self.trip_pa:
            self.alarms |= A_OVERVAC
        if fresh:
            self._detect(vacuum_pa, setpoint_pa, regulating, pump_u16, vent_u16)
        return self.alarms

    def _detect(self, v, sp, regulating, pump, vent):
        dt = self.period_ms
        # -- sensor stuck
        d = v - self._last_pa
        self._last_pa = v
        if (regulating or pump > _STUCK_PUMP_U16) and -_STUCK_BAND_PA <= d <= _STUCK_BAND_PA:
            self._stuck_n += 1
            if self._stuck_n >= _STUCK_SAMPLES:
                self.alarms |= A_SENSOR
        else:
            self._stuck_n = 0
        # -- vent / pump stuck: pump off + vent open must not keep vacuum up
        # (not with a sensor alarm: a frozen reading does not decay either)
        if pump == 0 and vent > 0 and not self.alarms & A_SENSOR:
            if self._vent_ms < 0 or sp < self._vent_sp:
                self._vent_ms = 0
                self._vent_ref = v
                self._vent_sp = sp
            else:
                self._vent_ms += dt
            ref = self._vent_ref
            if v > ref + _VENT_RISE_PA:
                self.alarms |= A_VENT
            elif regulating and self._vent_ms >= _VENT_HOLD_MS:
                self.alarms |= A_VENT
            elif vent >= 65535 and ref >= _VENT_MIN_PA and self._vent_ms >= _VENT_DECAY_MS and v > ref // 2:
                self.alarms |= A_VENT
        else:
            self._vent_ms = -1
        if not regulating:
            self._pump_ms = -1
            self._leak_ms = 0
            return
        # -- pump fail: driven > 50 %, below setpoint, vacuum keeps falling
        if pump > _PUMP_ON_U16 and v < sp:
            if self._pump_ms < 0:
                self._pump_ms = 0
                self._pump_ref = v
                self._pump_bad = 0
            else:
                self._pump_ms += dt
                if self._pump_ms >= _PUMP_WINDOW_MS:
                    p = v - self._pump_ref
                    if p < -_PUMP_DECLINE_PA or (p < _PUMP_PROGRESS_PA and v < _PUMP_LOW_PA):
                        self._pump_bad += 1
                        if self._pump_bad >= _PUMP_WINDOWS:
                            self.alarms |= A_PUMP
                    else:
                        self._pump_bad = 0
                    self._pump_ms = 0
                    self._pump_ref = v
        else:
            self._pump_ms = -1
        # -- leak: setpoint reached once, then far below it at > 90 % pump
        if sp >= _REACHED_MIN_SP_PA and v >= sp - _REACHED_BAND_PA:
            self._reached = True
        gap = sp // _LEAK_GAP_DIV
        if gap < _LEAK_GAP_MIN_PA:
            gap = _LEAK_GAP_MIN_PA
        if self._reached and pump > _LEAK_PUMP_U16 and v < sp - gap:
            self._leak_ms += dt
            if self._leak_ms >= self.leak_ms:
                self.alarms |= A_LEAK
        else:
            self._leak_ms = 0

    def clear(self):
        self.alarms = 0
        self._sensor_bad = 0
        self._peak_sp = 0
        self._reset_detectors()
