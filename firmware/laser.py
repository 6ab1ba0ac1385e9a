# The laser applicator: rollers and the laser interlock, run in the control
# tick (imported by channels.py only on a board with a roller motor or a
# laser source, board file names in auxout.py).
#
# The laser emits only while every condition holds, judged afresh in each
# tick right after the pressure sample and the supervisor (app.Device.tick),
# before the session, the controller or any output moves:
#   a vacuum_laser session is running (not idle, paused, releasing, faulted);
#   no alarm of any priority;
#   the applicator's contact switch is closed (where the board has one);
#   a fresh pressure sample shows the vacuum at or above the contact
#   threshold, and it has held there, steady, for the proving time;
#   the rollers turn (tachometer pulses where the board has one);
#   the session's laser time is not used up.
# A condition lost turns the laser off in that tick; the proof of contact
# restarts whenever the vacuum, the switch, the sample or an alarm is lost.
# Watched here too: emission sensed while commanded off (laser_on, high),
# none while commanded on (laser), rollers driven but stopped (roller).
# Why these figures: docs/safety.md (H21-H23) and docs/programs.md.
# Allocation-free with small frames (see safety.py): inputs of the tick are
# kept in attributes and each rule is a short method.
from micropython import const

from alarms import A_LASER, A_LASER_ON, A_ROLLER
from outputs import FULL

# Why the laser is off (status, the `laser` event); ON when it emits.
ON = const(0)
OFF_IDLE = const(1)  # no vacuum_laser session running (idle, pause, release, fault)
OFF_ALARM = const(2)  # an alarm of any priority
OFF_SWITCH = const(3)  # the applicator's contact switch is open
OFF_SENSOR = const(4)  # no fresh pressure sample in this tick
OFF_VACUUM = const(5)  # vacuum below the contact threshold
OFF_RELEASE = const(6)  # contact lost by vacuum while the switch read closed: lift the applicator once
OFF_PROVING = const(7)  # contact not yet steady for the proving time
OFF_ROLLERS = const(8)  # the rollers are not turning
OFF_LIMIT = const(9)  # the session's laser time is used up
OFF_TEST = const(10)  # the periodic stuck-on test (not reported)
REASONS = ("on", "idle", "alarm", "switch", "sensor", "vacuum", "release_switch", "proving", "rollers", "limit", "test")

_COUNT_MASK = const(0x3FFFFFFF)
_BIG = const(0x1FFFFFFF)  # counters stop here (small int)
# Rollers: after _SPINUP_MS of drive the tachometer must show a pulse at
# least every _QUIET_PERIODS expected periods (never less than
# _QUIET_MIN_MS), else they are not turning (laser off); no pulse for
# _STALL_MS is a stall (alarm roller). Without a tachometer: turning after
# the spin-up.
_SPINUP_MS = const(300)
_QUIET_PERIODS = const(4)
_QUIET_MIN_MS = const(50)
_STALL_MS = const(500)
_SPEED_WINDOW_MS = const(250)  # roller_hz is measured over this window
# Emission monitor: lit for _LIT_TICKS consecutive ticks after a command
# off = stuck on (a healthy driver is dark within a millisecond); dark for
# _DARK_TICKS ticks after a command on = source or monitor failed.
_LIT_TICKS = const(2)
_DARK_TICKS = const(4)
# Stuck-on test while emitting: every _TEST_EVERY_MS of emission the laser is
# commanded off for _TEST_TICKS ticks (2 % of the time at 100 Hz), so a
# driver that no longer obeys is found within about a second, not only at
# the next lift.
_TEST_EVERY_MS = const(1000)
_TEST_TICKS = const(2)
# Proof of contact: the vacuum stays within max(_PROVE_BAND_MIN_PA, target /
# _PROVE_BAND_DIV) of itself for the proving time (a seal that still moves is
# not proven).
_PROVE_BAND_MIN_PA = const(2000)
_PROVE_BAND_DIV = const(5)
# The contact threshold at least max(_CONTACT_GAP_MIN_PA, target /
# _CONTACT_GAP_DIV) below the target (checked at start).
_CONTACT_GAP_MIN_PA = const(2000)
_CONTACT_GAP_DIV = const(5)


class Applicator:
    def __init__(self, aux, period_ms):
        self.aux = aux
        self.period_ms = period_ms
        self.active = False  # the running session is a vacuum_laser program
        self.contact_pa = _BIG
        self.prove_ms = _BIG
        self.power_u16 = 0
        self.speed_u16 = 0
        self.speed_pct = 0
        self.laser_max_ms = 0
        self._band = _PROVE_BAND_MIN_PA
        self._quiet_limit = _STALL_MS
        self.reason = OFF_IDLE  # why the laser is off now (ON: it emits)
        self.changes = 0  # switches on/off, turned into events between ticks
        self._reported = 0
        self.laser_ms = 0
        self.roller_hz = 0
        self.turning = False
        self._reset()

    def _reset(self):
        self._v = 0
        self._fresh = False
        self._alarms = 0
        self._run = False
        self._proved = 0
        self._vmin = 0
        self._vmax = 0
        self._release = False
        self._lit = 0
        self._dark = 0
        self._on_ms = 0
        self._off_ticks = 0
        self._blank = 0
        self._spin_ms = 0
        self._quiet_ms = 0
        self._seen = self.aux.pulses
        self._win_ms = 0
        self._win_n = 0

    # ---- between ticks -----------------------------------------------------
    def refusal(self, name, values, alarm_text, alarms):
        """Why program `name` cannot start with these values on this board,
        or None."""
        aux = self.aux
        if not aux.has_rollers:
            return "%s needs a roller motor (ROLLER_PIN in the board definition); this board has only a laser" % name
        if not aux.has_laser:
            return "%s needs a laser source (LASER_EN_PIN in the board definition); this board has only rollers" % name
        if values["power"] != 100 and not aux.has_power:
            return "this board's laser has no power control (no LASER_PWM_PIN): power must be 100%%, got %d%%" % values["power"]
        # The contact threshold sits clearly below the held vacuum, so that a
        # sliding applicator's regulation never reads as a lift.
        target = values["target"]
        gap = target // _CONTACT_GAP_DIV
        if gap < _CONTACT_GAP_MIN_PA:
            gap = _CONTACT_GAP_MIN_PA
        if values["contact"] > target - gap:
            return "contact threshold %dPa must be at least %dPa below target %dPa (max(2kPa, 20%%)): a sliding applicator's vacuum moves around its target" % (
                values["contact"], gap, target)
        if alarms:
            return "%s emits only with no alarm active (now: %s): 'clear' first" % (name, alarm_text)
        return None

    def start(self, program, values):
        """A session starts (any program): only a vacuum_laser one arms the
        laser and turns the rollers."""
        import programs

        self.active = program.kind == programs.VACUUM_LASER
        self.laser_ms = 0
        self.roller_hz = 0
        self.reason = OFF_IDLE
        self._reset()
        if not self.active:
            return
        self.contact_pa = values["contact"]
        self.prove_ms = values["prove"]
        self.power_u16 = values["power"] * FULL // 100
        self.speed_pct = values["speed"]
        self.speed_u16 = values["speed"] * FULL // 100
        self.laser_max_ms = values["laser_time"]
        b = values["target"] // _PROVE_BAND_DIV
        self._band = b if b > _PROVE_BAND_MIN_PA else _PROVE_BAND_MIN_PA
        hz = self.aux.tach_hz * self.speed_pct  # expected pulses per 100 s
        q = _QUIET_PERIODS * 100_000 // hz if hz else _STALL_MS
        self._quiet_limit = q if q > _QUIET_MIN_MS else _QUIET_MIN_MS

    def off(self):
        """Laser off now (stop, pause: between ticks, before the next tick)."""
        self.aux.laser_off()

    def clear(self):
        self._lit = 0
        self._dark = 0

    def report(self, emit, uptime_ms):
        if self.changes != self._reported:
            self._reported = self.changes
            r = self.reason
            emit("event laser %s reason=%s laser_ms=%d t_ms=%d" % ("on" if r == ON else "off", REASONS[r], self.laser_ms, uptime_ms))

    def status_text(self):
        aux = self.aux
        return " laser=%s laser_reason=%s laser_ms=%d laser_time_ms=%d roller_pct=%d roller_hz=%d contact=%s emission=%s" % (
            "on" if aux.laser_u16 else "off", REASONS[self.reason], self.laser_ms, self.laser_max_ms if self.active else 0,
            (aux.roller_u16 * 100 + FULL // 2) // FULL, self.roller_hz,
            "none" if not aux.has_switch else "closed" if aux.switch_closed() else "open",
            "unknown" if not aux.has_sense else "yes" if aux.emitting() else "no")

    def put_tel(self, t):
        """laser (1 emitting as commanded), roller_hz, contact (1 closed, 0
        open, -1 no switch): no allocation."""
        aux = self.aux
        t.put(b" laser=")
        t.put_int(1 if aux.laser_u16 else 0)
        t.put(b" roller_hz=")
        t.put_int(self.roller_hz)
        t.put(b" contact=")
        t.put_int(-1 if not aux.has_switch else 1 if aux.switch_closed() else 0)

    # ---- the control tick ------------------------------------------------
    def gate(self, vacuum_pa, fresh, alarms, running):
        """Judge every condition and switch the laser, rollers and supply.
        running: the session is in RUN. Returns the alarm bits raised here;
        a new alarm already keeps the laser off in this tick."""
        self._v = vacuum_pa
        self._fresh = fresh
        self._run = running and self.active
        a = self._watch_emission() | self._watch_rollers()
        self._alarms = alarms | a
        self._drive()
        return a

    def _drive(self):
        aux = self.aux
        run = self._run
        if run != aux.armed:
            aux.arm(run)
        if aux.has_rollers:
            aux.set_roller(self.speed_u16 if run else 0)
        r = self._reason()
        if r == ON:
            aux.laser_on(self.power_u16)
            self.laser_ms += self.period_ms
            if self._off_ticks >= _TEST_TICKS:
                self._on_ms = 0  # an off period as long as the test is a test
            self._off_ticks = 0
            self._on_ms += self.period_ms
        else:
            aux.laser_off()
            if self._off_ticks < _BIG:
                self._off_ticks += 1
        if r != self.reason and r != OFF_TEST:
            # An event for each switch on or off, and for the reasons the
            # operator must act on; status always names the current one.
            if r == ON or self.reason == ON or r == OFF_RELEASE or r == OFF_LIMIT:
                self.changes += 1
            self.reason = r

    def _reason(self):
        if not self._run:
            self._proved = 0
            return OFF_IDLE
        if self._alarms:
            self._proved = 0
            return OFF_ALARM
        if not self.aux.switch_closed():
            self._proved = 0
            self._release = False  # the switch opens: it works
            return OFF_SWITCH
        if not self._fresh:
            self._proved = 0
            return OFF_SENSOR
        if self._v < self.contact_pa:
            return self._lost()
        if self._release:
            return OFF_RELEASE
        if not self._prove():
            return OFF_PROVING
        if not self.turning:
            return OFF_ROLLERS
        if self.laser_ms >= self.laser_max_ms:
            return OFF_LIMIT
        return self._test()

    def _lost(self):
        # Proven contact lost by vacuum while the switch still reads closed:
        # a lift with a switch that failed closed, or a seal lost on the skin.
        # Either way the switch must be seen open once before the laser may
        # come back: a switch stuck closed shows itself at the first lift.
        if self._proved >= self.prove_ms and self.aux.has_switch:
            self._release = True
        self._proved = 0
        return OFF_VACUUM

    def _prove(self):
        if self._proved >= self.prove_ms:
            return True  # proven; holds while every condition holds
        v = self._v
        if self._proved == 0:
            self._vmin = v
            self._vmax = v
        if v < self._vmin:
            self._vmin = v
        if v > self._vmax:
            self._vmax = v
        if self._vmax - self._vmin > self._band:
            self._vmin = v  # still moving: the proving time starts again
            self._vmax = v
            self._proved = 0
        self._proved += self.period_ms
        return self._proved >= self.prove_ms

    def _test(self):
        if not self.aux.has_sense:
            return ON
        if self._blank:
            self._blank -= 1
            return OFF_TEST
        if self._on_ms >= _TEST_EVERY_MS:
            self._on_ms = 0
            self._blank = _TEST_TICKS - 1
            return OFF_TEST
        return ON

    def _watch_emission(self):
        """The monitor against what was commanded in the last tick."""
        aux = self.aux
        if not aux.has_sense:
            return 0
        lit = aux.emitting()
        if aux.laser_u16:
            self._lit = 0
            if lit:
                self._dark = 0
                return 0
            self._dark += 1
            return A_LASER if self._dark >= _DARK_TICKS else 0
        self._dark = 0
        if not lit:
            self._lit = 0
            return 0
        self._lit += 1
        return A_LASER_ON if self._lit >= _LIT_TICKS else 0

    def _watch_rollers(self):
        if not self._run:
            self._spin_ms = 0
            self._quiet_ms = 0
            self.turning = False
            self.roller_hz = 0
            return 0
        dt = self.period_ms
        if self._spin_ms < _BIG:
            self._spin_ms += dt
        up = self._spin_ms >= _SPINUP_MS
        if not self.aux.tach_hz:
            self.turning = up
            return 0
        self._count_pulses()
        self.turning = up and self._quiet_ms < self._quiet_limit
        return A_ROLLER if up and self._quiet_ms >= _STALL_MS else 0

    def _count_pulses(self):
        p = self.aux.pulses
        n = (p - self._seen) & _COUNT_MASK
        self._seen = p
        if n:
            self._quiet_ms = 0
        elif self._quiet_ms < _BIG:
            self._quiet_ms += self.period_ms
        self._win_n += n
        self._win_ms += self.period_ms
        if self._win_ms >= _SPEED_WINDOW_MS:
            self.roller_hz = self._win_n * 1000 // self._win_ms
            self._win_n = 0
            self._win_ms = 0
