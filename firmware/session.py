# Therapy session: runs the chosen program, times it, pauses and resumes it,
# and releases to ambient at the end. Each tick the program's phase logic
# names a level (Pa, or VENTED = pump off, vent open); the gentle start scales
# it; the controller is given a new target only when the level changes.
# step() runs in the heap-locked control tick: integers only, small frames.
# report() runs between ticks and turns what step() counted into events and
# therapy-log records.
from micropython import const

import programs as pg
from leakrate import LeakEstimator
from therapylog import TherapyLog

IDLE = const(0)
RUN = const(1)
RELEASE = const(2)
FAULT = const(3)
PAUSE = const(4)
STATE_NAMES = ("idle", "run", "release", "fault", "pause")

# Phases of a running session, by program kind:
# continuous, gradient, vacuum_laser HOLD; intermittent ON/OFF; dynamic RISE/FALL; pulse ON/OFF;
# dotted BUILD -> HOLD -> VENT -> WAIT (for the operator) -> BUILD ...
PH_HOLD = const(0)
PH_ON = const(1)
PH_OFF = const(2)
PH_RISE = const(3)
PH_FALL = const(4)
PH_BUILD = const(5)
PH_VENT = const(6)
PH_WAIT = const(7)
PHASE_NAMES = ("hold", "on", "off", "rise", "fall", "build", "vent", "wait")

# Why a session ended.
END_DONE = const(0)
END_STOP = const(1)
END_PAUSE = const(2)
END_ALARM = const(3)
END_CTRL_C = const(4)  # a Ctrl-C on the serial line during the session
END_NAMES = ("completed", "stopped", "pause_limit", "alarm", "ctrl_c")

VENTED = const(-1)  # level: pump off, vent fully open
_RELEASED_PA = const(500)  # vacuum considered back at ambient
_RELEASE_TIMEOUT_MS = const(15_000)
_VENT_TIMEOUT_MS = const(3_000)  # dotted: go on waiting even if not vented (the supervisor alarms)
_BUILD_LIMIT_MS = const(5_000)  # dotted: start the hold even if the target is not reached
PAUSE_LIMIT_MS = const(600_000)  # a pause longer than 10 min ends the session
INACTIVE_REMIND_MS = const(900_000)  # wound therapy off 15 min: remind (typical NPWT delay)
_DAY_MS = const(86_400_000)
# At target: within +-10 mmHg (NPWT bench acceptance, domain.md) or 5 %.
_BAND_MIN_PA = const(1_333)
_PULSE_FIRST_REPORT = const(3)  # cycles before the plant's achieved swing is reported
_PULSE_REPORT_EVERY = const(30)
_NO_MIN = const(1 << 29)


def _lerp(a, b, t, span):
    """a + (b - a) * t / span, 0 <= t <= span, |b - a| < 2**17, in 1/8192
    steps: every product stays below 2**30 (small ints), spans up to days."""
    while span > 131_071:
        span >>= 1
        t >>= 1
    return a + ((b - a) * ((t << 13) // span) >> 13)


def _band(level_pa):
    b = level_pa // 20
    return b if b > _BAND_MIN_PA else _BAND_MIN_PA


class Session:
    def __init__(self, controller, supervisor, pump_free_ml_min=0, pump_max_vacuum_pa=0, log=None):
        self._ctl = controller
        self._sup = supervisor
        self.log = log if log is not None else TherapyLog()  # RAM only without a store
        self.alarms_seen = 0  # every alarm raised during the session (bits)
        self.leak = LeakEstimator(pump_free_ml_min, pump_max_vacuum_pa)
        self.state = IDLE
        self.program = None
        self.kind = pg.CONTINUOUS
        self.wound = False
        self.values = None
        self.target_pa = 0
        self.floor_pa = 0
        self.ramp_ms = 0
        self.duration_ms = 0
        self.on_ms = 0  # intermittent on / pulse suction half
        self.off_ms = 0  # intermittent off / pulse release half
        self.slew_ms = 0
        self.rise_ms = 0
        self.fall_ms = 0
        self.hold_ms = 0
        self.wait_ms = 0
        self.freq_mhz = 0
        self.step_pa = 0  # gradient: each next channel this much lower
        self.phase = PH_HOLD
        self._release_ms = 0
        self.seal_duty = 0
        self._restart()
        self.therapy_today_ms = 0  # wound therapy run time in this day of uptime
        self.therapy_yesterday_ms = 0
        self._day = 0
        # Counters step() raises and report() turns into events.
        self.ended = 0
        self.pulse_reports = 0
        self.seal_reports = 0
        self.waits = 0
        self._seen = [0, 0, 0, 0]
        self._inactive_since = -1
        self._inactive_reminded = 0

    # ---- commands (outside the tick) ---------------------------------------
    def start(self, program, values, vacuum_pa, now_ms=0):
        g = values.get
        self.program = program
        self.kind = program.kind
        self.wound = program.wound
        self.values = values
        self.target_pa = values["target"]
        self.floor_pa = g("floor", 0)
        self.ramp_ms = g("ramp", 0)
        self.duration_ms = values["duration"]
        self.on_ms = g("on", 0)
        self.off_ms = g("off", 0)
        self.slew_ms = g("slew", 0)
        self.rise_ms = g("rise", 0)
        self.fall_ms = g("fall", 0)
        self.hold_ms = g("hold", 0)
        self.wait_ms = g("wait", 0)
        self.freq_mhz = g("freq", 0)
        self.step_pa = g("step", 0)
        if self.kind == pg.PULSE:
            period = 1_000_000 // self.freq_mhz
            self.on_ms = period // 2
            self.off_ms = period - self.on_ms
        self.phase = (PH_HOLD, PH_ON, PH_RISE, PH_BUILD, PH_ON, PH_HOLD, PH_HOLD)[self.kind]
        self._restart()
        self.leak.reset()
        self.alarms_seen = 0
        params = ",".join("%s:%d" % (p.name, values[p.name]) for p in program.params)
        self.log.begin(now_ms, program.name, params)
        self._sup.session_start()
        self.state = RUN

    def _restart(self):
        # What a session starts from (and a new Session holds).
        self.elapsed_ms = 0
        self.phase_ms = 0  # time spent in the current phase
        self.pause_ms = 0
        self.delivered_ms = 0  # time within the band around the level
        self.end_reason = END_DONE
        self._cmd_pa = VENTED  # level last given to the controller
        self._slew_next = 0
        self._next = False  # dotted: the operator asked for the next dot
        # Pulse: extremes of the running cycle and the last complete one.
        self.cycles = 0
        self._cyc_max = -1
        self._cyc_min = _NO_MIN
        self._cyc_cmd = 0
        self.peak_pa = self.trough_pa = self.swing_pa = self.wanted_peak_pa = 0
        self.dots = 0
        self.leak_ml_min = -1
        self.seal_ml_min = -1
        self._seal_done = False

    def set_target(self, target_pa, vacuum_pa):
        """The next tick gives the controller the new level (at once)."""
        self.target_pa = target_pa

    def stop(self, reason=END_STOP):
        if self.state == RUN or self.state == PAUSE:
            self._end(reason)

    def pause(self):
        """Vent and freeze the session timer. False if not running."""
        if self.state != RUN:
            return False
        self._ctl.off()
        self._cmd_pa = VENTED
        self.leak.reset()
        self.pause_ms = 0
        self.state = PAUSE
        return True

    def resume(self):
        if self.state != PAUSE:
            return False
        if self.kind == pg.DOTTED and self.phase == PH_HOLD:
            self._enter(PH_BUILD)  # the dot was vented: build it again
        self._sup.phase_start()  # a fresh pull-down is not a leak
        self.state = RUN
        return True

    def next_dot(self):
        """Dotted: start the next dot once the cup is vented. False if the
        session is not a dotted one between dots."""
        if self.state != RUN or self.kind != pg.DOTTED or (self.phase != PH_VENT and self.phase != PH_WAIT):
            return False
        self._next = True
        return True

    def fault(self):
        self._ctl.off()
        self._cmd_pa = VENTED
        self.state = FAULT

    def clear_fault(self):
        if self.state == FAULT:
            self.state = IDLE

    def remaining_ms(self):
        if self.state != RUN and self.state != PAUSE:
            return 0
        r = self.duration_ms - self.elapsed_ms
        return r if r > 0 else 0

    def active(self):
        return self.state == RUN or self.state == PAUSE

    def running(self):
        # (for the control layer: autotune asks without importing this module)
        return self.state == RUN

    def _end(self, reason):
        self.end_reason = reason
        self._ctl.off()
        self._cmd_pa = VENTED
        self._release_ms = 0
        self.state = RELEASE

    def _enter(self, phase):
        self.phase = phase
        self.phase_ms = 0

    # ---- the control tick (heap-locked) --------------------------------------
    def step(self, dt_ms, vacuum_pa):
        s = self.state
        if s == RUN:
            self._run(dt_ms, vacuum_pa)
        elif s == PAUSE:
            self.pause_ms += dt_ms
            if self.pause_ms >= PAUSE_LIMIT_MS:
                self._end(END_PAUSE)
        elif s == RELEASE:
            self._release_ms += dt_ms
            if vacuum_pa < _RELEASED_PA or self._release_ms >= _RELEASE_TIMEOUT_MS:
                self.state = IDLE
                self.ended += 1

    def _run(self, dt, v):
        self.elapsed_ms += dt
        if self.wound:
            self.therapy_today_ms += dt
        if self.elapsed_ms >= self.duration_ms:
            self._end(END_DONE)
            return
        self.phase_ms += dt
        k = self.kind
        if k == pg.CONTINUOUS or k == pg.GRADIENT or k == pg.VACUUM_LASER:
            lvl = self.target_pa
        elif k == pg.INTERMITTENT:
            lvl = self._intermittent()
        elif k == pg.DYNAMIC:
            lvl = self._dynamic()
        elif k == pg.DOTTED:
            lvl = self._dotted(v)
        else:
            lvl = self._pulse(v)
        self._drive(lvl, v)
        self._account(dt, v)

    def _low(self):
        return self.floor_pa if self.floor_pa > 0 else VENTED

    def _begin_on(self, carry):
        self.phase = PH_ON
        self.phase_ms = carry
        self._slew_next = self.slew_ms
        self._sup.phase_start()  # a fresh pull-down, as at session start

    def _intermittent(self):
        if self.phase == PH_ON:
            if self.phase_ms < self.on_ms:
                return self.target_pa
            self.phase = PH_OFF
            self.phase_ms -= self.on_ms
            self._slew_next = self.slew_ms
            return self._low()
        if self.phase_ms < self.off_ms:
            return self._low()
        self._begin_on(self.phase_ms - self.off_ms)
        return self.target_pa

    def _dynamic(self):
        if self.phase == PH_RISE:
            if self.phase_ms < self.rise_ms:
                return _lerp(self.floor_pa, self.target_pa, self.phase_ms, self.rise_ms)
            self.phase = PH_FALL
            self.phase_ms -= self.rise_ms
        if self.phase_ms < self.fall_ms:
            return _lerp(self.target_pa, self.floor_pa, self.phase_ms, self.fall_ms)
        self.phase = PH_RISE
        self.phase_ms -= self.fall_ms
        return self.floor_pa

    def _dotted(self, v):
        ph = self.phase
        if ph == PH_BUILD:
            c = self._cmd_pa
            if self.phase_ms >= _BUILD_LIMIT_MS or (c > 0 and v >= c - _band(c)):
                self._enter(PH_HOLD)
            return self.target_pa
        if ph == PH_HOLD:
            if self.phase_ms < self.hold_ms:
                return self.target_pa
            self.dots += 1
            self._enter(PH_VENT)
            return VENTED
        if ph == PH_VENT:
            if v < _RELEASED_PA or self.phase_ms >= _VENT_TIMEOUT_MS:
                self._enter(PH_WAIT)
                if self.wait_ms == 0 and not self._next:
                    self.waits += 1  # report() prompts the operator
            return VENTED
        if self._next or (self.wait_ms > 0 and self.phase_ms >= self.wait_ms):
            self._next = False
            self._enter(PH_BUILD)
            self._sup.phase_start()
            return self.target_pa
        return VENTED

    def _pulse(self, v):
        if v > self._cyc_max:
            self._cyc_max = v
        if self._cmd_pa > self._cyc_cmd:
            self._cyc_cmd = self._cmd_pa  # wanted peak (lower during the gentle start)
        if v < self._cyc_min:
            self._cyc_min = v
        if self.phase == PH_ON:
            if self.phase_ms < self.on_ms:
                return self.target_pa
            self.phase = PH_OFF
            self.phase_ms -= self.on_ms
            return self._low()
        if self.phase_ms < self.off_ms:
            return self._low()
        self._cycle_done()
        self._begin_on(self.phase_ms - self.off_ms)
        return self.target_pa

    def _cycle_done(self):
        """Pulse: the extremes the plant really reached in this cycle."""
        self.cycles += 1
        self.peak_pa = self._cyc_max
        self.trough_pa = self._cyc_min
        self.swing_pa = self._cyc_max - self._cyc_min
        self.wanted_peak_pa = self._cyc_cmd
        self._cyc_cmd = 0
        self._cyc_max = -1
        self._cyc_min = _NO_MIN
        n = self.cycles
        if n == _PULSE_FIRST_REPORT or n % _PULSE_REPORT_EVERY == 0:
            self.pulse_reports += 1

    def channel_level(self, i):
        """Level of channel i (0 = the first) of a multi-channel board, or
        VENTED: the first channel's commanded level (gentle start included)
        scaled to this channel's share; every channel follows the program's
        phases. Gradient: each channel step_pa lower than the one before."""
        c = self._cmd_pa
        if c < 0 or self.state != RUN:
            return VENTED
        t = self.target_pa
        full = t - i * self.step_pa
        if c >= t or t <= 0:
            return full
        return full * ((c << 13) // t) >> 13  # full < 2**17: below 2**30

    def _drive(self, lvl, v):
        if lvl < 0:
            if self._cmd_pa >= 0:
                self._ctl.off()
                self._cmd_pa = VENTED
            return
        if self.elapsed_ms < self.ramp_ms:
            lvl = _lerp(0, lvl, self.elapsed_ms, self.ramp_ms)
        if lvl != self._cmd_pa:
            self._ctl.set_target(lvl, self._slew_next, v)
            self._slew_next = 0
            self._cmd_pa = lvl

    def _account(self, dt, v):
        c = self._cmd_pa
        steady = False
        if c > 0:
            b = _band(c)
            if c - b <= v <= c + b:
                self.delivered_ms += dt
                steady = True  # the estimator waits until the vacuum has settled
        est = self.leak
        est.update(steady, self._ctl.pump_u16, self._ctl.vent_u16, v, dt)
        if est.valid():
            self.leak_ml_min = est.ml_min()
            if self.wound and not self._seal_done:
                self._seal_done = True
                self.seal_ml_min = self.leak_ml_min
                self.seal_duty = est.duty_u16
                self.seal_reports += 1

    # ---- between ticks ---------------------------------------------------------
    def put_tel(self, t):
        """Append this session's telemetry fields to TextBuf t (no allocation)."""
        t.put(b" remaining_ms=")
        t.put_int(self.remaining_ms())
        t.put(b" phase=")
        if self.active():
            t.put_field(_PHASES, self.phase)
        else:
            t.put(b"none")
        t.put(b" leak_ml_min=")
        t.put_int(self.leak_ml_min)
        t.put(b" swing_pa=")
        t.put_int(self.swing_pa)

    def report(self, emit, uptime_ms, vacuum_pa, alarm_text):
        """Events and log records for what step() counted (allocates).
        alarm_text(bits) names alarm bits."""
        if self.log.is_open():
            self.alarms_seen |= self._sup.alarms
        seen = self._seen
        if self.seal_reports != seen[0]:
            seen[0] = self.seal_reports
            verdict = "ok" if self.seal_duty < 52_428 else "poor"  # < 80 % pump: headroom to hold
            emit("event seal_check leak_ml_min=%d pump_duty=%d verdict=%s" % (self.seal_ml_min, self.seal_duty, verdict))
        if self.pulse_reports != seen[1]:
            seen[1] = self.pulse_reports
            emit(self.pulse_text("event pulse_achieved "))
        if self.waits != seen[2]:
            seen[2] = self.waits
            emit("event dot_done dots=%d vacuum_pa=%d (move the cup, then 'next')" % (self.dots, vacuum_pa))
        if self.ended != seen[3]:
            seen[3] = self.ended
            # Logged first: once the host sees session_end, the record is on flash.
            self.log.finish(uptime_ms, self.elapsed_ms, self.delivered_ms, END_NAMES[self.end_reason], alarm_text(self.alarms_seen))
            emit("event session_end vacuum_pa=%d reason=%s program=%s delivered_ms=%d" % (vacuum_pa, END_NAMES[self.end_reason], self.program.name, self.delivered_ms))
        if self.state == FAULT and self.log.is_open():
            self.log.finish(uptime_ms, self.elapsed_ms, self.delivered_ms, END_NAMES[END_ALARM], alarm_text(self.alarms_seen))
        day = uptime_ms // _DAY_MS
        if day != self._day:
            self._day = day
            self.therapy_yesterday_ms = self.therapy_today_ms
            self.therapy_today_ms = 0
        self._remind_inactive(emit, uptime_ms)

    def _remind_inactive(self, emit, uptime_ms):
        """Wound therapy stopped or paused while powered: remind every 15 min."""
        if self.program is None or not self.wound or self.state == RUN:
            self._inactive_since = -1
            return
        if self._inactive_since < 0:
            self._inactive_since = uptime_ms
            self._inactive_reminded = 0
            return
        off = uptime_ms - self._inactive_since
        if off >= (self._inactive_reminded + 1) * INACTIVE_REMIND_MS:
            self._inactive_reminded += 1
            emit("event therapy_inactive off_ms=%d program=%s" % (off, self.program.name))

    def status_text(self):
        t = "phase=%s elapsed_ms=%d pause_ms=%d delivered_ms=%d leak_ml_min=%d seal_ml_min=%d therapy_today_ms=%d therapy_yesterday_ms=%d dots=%d" % (
            PHASE_NAMES[self.phase] if self.active() else "none", self.elapsed_ms, self.pause_ms, self.delivered_ms,
            self.leak_ml_min, self.seal_ml_min, self.therapy_today_ms, self.therapy_yesterday_ms, self.dots)
        if self.kind == pg.PULSE and self.program is not None:
            t = self.pulse_text(t + " ")
        return t

    def pulse_text(self, prefix):
        depth = self.wanted_peak_pa - self.floor_pa
        pct = self.swing_pa * 100 // depth if depth > 0 else 0
        return "%scycles=%d freq_mhz=%d wanted_swing_pa=%d swing_pa=%d peak_pa=%d trough_pa=%d depth_pct=%d" % (
            prefix, self.cycles, self.freq_mhz, depth, self.swing_pa, self.peak_pa, self.trough_pa, pct)


_PHASES = ("".join(n + "," for n in PHASE_NAMES)).encode()  # for TextBuf.put_field: one object, not one per name
