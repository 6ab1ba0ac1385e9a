# Per-phase fault rules for programs whose setpoint never holds long enough
# for the supervisor's hold-based rules (pulse, decompression, and any
# program that alternates regulated "on" phases with vented "off" phases).
#
# An on phase is a run of fresh samples while the controller regulates; an
# off phase a run with the pump commanded off and the vent fully open. Each
# phase is judged once, when it ends, against what this session's first
# healthy phases achieved on the same plant (learned, as the controller
# learns the plant gain):
#  * on phase short: still pulling at > 90 % pump when it ended, its own
#    setpoint not reached, and its rise (peak minus its start) under half the
#    best rise learned. 3 consecutive short phases: `pump` if the rise was
#    under 500 Pa (no gas moved), else `leak`.
#  * off phase residual, judged every 800 ms of an off phase while the
#    session runs: with the pump off and the vent open the vacuum can only
#    fall to ambient. The mean of the last complete 200 ms window not halved
#    from the phase start -> the vent did not open (`vent`; the slowest
#    healthy release here, the 400 mL NPWT canister, halves in 0.5 s), or
#    still 1 kPa or more above the trough and not halved since the last
#    judgement, yet falling -> the vent shut during the release and only the
#    leak lets the rest out (`vent`); more
#    than 400 Pa above the trough (the vacuum before the session's first
#    pull-down, or any lower off-phase mean since) and stalled (less than
#    50 Pa below the window before; a healthy orifice release is fastest
#    near ambient) -> something still pumps (`pump_on`); or, still falling
#    but slowing as a decay to an asymptote does, that asymptote (Aitken's
#    projection of the last three window means) more than 400 Pa above the
#    trough: a stuck pump against the open vent settles where their flows
#    meet (1.6 kPa for a 2.5 L/min pump against a 6 L/min vent), and a
#    short release judged on its way there still falls 60 Pa a window. A
#    healthy release projects to the trough or below (an exponential to
#    ambient exactly; an orifice's square-root law reaches ambient in a
#    finite time, below). 2 consecutive bad judgements -> alarm.
# Thresholds and delays: docs/safety.md. Runs in the heap-locked tick: state
# in attributes, small frames, integers only.
from micropython import const

from alarms import A_BLOCKAGE, A_LEAK, A_PUMP, A_PUMP_ON, A_VENT
from outputs import FULL

_PULL_U16 = const(58982)  # 90 % duty: the controller is still pulling
_LEARN = const(2)  # on phases learned before judging
_SHORT_PHASES = const(3)  # consecutive short on phases -> alarm
_DEAD_RISE_PA = const(500)  # a rise below this at full pump: the pump moves no gas
_JUDGE_WINDOWS = const(4)  # off phases are judged every 4 windows (800 ms)
_WIN_MS = const(200)  # off: window of the mean (40 samples at 200 Hz; noise 20 -> 3 Pa)
_STALL_PA = const(50)  # window mean falling less than this: the release has stalled
_RESID_PA = const(400)  # stalled this far above the learned trough: pumped
_VENT_MIN_PA = const(1000)  # the halving check needs a release from at least this
_RESID_PHASES = const(2)  # consecutive bad releases -> alarm
# The projection is judged on a nearly settled release only (its last
# window fell less than 400 Pa: the square stays a small int) that slows by
# at least 20 Pa a window (over window noise of ~3 Pa). A fast fall that
# stopped short (a vent sticking shut mid-release) projects where it
# stopped; the next judgement tells a still-falling line (`vent`) from a
# settled one.
_PROJ_FALL_PA = const(400)
_PROJ_SLOW_PA = const(20)
# On phase reaching its setpoint: the rate of the climb (Pa per sample from
# the phase's start to within 2 % of its setpoint, climbs of 5 kPa or more)
# more than _BLOCK_RATE_X times the fastest climb before means the
# chamber shrank: the line is blocked and the pump fills only its device
# side (wide tubing: 10-40 mL, no faster than a cup to the rise rule, and no
# level held long enough for the supervisor's blockage windows).
_RATE_MIN_RISE_PA = const(5000)
_BLOCK_RATE_X = const(3)
_RATE_LEARN = const(1)  # (a dot lasts seconds: a fault may come in the second)
# The chamber's size from the pump's work (any regulated program, moving
# levels included: dynamic, npwt_dynamic, a pulse's ramp, where neither the
# supervisor's hold windows nor the climb rule judge): the pump duty summed
# over each rise of _WORK_RISE_PA, completed within _WORK_MAX_MS (a hold's
# leak work is not a rise's) without falling _WORK_DIP_PA below its start
# (a sensor's noise and a controller's pulses do not restart it; a release
# does). Vent ticks are left out (below). A line blocked between the device and the cup leaves the pump
# only the device side (tubing: 10-40 mL against a cup of 60 mL and its
# tubing) and no leak: a rise done with under 1/_WORK_X of the least work
# learned for one (_WORK_LEARN rises first; that least is at the lowest
# vacuum and leak, so deeper levels of a healthy plant only take more),
# _WORK_BAD times running, is a blockage.
_WORK_RISE_PA = const(2000)
_WORK_X = const(2)
_WORK_LEARN = const(2)
_WORK_BAD = const(2)
_WORK_MAX_MS = const(3000)
_WORK_DIP_PA = const(300)
# The samples of a vent tick and of _WORK_VENT_HOLD_MS (two ticks) after it are left
# out of the rise (neither summed nor a dip that restarts it): the sensor
# sits on the device side of the tubing, whose few mL a single vent tick
# pulls down by kilopascals and the dressing refills within a tick or two;
# restarted from that dip, the refill was a 3 kPa "rise" with no pump work
# (a false `blockage` on a 400 mL NPWT dressing behind 1.7 m of 2.5 mm
# tubing, robustness seed 17). A rise is not restarted by venting either:
# a blocked line that the controller vents now and then (a moving level,
# npwt_dynamic, interval_legs) still completes its rises; a longer hold
# (100 ms) hid fast rises of a blocked line there.
_WORK_VENT_HOLD_MS = const(10)
_WORK_SHIFT = const(6)  # duty_u16 >> 6 per sample: 1023 at most, 3 s at 200 Hz stays far below 2**30
# A window whose samples all stay within this of its first is frozen, not a
# release (a live sensor is noisy, tens of Pa): not judged here, the
# supervisor's stuck rule judges it (a frozen reading near ambient looked like
# a release stalled above it: `pump_on` instead of `stuck`).
_FROZEN_PA = const(1)
_NEVER = const(0x3FFFFFFF)
# The leak rules' gap (here and safety.py): a chamber at full pump this far
# below its setpoint does not reach or hold it: 10 %, at least 2 kPa but
# never more than a fifth of the level. The floor was 2 kPa at any level:
# half of a leg chamber's 4 kPa, so a leak that left interval_legs 1.5 kPa
# short of 5.3 kPa was never seen; then a quarter, which a leak holding it
# at 4.0 kPa (1.33 kPa short) sat exactly on. (From 10 kPa up the gap is
# unchanged: an NPWT dressing held 1.9 kPa short of 16.7 kPa by a leak, the
# soak's, is no alarm.)
_LEAK_GAP_MIN_PA = const(2000)
_LEAK_GAP_DIV = const(10)
_LEAK_GAP_MAX_DIV = const(5)


def leak_gap(sp):
    g = sp // _LEAK_GAP_DIV
    m = sp // _LEAK_GAP_MAX_DIV
    if m > _LEAK_GAP_MIN_PA:
        m = _LEAK_GAP_MIN_PA
    return g if g > m else m

_NONE = const(0)
_ON = const(1)
_OFF = const(2)


class PhaseCheck:
    def __init__(self, period_ms=5):
        self._win = _WIN_MS // period_ms if _WIN_MS > 2 * period_ms else 2  # samples per window
        self._wk_max = _WORK_MAX_MS // period_ms  # samples a rise may take (at most one a tick)
        self._wk_hold_n = _WORK_VENT_HOLD_MS // period_ms or 1  # samples after a vent tick
        self.reset()

    def reset(self):
        """A new session (or a clear): forget the plant learned."""
        self._state = _NONE
        self._start = 0  # vacuum at the phase start
        self._peak = 0  # on: highest vacuum
        self._sp = 0  # on: highest setpoint
        self._pump = 0  # on: last commanded pump
        self._sum = 0  # off: the running window
        self._n = 0
        self._mean = 0  # off: the last complete window's mean
        self._prev = 0  # off: the one before
        self._prev2 = 0  # off: and the one before that
        self._rise_ref = 0
        self._rise_n = 0  # on phases learned
        self._trough = _NEVER  # ambient as this sensor reads it
        self._w = 0  # off: complete windows
        self._short = 0
        self._resid = 0
        self._first = 0  # off: the window's first sample
        self._moved = False  # off: a sample of the window left it by more than _FROZEN_PA
        self._live = True  # off: the last complete window was not frozen
        self._judged = 0  # off: the mean at the last judgement (the start before the first)
        self._reach_n = -1  # on: samples since its start until it reached its setpoint (-1: done)
        self._rate_ref = 0  # fastest climb of the learned phases, Pa per sample
        self._rate_n = 0  # climbs learned
        self._wk_from = -1  # vacuum where the rise being summed began (-1: none)
        self._wk_sum = 0  # its pump duty, >> _WORK_SHIFT per sample
        self._wk_n = 0  # its samples
        self._wk_ref = _NEVER  # least work per 100 Pa learned
        self._wk_learnt = 0
        self._wk_bad = 0
        self._wk_hold = 0  # samples still left out of the rise (after a vent tick)

    def step(self, s):
        """One fresh sample of Supervisor s (its _v, _sp, _reg, _running and
        last tick's _pump/_vent); returns alarm bits."""
        a = 0
        v = s._v
        if s._reg:
            if s._vent:
                self._wk_hold = self._wk_hold_n
            elif self._wk_hold:
                self._wk_hold -= 1
            else:
                a = self._work(v, s._pump)
        else:
            self._wk_from = -1
        if s._reg:
            if self._state != _ON:
                self._on_begin(v, s._sp)
            else:
                if v > self._peak:
                    self._peak = v
                if s._sp > self._sp:
                    self._sp = s._sp
                self._pump = s._pump
                if self._reach_n >= 0:
                    self._reach_n += 1
                    if v >= self._sp - self._sp // 50:
                        a |= self._climb()
        elif s._pump == 0 and s._vent >= FULL:
            if self._state != _OFF:
                if self._state == _ON:
                    a = self._on_end()
                self._off_begin(v)
            else:
                if self._n == 0:
                    self._first = v
                elif v - self._first > _FROZEN_PA or self._first - v > _FROZEN_PA:
                    self._moved = True
                self._sum += v
                self._n += 1
                if self._n >= self._win:
                    self._window()
                    if self._w % _JUDGE_WINDOWS == 0 and s._running and self._trough != _NEVER and self._live:
                        a = self._judge_off()
        else:
            self._state = _NONE
        return a

    def _window(self):
        self._prev2 = self._prev
        self._prev = self._mean
        self._mean = self._sum // self._win
        self._sum = 0
        self._n = 0
        self._w += 1
        self._live = self._moved
        self._moved = False

    def _on_begin(self, v, sp):
        if self._trough == _NEVER:
            self._trough = v  # the session starts from rest
        self._state = _ON
        self._start = v
        self._peak = v
        self._sp = sp
        self._pump = 0
        self._reach_n = 0

    def _climb(self):
        n = self._reach_n
        self._reach_n = -1
        h = self._sp - self._start
        if h < _RATE_MIN_RISE_PA:
            return 0
        r = h // n
        if self._rate_n < _RATE_LEARN:
            self._rate_n += 1
            if r > self._rate_ref:
                self._rate_ref = r
            return 0
        if r > _BLOCK_RATE_X * self._rate_ref:
            return A_BLOCKAGE
        if r > self._rate_ref:
            self._rate_ref = r
        return 0

    def _work(self, v, pump):
        if self._wk_from < 0 or v < self._wk_from - _WORK_DIP_PA or self._wk_n >= self._wk_max:
            self._wk_from = v  # a new rise
            self._wk_sum = 0
            self._wk_n = 0
            return 0
        self._wk_sum += pump >> _WORK_SHIFT
        self._wk_n += 1
        rise = v - self._wk_from
        if rise < _WORK_RISE_PA:
            return 0
        w = self._wk_sum // (rise // 100)
        self._wk_from = v
        self._wk_sum = 0
        self._wk_n = 0
        if self._wk_learnt < _WORK_LEARN:
            self._wk_learnt += 1
            if w < self._wk_ref:
                self._wk_ref = w
            return 0
        if _WORK_X * w < self._wk_ref:
            self._wk_bad += 1
            return A_BLOCKAGE if self._wk_bad >= _WORK_BAD else 0
        self._wk_bad = 0
        if w < self._wk_ref:
            self._wk_ref = w
        return 0

    def _off_begin(self, v):
        self._state = _OFF
        self._start = v
        self._judged = v  # the mean at the last judgement
        self._w = 0
        self._sum = 0
        self._n = 0
        self._mean = v
        self._prev = v
        self._prev2 = v

    def _on_end(self):
        rise = self._peak - self._start
        sp = self._sp
        gap = leak_gap(sp)
        if self._rise_n < _LEARN:
            self._rise_n += 1
            if rise > self._rise_ref:
                self._rise_ref = rise
            return 0
        if self._pump > _PULL_U16 and self._peak < sp - gap and 2 * rise < self._rise_ref:
            self._short += 1
            if self._short >= _SHORT_PHASES:
                return A_PUMP if rise < _DEAD_RISE_PA else A_LEAK
            return 0
        self._short = 0
        if rise > self._rise_ref:
            self._rise_ref = rise  # a deeper target later: the best rise so far
        return 0

    def _heads_above(self, level):
        """Whether the release, slowing, heads for an asymptote above level:
        Aitken's delta-squared over the last three window means."""
        m = self._mean
        d1 = self._prev2 - self._prev  # the fall of the window before
        d2 = self._prev - m  # the last window's fall
        slowing = d1 - d2
        if d2 <= 0 or d2 >= _PROJ_FALL_PA or slowing < _PROJ_SLOW_PA:
            return False
        return m - d2 * d2 // slowing > level

    def _judge_off(self):
        m = self._mean
        ref = self._trough
        j = self._judged
        self._judged = m
        a = 0
        if self._start - ref >= _VENT_MIN_PA and 2 * (m - ref) > self._start - ref:
            a = A_VENT  # not even halved: the vent did not open
        elif m > ref + _RESID_PA and (m > self._prev - _STALL_PA or self._heads_above(ref + _RESID_PA)):
            a = A_PUMP_ON  # settled, or settling, above ambient with the pump off: it still runs
        elif j - ref >= _VENT_MIN_PA and 2 * (m - ref) > j - ref:
            a = A_VENT  # still falling, by the leak alone: the vent shut during the release
        if not a:
            self._resid = 0
            if m < ref:
                self._trough = m
            return 0
        self._resid += 1
        return a if self._resid >= _RESID_PHASES else 0
