# Therapy session: runs the chosen program, times it, and releases to ambient
# at the end. Its step() runs in the heap-locked control tick: integers only.
from micropython import const

import programs

IDLE = const(0)
RUN = const(1)
RELEASE = const(2)
FAULT = const(3)
STATE_NAMES = ("idle", "run", "release", "fault")

# Phase of a running session (intermittent programs alternate ON and OFF;
# continuous programs HOLD).
PH_HOLD = const(0)
PH_ON = const(1)
PH_OFF = const(2)
PHASE_NAMES = ("hold", "on", "off")

_RELEASED_PA = const(500)  # vacuum considered back at ambient
_RELEASE_TIMEOUT_MS = const(15_000)


class Session:
    def __init__(self, controller, supervisor):
        self._ctl = controller
        self._sup = supervisor
        self.state = IDLE
        self.program = None
        self.target_pa = 0
        self.ramp_ms = 0
        self.duration_ms = 0
        self.elapsed_ms = 0
        self.floor_pa = 0
        self.on_ms = 0
        self.off_ms = 0
        self.phase = PH_HOLD
        self.phase_ms = 0  # time spent in the current phase
        self._release_ms = 0
        self.ended = 0  # count of completed sessions (events are reported from it)

    def start(self, program, values, vacuum_pa):
        self.program = program
        self.target_pa = values["target"]
        self.ramp_ms = values["ramp"]
        self.duration_ms = values["duration"]
        self.elapsed_ms = 0
        self.phase_ms = 0
        if program.kind == programs.INTERMITTENT:
            self.floor_pa = values["floor"]
            self.on_ms = values["on"]
            self.off_ms = values["off"]
            self.phase = PH_ON
        else:
            self.floor_pa = 0
            self.on_ms = 0
            self.off_ms = 0
            self.phase = PH_HOLD
        self._sup.session_start()
        self._ctl.set_target(self.target_pa, self.ramp_ms, vacuum_pa)
        self.state = RUN

    def set_target(self, target_pa, vacuum_pa):
        self.target_pa = target_pa
        if self.phase != PH_OFF:
            self._ctl.set_target(target_pa, self.ramp_ms, vacuum_pa)

    def stop(self):
        if self.state == RUN:
            self._begin_release()

    def fault(self):
        self._ctl.off()
        self.state = FAULT

    def clear_fault(self):
        if self.state == FAULT:
            self.state = IDLE

    def remaining_ms(self):
        if self.state != RUN:
            return 0
        r = self.duration_ms - self.elapsed_ms
        return r if r > 0 else 0

    def _begin_release(self):
        self._ctl.off()
        self._release_ms = 0
        self.state = RELEASE

    def _enter_on(self, vacuum_pa):
        self.phase = PH_ON
        self._sup.phase_start()  # a fresh pull-down, as at session start
        self._ctl.set_target(self.target_pa, self.ramp_ms, vacuum_pa)

    def _enter_off(self, vacuum_pa):
        self.phase = PH_OFF
        if self.floor_pa > 0:
            self._ctl.set_target(self.floor_pa, self.ramp_ms, vacuum_pa)
        else:
            # Floor 0: pump off, vent fully open, as in release.
            self._ctl.off()

    def step(self, dt_ms, vacuum_pa):
        s = self.state
        if s == RUN:
            self.elapsed_ms += dt_ms
            if self.elapsed_ms >= self.duration_ms:
                self._begin_release()
                return
            ph = self.phase
            if ph != PH_HOLD:
                self.phase_ms += dt_ms
                if ph == PH_ON:
                    if self.phase_ms >= self.on_ms:
                        self.phase_ms -= self.on_ms
                        self._enter_off(vacuum_pa)
                elif self.phase_ms >= self.off_ms:
                    self.phase_ms -= self.off_ms
                    self._enter_on(vacuum_pa)
        elif s == RELEASE:
            self._release_ms += dt_ms
            if vacuum_pa < _RELEASED_PA or self._release_ms >= _RELEASE_TIMEOUT_MS:
                self.state = IDLE
                self.ended += 1
