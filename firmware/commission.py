# Commissioning (docs/commissioning.md): measures the sensor, pump and vent
# really fitted, against a rigid chamber of known volume on the device's port.
# Imported by the 'commission' command only; a device never commissioned does
# not hold this code. step() runs in the heap-locked control tick (integers,
# attributes only, small methods: a function with many locals allocates its
# frame); service() between ticks hands a finished run to commission_result.
#
# Stages, all inside the device's hard limits (the supervisor's trip level and
# every alarm apply as in a session; any alarm, 'stop', 'commission abort' or
# the time limit ends the run in the safe state):
#   zero   pump off, vent open: the sensor's zero and noise;
#   pump   pump full, vent shut: the pull-down's crossing times of 16 vacuum
#          levels up to 90 % of the device's ceiling (or until the pump
#          stalls): flow = V dv/dt / (p_amb - v) between levels (isothermal);
#   leak   all shut at the top: the chamber's own leak (a check on the seal);
#   vent   down to half the top at full vent, 20 releases at duties
#          5 %..100 % (the drop rate between 95 % and 85 % of the start,
#          against the full opening), then a last full release down to the
#          first level. The two full-vent descents' crossing times of the
#          levels give the vent's flow at full opening against the vacuum
#          (Q = V dv/dt / p_amb, inflow at ambient conditions, isothermal).
from array import array

from micropython import const

from outputs import FULL

_ZERO = const(0)
_PUMP = const(1)
_LEAK = const(2)
_DOWN = const(3)
_UP = const(4)
_SETTLE = const(5)
_RELEASE = const(6)
_DRAIN = const(7)
_DONE = const(8)
_ABORT = const(9)
STAGE_NAMES = ("zero", "pump", "leak", "vent", "vent", "vent", "vent", "vent", "done", "aborted")

LEVELS = const(16)  # pull-down levels: top * k / LEVELS
DUTIES = const(20)  # vent duties: FULL * (j + 1) / DUTIES
_ZERO_SETTLE_MS = const(1000)
_ZERO_N = const(64)
_PUMP_TIMEOUT_MS = const(240_000)
_STALL_MIN_MS = const(2000)
_LEAK_SETTLE_MS = const(300)
_LEAK_MS = const(2000)
_UP_TIMEOUT_MS = const(30_000)
_SETTLE_MS = const(200)
_RELEASE_MS = const(1000)
_DRAIN_MS = const(15_000)  # the last full release, down to the first level
TOTAL_MS = const(360_000)  # the whole run, whatever the chamber
TOP_PERMILLE = const(900)  # of the device's ceiling


class Limits:
    """The supervisor's program limits during commissioning: the device's
    own ceiling, no hold limit (the vacuum is held for seconds only)."""
    ceiling_pa = 1_000_000  # within the device ceiling (Supervisor.set_program)
    max_hold_ms = TOTAL_MS + 60_000
    hold_above_pa = 0
    max_session_ms = TOTAL_MS + 60_000


class Commissioner:
    def __init__(self, volume_ml, period_ms, ceiling_pa, ambient_pa):
        self.volume_ml = volume_ml
        self.period_ms = period_ms
        self.period_us = period_ms * 1000
        self.ambient_pa = ambient_pa
        self.top_pa = ceiling_pa * TOP_PERMILLE // 1000
        self.step_pa = self.top_pa // LEVELS
        self.t_us = array("i", [-1] * (LEVELS + 1))  # crossing time of each level
        self.vs = array("i", [0] * DUTIES)  # release: settled start vacuum
        self.ta = array("i", [-1] * DUTIES)  # crossing of 95 % of the start
        self.tb = array("i", [-1] * DUTIES)  # crossing of 85 %
        self.te = array("i", [0] * DUTIES)  # end of the release (us)
        self.ve = array("i", [0] * DUTIES)  # vacuum at its end
        # Full-vent descents: crossing time (us since the run's start) of each
        # level on the way down, and which descent crossed it (1: from the top
        # to the vent test's start, 2: the last release; 0: not crossed).
        self.vd_us = array("i", [-1] * (LEVELS + 1))
        self.vd_s = bytearray(LEVELS + 1)
        self.kd = 0  # the next level a descent crosses
        self.stage = _ZERO
        self.active = True
        self.reason = ""
        self.staged = None  # commission_result.Result after 'done'
        self.last = "running"
        self.pump_u16 = 0
        self.vent_u16 = FULL
        self.ms = 0  # in this stage
        self.total_ms = 0
        self.prev = 0
        self.n = 0
        self.acc = 0
        self.zero_pa = 0
        self.mad = 0
        self.k = 0
        self.last_ms = 0
        self.gap_ms = 0
        self.v0 = 0
        self.plateau_pa = 0  # vacuum where the pump stalled below the top (0: reached the top)
        self.leak_a = 0
        self.leak_b = 0
        self.vent_top = 0
        self.j = 0
        self.la = 0
        self.lb = 0
        self.v = 0
        self.where = _ZERO  # the stage a run ended in

    # ---- between ticks -------------------------------------------------
    def cancel(self, reason):
        """Ends a running procedure at the next tick, in the safe state."""
        if self.active and not self.reason:
            self.reason = reason

    def service(self, dev):
        """A finished or aborted run: outputs already safe (the tick set
        them); restore the record's vent curve, stage the result, tell the host."""
        import safety

        if self.active and dev.sup.alarms & safety.STOP_MASK:
            # The tick went safe at once and no longer steps this: end here.
            self.reason = "alarm_" + dev.alarm_text().replace(",", "_")
            self.where = self.stage
            self.stage = _ABORT
            self.active = False
        if self.active or self.last != "running":
            return
        dev.apply_config(dev.config.committed)
        if self.reason:
            self.last = "aborted_" + self.reason
            dev.console.event("event commission_aborted reason=%s stage=%s vacuum_pa=%d" % (self.reason, STAGE_NAMES[self.where], dev.ch.vacuum_pa))
            return
        from commission_result import evaluate

        self.staged = evaluate(self, dev)
        self.last = "done"
        dev.console.event("event commission_done " + self.staged.text())

    # ---- the control tick ------------------------------------------------
    def step(self, v):
        """One control period: vacuum v (Pa) -> pump_u16, vent_u16."""
        self.ms += self.period_ms
        self.total_ms += self.period_ms
        if self.stage != _ZERO:
            v -= self.zero_pa
        self.v = v
        if self.total_ms > TOTAL_MS:
            self.reason = "timeout"
        st = self.stage
        if not self.reason and st < _DONE:
            self._STAGES[st](self)
        if self.reason:
            self.stage = _ABORT
        if self.stage >= _DONE:
            self.where = st
            self.pump_u16 = 0
            self.vent_u16 = FULL
            self.active = False
        self.prev = self.v

    def _go(self, stage, pump, vent):
        self.stage = stage
        self.ms = 0
        self.pump_u16 = pump
        self.vent_u16 = vent

    def _cross(self, level):
        """Time (us in this stage) at which the vacuum crossed level between
        the last sample and this one (linear between them)."""
        v = self.v
        return self.ms * 1000 - (v - level) * self.period_us // (v - self.prev)

    def _zero(self):
        if self.ms <= _ZERO_SETTLE_MS:
            return
        v = self.v
        if self.n < _ZERO_N:
            self.acc += v
            self.n += 1
            if self.n == _ZERO_N:
                self.zero_pa = self.acc // _ZERO_N
            return
        d = v - self.zero_pa
        self.mad += d if d > 0 else -d
        self.n += 1
        if self.n == 2 * _ZERO_N:
            self.v0 = d
            self.v = d  # the pull-down's crossings are against the zeroed vacuum
            self.t_us[0] = 0
            self._go(_PUMP, FULL, 0)

    def _pump(self):
        v = self.v
        k = self.k
        crossed = False
        while k < LEVELS and v >= self.step_pa * (k + 1):
            k += 1
            self.t_us[k] = self._cross(self.step_pa * k)
            crossed = True
        if crossed:
            self.k = k
            self.gap_ms = self.ms - self.last_ms
            self.last_ms = self.ms
            if k == LEVELS:
                self._go(_LEAK, 0, 0)
            return
        # The pump stalled below the top: its maximum is within reach.
        stall = 4 * self.gap_ms
        if self.ms - self.last_ms > (stall if stall > _STALL_MIN_MS else _STALL_MIN_MS):
            self.plateau_pa = v
            self._go(_LEAK, 0, 0)
        elif self.ms > _PUMP_TIMEOUT_MS:
            self.reason = "pump_timeout"

    def _leak(self):
        if self.ms == _LEAK_SETTLE_MS:
            self.leak_a = self.v
        elif self.ms >= _LEAK_SETTLE_MS + _LEAK_MS:
            self.leak_b = self.v
            top = self.plateau_pa if self.plateau_pa else self.top_pa
            self.vent_top = top // 2
            self.kd = (self.v - 1) // self.step_pa
            self._go(_DOWN, 0, FULL)

    def _updown(self):
        # Down (vent open) to the vent test's start, then up (pump) to it
        # before each release.
        if self.stage == _DOWN:
            self._descend(1)
            if self.v <= self.vent_top:
                self._go(_UP, FULL, 0)
        elif self.v >= self.vent_top:
            self._go(_SETTLE, 0, 0)
        elif self.ms > _UP_TIMEOUT_MS:
            self.reason = "pump_up_timeout"

    def _settle(self):
        if self.ms >= _SETTLE_MS:
            j = self.j
            v = self.v
            self.vs[j] = v
            self.la = v - v // 20
            self.lb = v - 3 * v // 20
            self._go(_RELEASE, 0, FULL * (j + 1) // DUTIES)

    def _release(self):
        j = self.j
        v = self.v
        if self.ta[j] < 0:
            if v <= self.la:
                self.ta[j] = self._cross(self.la)
        if self.ta[j] >= 0 and v <= self.lb:
            self.tb[j] = self._cross(self.lb)
        elif self.ms < _RELEASE_MS:
            return
        self.te[j] = self.ms * 1000
        self.ve[j] = v
        self.j = j + 1
        if self.j == DUTIES:
            # The last release was at full duty: on down to the first level.
            self.kd = (v - 1) // self.step_pa
            self._go(_DRAIN, 0, FULL)
        else:
            self._go(_UP, FULL, 0)

    def _drain(self):
        self._descend(2)
        if self.kd < 1 or self.ms >= _DRAIN_MS:
            self.stage = _DONE

    def _descend(self, s):
        """Full vent, pump off: the crossing times of the levels passed."""
        v = self.v
        k = self.kd
        step = self.step_pa
        while k >= 1 and v <= step * k:
            self.vd_us[k] = self._cross(step * k) + (self.total_ms - self.ms) * 1000
            self.vd_s[k] = s
            k -= 1
        self.kd = k

    # What step() runs in each stage, indexed by it (_ZERO.._DRAIN).
    _STAGES = (_zero, _pump, _leak, _updown, _updown, _settle, _release, _drain)

    def status(self):
        return "commission=%s stage=%s t_ms=%d levels=%d releases=%d staged=%s" % (
            self.last, STAGE_NAMES[self.stage], self.total_ms, self.k, self.j, "yes" if self.staged else "no")
