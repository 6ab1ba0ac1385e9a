# Vacuum controller: setpoint slew, PID and split-range output.
#
# One PID output u (signed duty_u16) drives the pump when more vacuum is
# needed (u > 0) and the vent/bleed valve when less is needed (u < 0). A dead
# band around zero leaves both off, so pump and vent never fight. The
# setpoint the PID sees moves toward the requested target at a limited rate
# (tissue is loaded at a chosen rate, not as fast as the pump can).
# Allocation-free: runs inside the heap-locked control tick.
from micropython import const

from pid import PID

FULL = const(65535)
MODE_OFF = const(0)  # pump off, vent open: not regulating
MODE_REGULATE = const(1)


class Controller:
    def __init__(self, period_ms, kp, ki, kd, dead_band=400):
        self.period_ms = period_ms
        self.pid = PID(period_ms, kp, ki, kd)
        self.dead_band = dead_band
        self.mode = MODE_OFF
        self.target_pa = 0  # requested
        self.setpoint_pa = 0  # slewed, what the PID regulates to
        self._step_pa = 0  # max setpoint change per tick; 0 = unlimited
        self.pump_u16 = 0
        self.vent_u16 = FULL

    def set_target(self, target_pa, ramp_ms, pv):
        """Move toward target_pa, reaching it ramp_ms from now (0 = at once).
        Entering regulation is bumpless: the setpoint starts at the measured
        vacuum and the PID from zero output."""
        if self.mode != MODE_REGULATE:
            self.mode = MODE_REGULATE
            self.setpoint_pa = pv
            self.pid.reset(pv, 0)
        self.target_pa = target_pa
        span = target_pa - self.setpoint_pa
        if span < 0:
            span = -span
        if ramp_ms <= 0 or span == 0:
            self._step_pa = 0
        else:
            ticks = ramp_ms // self.period_ms
            self._step_pa = span // ticks + 1 if ticks > 0 else 0

    def off(self):
        self.mode = MODE_OFF
        self.target_pa = 0
        self.setpoint_pa = 0
        self.pump_u16 = 0
        self.vent_u16 = FULL

    def update(self, pv):
        if self.mode != MODE_REGULATE:
            self.pump_u16 = 0
            self.vent_u16 = FULL
            return
        sp = self.setpoint_pa
        t = self.target_pa
        step = self._step_pa
        if step == 0 or (sp < t and t - sp <= step) or (sp > t and sp - t <= step):
            sp = t
        elif sp < t:
            sp += step
        else:
            sp -= step
        self.setpoint_pa = sp
        u = self.pid.update(sp, pv)
        db = self.dead_band
        if u > db:
            self.pump_u16 = u
            self.vent_u16 = 0
        elif u < -db:
            self.pump_u16 = 0
            self.vent_u16 = -u
        else:
            self.pump_u16 = 0
            self.vent_u16 = 0
