# Safety supervisor: hard limits and fault detection, independent of the
# controller. It sees the measured vacuum and the outputs the controller
# commanded, and may only make them safer. Allocation-free (control tick):
# the tick's inputs are kept in attributes so that each rule is a small
# method (MicroPython heap-allocates the frame of a function with more than
# ~11 words of state, and the tick runs under heap_lock()).
# Thresholds and delays are documented per alarm in docs/safety.md.
from micropython import const

from alarms import (  # noqa: F401 - re-exported for app/commands
    A_BLOCKAGE,
    A_HOLD,
    A_HOST,
    A_INTERNAL,
    A_LEAK,
    A_OFFSET,
    A_OVERRUN,
    A_OVERVAC,
    A_PUMP,
    A_PUMP_ON,
    A_RESET,
    A_RISE,
    A_SENSOR,
    A_SESSION,
    A_STUCK,
    A_VENT,
    STOP_MASK,
)
from outputs import FULL
from phasecheck import PhaseCheck, leak_gap

# Compiled-in absolute ceiling: 0.7 atm below ambient (domain.md). No board,
# command or configuration can raise it; a board or program may only lower it.
ABS_MAX_VACUUM_PA = const(71_000)
# Trip margin above the highest setpoint of the session.
_TRIP_MARGIN_MIN_PA = const(3_000)
_TRIP_MARGIN_DIV = const(5)  # 20 % of setpoint
_TRIP_LOOKAHEAD = const(2)  # samples ahead the ceiling is judged while rising with the pump off
# Sensor: consecutive failed samples for this long before the fault.
# Windows below are stated in ms and turned into sample counts for the
# board's control period (Supervisor.__init__), so a rule means the same at
# 100 Hz as at 200 Hz.
_SENSOR_FAULT_MS = const(20)
# Implausible readings: a vacuum pump cannot make overpressure beyond noise,
# and no vacuum deeper than this exists at any ambient on earth the device runs.
_IMPLAUSIBLE_LOW_PA = const(-10_000)
_IMPLAUSIBLE_HIGH_PA = const(95_000)

# Sensor stuck: a live sensor is noisy (tens of Pa), so consecutive fresh
# samples for _STUCK_MS within +-_STUCK_BAND_PA of each other while the
# session regulates or the pump runs > 25 % means frozen output registers.
_STUCK_MS = const(500)
_STUCK_BAND_PA = const(1)
_STUCK_PUMP_U16 = const(16384)  # 25 % duty
# ... or, in a running session's vented phase, while the reading is this far
# from ambient (nothing at rest there is flat: the vacuum still decays).
_STUCK_REST_PA = const(500)

# Hard limit on the rate of rise: 10 kPa above the lowest of the fresh
# samples of the last 50 ms (any span up to 50 ms), i.e. 200 kPa/s: faster
# means the sensor sees only the tubing (a blockage) or jumps. A 5 mL cup on
# a strong pump rises faster at full drive (370 kPa/s), so the controller
# governs its approach to 150 kPa/s (controller.py); this limit stays fixed
# and independent of it (docs/safety.md, H26).
_RISE_SPAN_MS = const(50)
_RISE_MAX_PA = const(10_000)

# Pump fail / leak, judged in windows of _PUMP_WINDOW_MS while the pump runs
# > 50 % below setpoint: the vacuum falling by > _PUMP_DECLINE_PA per window
# (or flat near ambient) for _PUMP_WINDOWS windows is a dead pump; flat (rise
# < _PUMP_PROGRESS_PA) above _PUMP_LOW_PA but more than the leak gap below
# setpoint at > 90 % for _REACH_WINDOWS windows is a leak (cannot reach).
_PUMP_ON_U16 = const(32768)
_PUMP_WINDOW_MS = const(1000)
_PUMP_WINDOWS = const(3)
_REACH_WINDOWS = const(3)
_PUMP_DECLINE_PA = const(300)
_PUMP_PROGRESS_PA = const(200)
_PUMP_LOW_PA = const(2000)
# Leak: after the setpoint was reached once, more than phasecheck.leak_gap
# (10 %, at least min(2 kPa, 25 %)) below it with the pump > 90 % for _LEAK_MS (cannot hold).
_LEAK_PUMP_U16 = const(58982)  # 90 % duty
_LEAK_MS = const(4000)
_REACHED_BAND_PA = const(500)
_REACHED_MIN_SP_PA = const(5000)

# Pump stuck on: with the pump commanded off and the vent open the vacuum can
# only fall. Rising > _VENT_RISE_PA above its value when that command began,
# or the controller venting continuously for _VENT_HOLD_MS while the vacuum is
# already within _VENT_NEAR_PA of a steady setpoint (a healthy plant stops
# needing the vent there; a big chamber's overshoot is vented while it is
# still above that band).
_VENT_RISE_PA = const(1000)
_VENT_HOLD_MS = const(2000)
_VENT_NEAR_PA = const(500)
# ... or the controller venting (partly open) for _VENT_HOLD_MS above a
# steady setpoint and the vacuum not _VENT_FALL_PA below where that began:
# the vent is open and something pumps against it (a stuck pump balanced by
# the vent's proportional opening above the band; on a valve with a dead
# zone the balance sits well above it).
_VENT_FALL_PA = const(500)
# Safe-state verification (vent fully open, pump off): from at least
# _VENT_MIN_PA the vacuum must halve within _VENT_DECAY_MS (the 15 L leg
# chamber halves 7 kPa in ~0.4 s, a 400 mL NPWT canister 26 kPa in ~0.5 s),
# and from any level be below _VENT_RESIDUAL_PA after _VENT_VERIFY_MS.
_VENT_DECAY_MS = const(2000)
_VENT_MIN_PA = const(5000)
_VENT_VERIFY_MS = const(10_000)
_VENT_RESIDUAL_PA = const(2000)
# Offset: at rest for _REST_SETTLE_MS, two consecutive means of _REST_MEAN_MS of
# fresh samples within _REST_STABLE_PA of each other (so not decaying) and
# further than _OFFSET_MAX_PA from zero.
_REST_SETTLE_MS = const(2000)  # after the decay rule had its say
_REST_MEAN_MS = const(500)
_REST_STABLE_PA = const(20)
_OFFSET_MAX_PA = const(1500)
# Blockage ("no flow when sealed"): once the setpoint is reached, the mean
# pump duty of 1 s windows is learned (the second window, then a running
# average of the windows that look normal); _BLOCK_WINDOWS consecutive windows
# with mean pump < 1/8 of it, no venting, within _BLOCK_BAND_PA of the
# setpoint mean no gas flows: the tube is blocked or the canister full. A
# window that vents (an overshoot) restarts the learning. Needs a plant that
# leaks at least a little (a learned duty >= _BLOCK_MIN_REF_U16, 1.5 %).
_BLOCK_WINDOWS = const(4)
_BLOCK_DIV = const(8)
_BLOCK_MIN_REF_U16 = const(1000)
_BLOCK_VENT_U16 = const(300)
_BLOCK_BAND_PA = const(1000)
# The same windows: a healthy chamber leaks, so holding it takes pump; an
# overshoot is vented within a window or two. _VENTED_WINDOWS consecutive
# windows at one setpoint that vented more than they pumped mean something
# else pumps (a stuck pump held near the setpoint by the vent, the
# controller flipping between a little pump and the vent).
_VENTED_WINDOWS = const(3)
# Session time backstop beyond the program maximum (duration is checked at
# start; this catches a session that does not end).
_SESSION_GRACE_MS = const(1000)
# Overrun: non-latching, ends after this long without a missed deadline.
_OVERRUN_QUIET_MS = const(10_000)
_NEVER = const(0x3FFFFFFF)


def _samples(ms, period_ms, least=2):
    """Samples (one per control period) in ms, at least `least`."""
    n = ms // period_ms
    return n if n > least else least


class Supervisor:
    def __init__(self, board_max_pa, period_ms=5):
        from array import array

        self.period_ms = period_ms
        self._n_sensor = _samples(_SENSOR_FAULT_MS, period_ms, 1)
        self._n_stuck = _samples(_STUCK_MS, period_ms)
        self._n_rise = _samples(_RISE_SPAN_MS, period_ms)
        self._n_rest = _samples(_REST_MEAN_MS, period_ms)
        self.ceiling_pa = board_max_pa if board_max_pa < ABS_MAX_VACUUM_PA else ABS_MAX_VACUUM_PA
        self.limit_pa = self.ceiling_pa  # program ceiling within the device ceiling
        self.alarms = 0
        self.trip_pa = self.ceiling_pa
        self.leak_ms = _LEAK_MS  # service parameter leak_delay (config.py)
        self.max_hold_ms = _NEVER
        self.hold_above_pa = _NEVER
        self.max_session_ms = _NEVER
        self.host_timeout_ms = 0  # 0 = no heartbeat required
        self._ring = array("i", [0] * self._n_rise)
        self._sensor_bad = 0
        self._peak_sp = 0
        self._hold_ms = 0
        self._session_ms = 0
        self._host_ms = 0
        self._quiet_ms = 0
        self._v = 0
        self._v_fresh = False  # _v is the sample of the tick before (a rate can be taken)
        self._sp = 0
        self._reg = False
        self._pump = 0
        self._vent = FULL
        self._running = False
        self._phase = PhaseCheck(period_ms)
        self._reset_detectors()

    def _reset_detectors(self):
        self._last_pa = 0
        self._stuck_n = 0
        self._ri = 0
        self._rn = 0
        self._pump_ms = -1  # -1: pump not above 50 %
        self._pump_ref = 0
        self._pump_bad = 0
        self._pump_min = 0
        self._flat_n = 0
        self._vent_ms = -1  # -1: not (pump off and vent open)
        self._vent_ref = 0
        self._vent_sp = 0
        self._vh_ms = 0
        self._rest_sum = 0
        self._rest_n = 0
        self._rest_prev = _NEVER
        self._reached = False
        self._leak_ms = 0
        self._bk_reset(0)
        self._phase.reset()

    def _bk_reset(self, sp):
        self._bk_sp = sp
        self._bk_on = False  # setpoint reached: windows run
        self._bk_w = 0  # windows completed
        self._bk_ms = 0
        self._bk_pump = 0
        self._bk_vent = 0
        self._bk_ref = 0
        self._bk_n = 0
        self._bk_vw = 0  # consecutive windows that vented more than they pumped
        self._bk_skip = 0  # windows not judged (after a vented one)

    # ---- session lifecycle (between ticks) ------------------------------
    def session_start(self):
        self._peak_sp = 0
        self._hold_ms = 0
        self._session_ms = 0
        self._host_ms = 0
        self._reset_detectors()

    def set_program(self, program, host_timeout_ms=0):
        """Limits of the program now starting (none can come from the
        serial protocol: they are the program's compiled-in values)."""
        c = program.ceiling_pa
        self.limit_pa = c if c < self.ceiling_pa else self.ceiling_pa
        self.max_hold_ms = program.max_hold_ms
        self.hold_above_pa = program.hold_above_pa
        self.max_session_ms = program.max_session_ms
        self.host_timeout_ms = host_timeout_ms

    def phase_start(self):
        """An intermittent session starts a new on phase: the pull-down from
        the floor is not a leak, so the leak detector re-arms."""
        self._reached = False
        self._leak_ms = 0
        self._flat_n = 0
        self._bk_reset(0)

    def host_seen(self):
        self._host_ms = 0

    def overrun(self):
        """The loop missed a deadline (called between ticks)."""
        self.alarms |= A_OVERRUN
        self._quiet_ms = 0

    def trip_level(self, setpoint_pa):
        """Vacuum above which the pump is cut and the vent opened at once."""
        if setpoint_pa > self._peak_sp:
            self._peak_sp = setpoint_pa
        sp = self._peak_sp
        m = sp // _TRIP_MARGIN_DIV
        if m < _TRIP_MARGIN_MIN_PA:
            m = _TRIP_MARGIN_MIN_PA
        t = sp + m
        return t if t < self.limit_pa else self.limit_pa

    # ---- the control tick -----------------------------------------------
    def session_tick(self, running):
        """Session time and host heartbeat; running = a session is in RUN."""
        self._running = running
        if not running:
            return
        dt = self.period_ms
        self._session_ms += dt
        if self._session_ms - _SESSION_GRACE_MS > self.max_session_ms:  # no sum past small-int range
            self.alarms |= A_SESSION
        if self.host_timeout_ms:
            self._host_ms += dt
            if self._host_ms >= self.host_timeout_ms:
                self.alarms |= A_HOST

    def check(self, sensor_status, vacuum_pa, setpoint_pa, regulating, pump_u16=0, vent_u16=FULL):
        """Returns the alarm bits after this tick's checks.
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
        if self._sensor_bad >= 2 * self._n_sensor:
            self.alarms |= A_SENSOR
        self.trip_pa = self.trip_level(setpoint_pa) if regulating else self.limit_pa
        if vacuum_pa > self.trip_pa:
            self.alarms |= A_OVERVAC
        elif fresh and self._v_fresh and pump_u16 == 0 and vacuum_pa + _TRIP_LOOKAHEAD * (vacuum_pa - self._v) > self.limit_pa:
            # Rising with the pump commanded off so fast it would pass the
            # ceiling before the open vent turns it: trip now (the vent acts
            # next tick, the sensor shows it a sample late). A 60 mL cup on a
            # stuck 2.6 L/min pump gains 400 Pa a tick: tripping at the
            # ceiling left it 340 Pa above. Off for two samples, the pump is
            # what still pulls (a squeezed cup aside): `pump_on` with it.
            self.alarms |= A_OVERVAC | (A_PUMP_ON if self._pump == 0 else 0)
        if self.alarms & A_OVERRUN:
            self._quiet_ms += self.period_ms
            if self._quiet_ms >= _OVERRUN_QUIET_MS:
                self.alarms &= ~A_OVERRUN
        self._v_fresh = fresh
        if fresh:
            self._v = vacuum_pa
            self._sp = setpoint_pa
            self._reg = regulating
            self._pump = pump_u16
            self._vent = vent_u16
            self._detect()
        return self.alarms

    def _detect(self):
        v = self._v
        if v < _IMPLAUSIBLE_LOW_PA or v > _IMPLAUSIBLE_HIGH_PA:
            self.alarms |= A_SENSOR
        self._stuck_rule()
        self._rise_rule()
        self._hold_rule()
        if self._pump == 0 and self._vent > 0 and not self.alarms & (A_SENSOR | A_STUCK):
            self._vent_rule()
        else:
            self._vent_ms = -1
            self._vh_ms = 0
        if not self.alarms & STOP_MASK:
            # Pulses and short phases: judged phase by phase (phasecheck.py).
            self.alarms |= self._phase.step(self)
        if not self._reg:
            self._pump_ms = -1
            self._leak_ms = 0
            self._flat_n = 0
            self._bk_reset(0)
            return
        self._pump_rule()
        self._leak_rule()
        self._blockage_rule()

    def _stuck_rule(self):
        v = self._v
        d = v - self._last_pa
        self._last_pa = v
        if self._reg or self._pump > _STUCK_PUMP_U16:
            flat = -_STUCK_BAND_PA <= d <= _STUCK_BAND_PA
        elif self._running and (v > _STUCK_REST_PA or v < -_STUCK_REST_PA):
            flat = d == 0  # (a slow release may step 1 Pa a sample: frozen is exact)
        elif self._running:
            # a running session's vented phase near ambient, where a reading
            # at rest may be flat (clamped at zero): the count pauses, so
            # that the regulated ticks of short dots add up
            return
        else:
            self._stuck_n = 0
            return
        if flat:
            self._stuck_n += 1
            if self._stuck_n >= self._n_stuck:
                self.alarms |= A_STUCK
        else:
            self._stuck_n = 0

    def _rise_rule(self):
        # Against the lowest of the last _RISE_SPAN_MS, not the oldest: a
        # blocked 2 mL line that the controller pumps up and vents in a
        # 50 ms limit cycle would otherwise alias to no rise at all.
        r = self._ring
        n = self._n_rise
        m = r[0]
        for k in range(1, n):
            if r[k] < m:
                m = r[k]
        i = self._ri
        r[i] = self._v
        self._ri = i + 1 if i + 1 < n else 0
        if self._rn < n:
            self._rn += 1
        elif self._v - m > _RISE_MAX_PA:
            self.alarms |= A_RISE

    def _hold_rule(self):
        if self._v > self.hold_above_pa:
            self._hold_ms += self.period_ms
            if self._hold_ms > self.max_hold_ms:
                self.alarms |= A_HOLD
        else:
            self._hold_ms = 0

    def _vent_rule(self):
        """Pump commanded off, vent open (regulating, release, safe state)."""
        v = self._v
        sp = self._sp
        if self._vent_ms < 0 or sp < self._vent_sp:
            self._vent_ms = 0
            self._vent_ref = v
            self._vent_sp = sp
            self._vh_ms = 0
            self._rest_n = 0
            self._rest_sum = 0
            self._rest_prev = _NEVER
        else:
            self._vent_ms += self.period_ms
        ref = self._vent_ref
        if v > ref + _VENT_RISE_PA:
            self.alarms |= A_PUMP_ON
        if self._reg:
            if v <= sp + _VENT_NEAR_PA:
                self._vh_ms += self.period_ms
                if self._vh_ms >= _VENT_HOLD_MS:
                    self.alarms |= A_PUMP_ON
            elif self._vent_ms >= _VENT_HOLD_MS and self._vent < FULL and v > ref - _VENT_FALL_PA:
                self.alarms |= A_PUMP_ON
        elif self._vent >= FULL:
            self._rest_rule()

    def _rest_rule(self):
        v = self._v
        t = self._vent_ms
        ref = self._vent_ref
        if ref >= _VENT_MIN_PA and t >= _VENT_DECAY_MS and v > ref // 2:
            self.alarms |= A_VENT
        if t >= _VENT_VERIFY_MS and v > _VENT_RESIDUAL_PA:
            self.alarms |= A_VENT
        if t < _REST_SETTLE_MS:
            return
        self._rest_sum += v
        self._rest_n += 1
        if self._rest_n < self._n_rest:
            return
        m = self._rest_sum // self._n_rest
        p = self._rest_prev
        self._rest_prev = m
        self._rest_sum = 0
        self._rest_n = 0
        # (not when the vent rule fired: a sealed chamber behind a stuck vent is stable too)
        if p != _NEVER and -_REST_STABLE_PA <= m - p <= _REST_STABLE_PA and (m > _OFFSET_MAX_PA or m < -_OFFSET_MAX_PA) and not self.alarms & A_VENT:
            self.alarms |= A_OFFSET

    def _pump_rule(self):
        """Dead pump (vacuum falls or stays at ambient) and cannot-reach leak."""
        v = self._v
        pump = self._pump
        if not (pump > _PUMP_ON_U16 and v < self._sp):
            self._pump_ms = -1
            self._flat_n = 0
            return
        if self._pump_ms < 0:
            self._pump_ms = 0
            self._pump_ref = v
            self._pump_bad = 0
            self._pump_min = pump
            return
        self._pump_ms += self.period_ms
        if pump < self._pump_min:
            self._pump_min = pump
        if self._pump_ms < _PUMP_WINDOW_MS:
            return
        p = v - self._pump_ref
        if p < -_PUMP_DECLINE_PA or (p < _PUMP_PROGRESS_PA and v < _PUMP_LOW_PA):
            self._pump_bad += 1
            if self._pump_bad >= _PUMP_WINDOWS:
                self.alarms |= A_PUMP
        else:
            self._pump_bad = 0
        if self._pump_min > _LEAK_PUMP_U16 and p < _PUMP_PROGRESS_PA and v >= _PUMP_LOW_PA and v < self._sp - self._gap():
            self._flat_n += 1
            if self._flat_n >= _REACH_WINDOWS:
                self.alarms |= A_LEAK
        else:
            self._flat_n = 0
        self._pump_ms = 0
        self._pump_ref = v
        self._pump_min = pump

    def _gap(self):
        return leak_gap(self._sp)

    def _leak_rule(self):
        v = self._v
        sp = self._sp
        if sp >= _REACHED_MIN_SP_PA and v >= sp - _REACHED_BAND_PA:
            self._reached = True
        if self._reached and self._pump > _LEAK_PUMP_U16 and v < sp - self._gap():
            self._leak_ms += self.period_ms
            if self._leak_ms >= self.leak_ms:
                self.alarms |= A_LEAK
        else:
            self._leak_ms = 0

    def _blockage_rule(self):
        sp = self._sp
        if sp != self._bk_sp:
            self._bk_reset(sp)
        if not self._bk_on:
            if self._v >= sp - _REACHED_BAND_PA:
                self._bk_on = True
            return
        self._bk_ms += self.period_ms
        self._bk_pump += self._pump
        self._bk_vent += self._vent
        if self._bk_ms < _PUMP_WINDOW_MS:
            return
        n = self._bk_ms // self.period_ms
        mp = self._bk_pump // n
        mv = self._bk_vent // n
        self._bk_ms = 0
        self._bk_pump = 0
        self._bk_vent = 0
        self._bk_w += 1
        if mv >= _BLOCK_VENT_U16:
            # Venting an overshoot: the pump pause that follows while the
            # integral unwinds is not a blockage: the count restarts after
            # one more window. The duty learned before stays (a line that
            # blocks overshoots at once, and what its sealed side needs
            # after that is no reference); none learned yet: learn again.
            if self._bk_w > 2:  # (windows 1 and 2 learned it)
                self._bk_skip = 1
            else:
                self._bk_w = 1
            self._bk_n = 0
            if mv > mp:
                self._bk_vw += 1
                if self._bk_vw >= _VENTED_WINDOWS:
                    self.alarms |= A_PUMP_ON
            else:
                self._bk_vw = 0
            return
        self._bk_vw = 0
        if self._bk_w <= 2:
            self._bk_ref = mp  # the first window after reaching is the transient
            return
        if self._bk_skip:
            self._bk_skip -= 1  # the window after a vented one: the unwinding
            return
        d = self._v - sp
        r = self._bk_ref
        if r >= _BLOCK_MIN_REF_U16 and mp * _BLOCK_DIV < r and -_BLOCK_BAND_PA <= d <= _BLOCK_BAND_PA:
            self._bk_n += 1
            if self._bk_n >= _BLOCK_WINDOWS:
                self.alarms |= A_BLOCKAGE
        else:
            self._bk_n = 0
            self._bk_ref = (3 * r + mp) // 4  # follows a plant that settles slowly

    def clear(self):
        self.alarms = 0
        self._sensor_bad = 0
        self._peak_sp = 0
        self._hold_ms = 0
        self._host_ms = 0
        self._reset_detectors()
