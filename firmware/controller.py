# Vacuum controller: time-optimal approach, gain-scheduled PI hold, setpoint
# slew and split-range output (docs/control.md).
#
# One signed output u (duty_u16) drives the pump when more vacuum is needed
# (u > 0) and the vent/bleed valve when less is needed (u < 0). A dead band
# around zero leaves both off, so pump and vent never fight.
#
# A step of the target (ramp 0) is approached at full pump (or full vent):
# the chamber is a gas capacitance with no inertia of its own, so vacuum stops
# rising the moment the pump stops, apart from the sensor's lag. The approach
# ends when the measurement, projected over that lag at its present rate,
# reaches the target; the PI then holds it. The rate seen at full drive just
# before the switch is the plant's gain G (Pa/s per full duty), which sets the
# PI gains so that the closed loop has the same time constant tau on a 5 mL
# cup and a 15 L chamber: kp = 1 / (G * tau), Ti = ti_factor * tau.
#
# With a ramp the setpoint moves toward the target at a limited rate (tissue
# is loaded at a chosen rate) and the PI follows it.
#
# The approach's "full pump" is governed: the vacuum may rise at most
# _RISE_GOV_PA_S (75 % of the supervisor's hard limit on the rate of rise,
# safety.py), so a tiny cup on a strong pump, which really rises faster than
# that limit at full drive, never trips it; a blocked 2 mL line still does:
# the governor never throttles below 3/8 duty and stands down when the
# chamber shrinks mid-approach (docs/safety.md H26, docs/control.md).
#
# Integers only, allocation-free: update() runs in the heap-locked tick. Gain
# arithmetic is arranged to stay below 2**30 (small ints on a 32-bit port).
from micropython import const

import relay as rl
from config import LEAD_TICKS, TAU_MS, TI_FACTOR  # the tuning defaults, with their ranges
from outputs import FULL
from pid import PID

MODE_OFF = const(0)  # pump off, vent open: not regulating
MODE_REGULATE = const(1)

PHASE_TRACK = const(0)  # PI on the (slewed) setpoint
PHASE_UP = const(1)  # full pump toward a higher target
PHASE_DOWN = const(2)  # full vent toward a lower target

_N = const(8)  # rate window, ticks (noise on a 15 L chamber needs about 8)
_G_MIN = const(200)  # Pa/s: below this the estimate is noise, keep the last
_G_MAX = const(5_000_000)
_KP_MAX = const(4_000_000)  # duty/kPa; beyond it sensor noise alone saturates
_VS_ONE = const(256)  # vent scale fixed point: 256 = vent as strong as pump
_VS_MIN = const(64)  # vent at most 4x the pump (PID output range, 2**30)
_VS_MAX = const(1024)
_VS_DEFAULT = const(64)  # until measured: assume the vent 4x the pump
_HOLD_REUSE_DIV = const(10)  # reuse a learned hold duty within 10 % of its target
_FF_STALE_MS = const(100)  # a moving target's feed-forward lapses after this
_REFINE_MS = const(1000)  # held within 1 % of the target this long
_REFINE_MAX_HOLD = const(58_982)  # 90 % duty: beyond, the correction is noise
_FF_MAX = const(1_000_000)  # Pa/s; ff * 1000 stays below 2**30

# Rate governor of the approach (issue 17, H26): the approach's pump is
# capped so that the vacuum rises at most _RISE_GOV_PA_S, 75 % of the
# supervisor's hard limit. A tick's rise shows the duty commanded two ticks
# before (the sample read at a tick was converted during the tick before,
# after the driver's one-tick pipeline), so that duty scaled by allowed /
# measured rise (a chamber's rise is proportional to the duty), at most
# twice it while the rise is under half the allowed one, is where the cap
# moves, halfway each tick: with a sensor whose conversion nearly fills a
# tick (the bmp280 at 100 Hz) the rise shows the duty of three ticks ago,
# and the undamped step oscillated (9.1 kPa in 50 ms instead of 7).
# Its authority ends at _GOV_FLOOR_U16: at 3/8 duty a chamber rising up to 400 kPa/s at
# full drive (a 5 mL cup on a pump 1.4x the pico's declared 2 L/min: 370)
# rises at most 150 kPa/s, while a blocked 2 mL line (930 kPa/s from ambient
# on a pump 0.6x the declaration) still rises above the limit. Each approach
# starts at the floor for the two ticks before its first rise can be seen.
# The governor must not hide a blocked line from the supervisor: a chamber's
# rise per unit of duty (over _GOV_K_TICKS) only falls during an approach
# (the pump curve, the thinner gas); more than _GOV_JUMP times its lowest so
# far means the chamber shrank (the tube blocked: 2 mL instead of the cup),
# and the governor stands down for the rest of the approach. Once an approach
# of the session measured a chamber slower than a quarter of the governed
# rate, the next ones start at full pump, ungoverned, as before.
_RISE_GOV_PA_S = const(150_000)
_GOV_FLOOR_U16 = const(24576)  # 3/8 of FULL
_GOV_BLIND_TICKS = const(2)
_GOV_JUMP = const(3)
_GOV_K_TICKS = const(4)  # the rise per duty is judged over 4 ticks
_GOV_K_NONE = const(0x0FFFFFFF)  # no rise per duty yet (x _GOV_JUMP stays a small int)

G_DEFAULT = const(20_000)  # Pa/s, used before the first approach measures it
# Chatter: the hold's output crossing from pump to vent and back tick after
# tick is a limit cycle, not regulation (a fast node the schedule's gain does
# not see, e.g. the device side of a long tube to a big dressing: a tick of
# full pump moves the sensor more than the PI expects). Near the pump's
# saturation the same cycle never reaches the vent: the pump swings between
# full and a fraction of it, so a swing of more than _SWING_U16 against the
# last one counts as a crossing too. Each window of _CHATTER_TICKS with
# _CHATTER_FLIPS crossings or more halves the scheduled gains, at most
# _DETUNE_MAX times (docs/control.md).
_CHATTER_TICKS = const(32)
_CHATTER_FLIPS = const(8)
_SWING_U16 = const(16384)  # a quarter of full duty in one tick
# A crossing that leaves or lands on half the pump or more (pump to vent, or
# vent to pump) is a jolt that a gain fit for the plant never makes at a
# hold (a reading a few Pa over the setpoint outweighing the pump the leak
# needs: a `kp` scheduled on the small net rise of a pump near its limit);
# it weighs _JOLT_FLIPS.
_JOLT_FLIPS = const(4)
_HALF_U16 = const(32768)
_DETUNE_MAX = const(6)


class Controller:
    def __init__(self, period_ms, dead_band=400):
        self.period_ms = period_ms
        self._ff_stale = _FF_STALE_MS // period_ms  # ticks
        self._refine_ticks = _REFINE_MS // period_ms
        self.dead_band = dead_band
        self.tau_ms = TAU_MS
        self.ti_factor = TI_FACTOR
        self.lead_ticks = LEAD_TICKS
        self.scheduled = True  # False: manual kp/ki/kd, no scheduling
        self.g_pump = G_DEFAULT  # Pa/s at full pump near the target
        self.g_measured = False
        self.g_vent = 0  # Pa/s at full vent, 0 = not measured
        self.pid = PID(period_ms, 1, 0, 0)
        # The integrator is the pump duty that holds the vacuum against the
        # leak. Below zero it is the vent's: a reading stuck above the
        # setpoint with the vent's P inside the valve's dead zone (an
        # uncommissioned solenoid shut below a fifth of its duty) opens it
        # further until the vacuum falls, and it fades at the setpoint
        # (halved each tick, _track): a chamber never needs the vent to
        # hold, so no windup outlives the transient (docs/control.md).
        self._set_vs(_VS_DEFAULT)
        self.mode = MODE_OFF
        self.phase = PHASE_TRACK
        self.target_pa = 0  # requested
        self.setpoint_pa = 0  # slewed, what the PI regulates to
        self._ramp_left = 0  # ticks until the slewed setpoint reaches the target
        self._ring = [0] * _N  # last _N measurements, for the rate
        self._uring = [0] * _N  # pump duty commanded in the last _N ticks
        self._usum = 0  # their sum: the mean duty behind rate_n
        self._ri = 0
        # governor of the approach: allowed rise per tick, the cap on the pump
        self._gov_pa = _RISE_GOV_PA_S * period_ms // 1000
        self.cap_u16 = FULL
        self._gov_n = 0  # ticks of this approach, up to _GOV_BLIND_TICKS; -1: stood down
        self._gov_k = _GOV_K_NONE  # lowest rise per duty of this approach
        self._gov_slow = False  # this session's chamber is too slow to govern
        self.rate_n = 0  # Pa per _N ticks
        # Hold duties learned at the last two targets (intermittent alternates
        # between target and floor): preloaded into the integrator.
        self._hold_u = [0, 0]
        self._hold_t = [0, 0]
        # Feed-forward of a moving target (programs that move the level every
        # tick: gentle start, dynamic): its rate in Pa/s, and ticks since the
        # last change (stale after _FF_STALE_MS).
        self._ff = 0
        self._since = 0
        # After an approach: ticks held near the target; once settled, the
        # gain measured at full pump (net of the leak) is corrected with the
        # hold duty the integrator found (docs/control.md).
        self._settled = -1  # -1 = nothing to refine
        self._r_full = 0
        self.relay = rl.RelayTest()  # autotune's relay test (relay.py)
        self.detune = 0  # scheduled gains halved this many times (chatter)
        self._side = 0  # last output: 1 pump, -1 vent, 0 none yet
        self._swing = 0  # last swing of the pump: 1 up, -1 down, 0 none yet
        self._flips = 0
        self._window = 0
        self.pump_u16 = 0
        self.vent_u16 = FULL
        self._schedule()

    # ---- tuning (outside the tick) ---------------------------------------
    def set_tuning(self, tau_ms, ti_factor, lead_ticks):
        self.tau_ms = tau_ms
        self.ti_factor = ti_factor
        self.lead_ticks = lead_ticks
        self.scheduled = True
        self._schedule()

    def set_manual(self, kp, ki, kd):
        """Fixed gains (a technician's or autotune's): scheduling off."""
        self.scheduled = False
        self.pid.retune(kp, ki, kd)

    def set_plant_gain(self, g_pa_s):
        """Plant gain from an autotune run, used until an approach measures it."""
        self.g_pump = g_pa_s
        self.g_measured = True
        self._schedule()

    def gains_for(self, g_pa_s):
        """(kp, ki) the schedule gives for plant gain g (Pa/s at full pump)."""
        kp = self._kp_for(g_pa_s)
        return kp, self._ki_for(kp)

    # The two below run inside the tick (at the end of an approach): ints only,
    # no tuples.
    def _tau(self):
        """The hold's time constant: tau, but at least 2.5 control periods (a
        slower loop cannot close faster: at 50 Hz the default 25 ms
        limit-cycled pump against vent)."""
        t = self.tau_ms
        least = self.period_ms * 5 // 2
        return t if t > least else least

    def _kp_for(self, g_pa_s):
        # Pa gained in tau at full pump; split so that G (<= 5e6) times tau
        # (<= 2000 ms) never forms a product beyond 2**30
        t = self._tau()
        g_tau = (g_pa_s // 1000) * t + (g_pa_s % 1000) * t // 1000
        if g_tau < 1:
            g_tau = 1
        kp = 65_535_000 // g_tau  # duty per kPa: full duty for g_tau Pa of error
        return (_KP_MAX if kp > _KP_MAX else kp) >> self.detune

    def _ki_for(self, kp):
        ti_ms = self._tau() * self.ti_factor
        return (kp // ti_ms) * 1000 + (kp % ti_ms) * 1000 // ti_ms

    def _schedule(self):
        if self.scheduled:
            kp = self._kp_for(self.g_pump)
            self.pid.retune(kp, self._ki_for(kp), 0)

    # ---- commands from the session ---------------------------------------
    def set_target(self, target_pa, ramp_ms, pv):
        """Move toward target_pa, reaching it ramp_ms from now (0 = as fast as
        the plant allows without overshoot). Entering regulation is bumpless:
        the setpoint starts at the measured vacuum."""
        entering = self.mode != MODE_REGULATE
        self._remember_hold()
        ff = 0
        if not entering and self.phase == PHASE_TRACK and ramp_ms <= 0:
            n = self._since if self._since > 0 else 1
            ff = (target_pa - self.target_pa) * 1000 // (n * self.period_ms)
            ff = _FF_MAX if ff > _FF_MAX else (-_FF_MAX if ff < -_FF_MAX else ff)
        self._ff = ff
        self._since = 0
        if entering:
            self.mode = MODE_REGULATE
            self.setpoint_pa = pv
            for i in range(_N):
                self._ring[i] = pv
            self.rate_n = 0
        self.target_pa = target_pa
        span = target_pa - pv
        big = target_pa // 20
        if big < 1000:
            big = 1000
        self._ramp_left = 0
        if ramp_ms <= 0 and span > big:
            if self.phase != PHASE_UP:
                # a new approach (a target moved during one, as a program's
                # moving level does every tick, keeps its governor)
                self._gov_start()
            self.phase = PHASE_UP
            self.setpoint_pa = target_pa
        elif ramp_ms <= 0 and span < -big:
            self.phase = PHASE_DOWN
            self.setpoint_pa = target_pa
        else:
            if self.phase != PHASE_TRACK or entering:
                self._to_track(pv, target_pa)
            self._ramp_left = ramp_ms // self.period_ms
            if self._ramp_left <= 0:
                self.setpoint_pa = target_pa

    def off(self):
        self._settled = -1
        self._gov_slow = False  # the next session (or on phase) may be on another plant
        if self.detune:
            self.detune = 0  # the next session may be on another plant
            self._schedule()
        self._side = self._swing = self._flips = self._window = 0
        self._remember_hold()
        self.relay.cancel()
        self.mode = MODE_OFF
        self.phase = PHASE_TRACK
        self.target_pa = 0
        self.setpoint_pa = 0
        self.pump_u16 = 0
        self.vent_u16 = FULL

    # ---- the tick ---------------------------------------------------------
    def update(self, pv):
        if self._since < self._ff_stale:
            self._since += 1
        else:
            self._ff = 0
        ring = self._ring
        i = self._ri
        self.rate_n = pv - ring[i]
        rise = pv - ring[i - 1]  # over the last tick (ring[-1] is the last slot)
        ring[i] = pv
        u = self.pump_u16  # commanded last tick
        ur = self._uring
        self._usum += u - ur[i]
        ur[i] = u
        self._ri = (i + 1) % _N
        u_seen = ur[i - 1]  # two ticks ago: the duty behind this tick's rise
        if self.mode != MODE_REGULATE:
            self.pump_u16 = 0
            self.vent_u16 = FULL
            return
        ph = self.phase
        if ph == PHASE_UP:
            if pv + self.rate_n * self.lead_ticks // _N < self.target_pa - self.target_pa // 200:
                self._govern(rise, u_seen)
                self.pump_u16 = self.cap_u16
                self.vent_u16 = 0
                return
            self._end_up(pv)
        elif ph == PHASE_DOWN:
            if pv + self.rate_n * self.lead_ticks // _N > self.target_pa + self.target_pa // 200:
                self.pump_u16 = 0
                self.vent_u16 = FULL
                return
            self._end_down(pv)
        r = self.relay
        if r.state == rl.RUNNING:
            u = r.step(pv)
            if r.state == rl.RUNNING:
                self._split(u)
                return
            self.pid.reset(pv, r.u0)  # test over: the PI holds again, bumpless
        self._track(pv)
        if self._settled >= 0:
            self._refine(pv)
        if (r.state == rl.ARMED or r.state == rl.NOISE) and self.setpoint_pa == r.sp:
            r.watch(pv, self._pump_hold())

    def _gov_start(self):
        if self._gov_slow:
            # this session's chamber rose under a quarter of the governed
            # rate at full drive near its last target (at most 3x that from
            # ambient): full pump, as before the governor; the supervisor's
            # pump and leak rules need it above 50 % and 90 % without a gap
            self.cap_u16 = FULL
            self._gov_n = -1
        else:
            self.cap_u16 = _GOV_FLOOR_U16
            self._gov_n = 0
            self._gov_k = _GOV_K_NONE

    def _govern(self, rise, u_seen):
        """The pump cap for a rise of _RISE_GOV_PA_S (see the constants)."""
        n = self._gov_n
        if n < _GOV_BLIND_TICKS + _GOV_K_TICKS:
            if n < 0:
                return  # stood down
            self._gov_n = n + 1
            if n < _GOV_BLIND_TICKS:
                return  # this rise shows no duty of the approach yet
        else:
            k = self._rise_per_duty()
            if rise > self._gov_pa >> 1 and k > _GOV_JUMP * self._gov_k:
                self._gov_n = -1  # the chamber shrank: leave it to the supervisor
                self.cap_u16 = FULL
                return
            if k < self._gov_k:
                self._gov_k = k
        a = self._gov_pa
        up = u_seen + u_seen
        if rise > a >> 1:
            c = u_seen * a // rise  # < 2**16 * 2**12 at 20 ms ticks
        else:
            c = FULL  # (half the allowed rise or less: noise or a slow plant)
        c = ((up if c > up else c) + self.cap_u16 + 1) >> 1  # damped: see the constants
        self.cap_u16 = FULL if c > FULL else (_GOV_FLOOR_U16 if c < _GOV_FLOOR_U16 else c)

    def _rise_per_duty(self):
        """The rise of the last 4 ticks per full duty, against the duties of
        2 to 5 ticks ago (over 4 ticks a sensor that shows a duty a tick
        later, as the bmp280's 8 ms conversion at 100 Hz, misleads little)."""
        j = self._ri  # (after this tick's writes: [j - 1] is the newest)
        ur = self._uring
        u4 = ur[j - 2] + ur[j - 3] + ur[j - 4] + ur[j - 5]  # >= 4 x the floor
        r = self._ring
        return ((r[j - 1] - r[j - 5]) << 6) // (u4 >> 12)

    def start_relay(self, sp, d, margin, limit_ticks):
        """Arm a relay test around setpoint sp, to start once it is held."""
        self.relay.arm(sp, d, margin, limit_ticks)

    def _track(self, pv):
        n = self._ramp_left
        if n > 0:
            # Equal steps that land on the target exactly at the ramp's end.
            sp = self.setpoint_pa
            self.setpoint_pa = sp + (self.target_pa - sp) // n
            self._ramp_left = n - 1
        else:
            self.setpoint_pa = self.target_pa
        pid = self.pid
        if pid.i_acc < 0 and pv <= self.setpoint_pa:
            pid.i_acc -= pid.i_acc >> 1  # at or below the setpoint the vent's integral fades, halved each tick
        u = pid.update(self.setpoint_pa, pv)
        if self._ff:
            # the duty that makes the vacuum move at the target's rate
            u += self._ff * 1000 // self.g_pump * 65
            u = 4 * FULL if u > 4 * FULL else (-4 * FULL if u < -4 * FULL else u)
        was_u16 = self.pump_u16
        self._split(u)
        if self.scheduled:
            self._chatter(was_u16)

    def _chatter(self, was_u16):
        side = 1 if self.pump_u16 else (-1 if self.vent_u16 else 0)
        flip = 0
        if side:
            if side == -self._side:
                # (from or to half the pump or more: a jolt)
                flip = _JOLT_FLIPS if self.pump_u16 + was_u16 >= _HALF_U16 else 1
            self._side = side
        d = self.pump_u16 - was_u16
        if d > _SWING_U16 or d < -_SWING_U16:
            swing = 1 if d > 0 else -1
            if not flip and swing == -self._swing:
                flip = 1
            self._swing = swing
        self._flips += flip
        self._window += 1
        if self._window < _CHATTER_TICKS:
            return
        if self._flips >= _CHATTER_FLIPS and self.detune < _DETUNE_MAX:
            self.detune += 1
            self._schedule()
        self._window = 0
        self._flips = 0

    def _split(self, u):
        db = self.dead_band
        if u > db:
            self.pump_u16 = FULL if u > FULL else u
            self.vent_u16 = 0
        elif u < -db:
            self.pump_u16 = 0
            v = -u * self._vs // _VS_ONE  # products < 2**18 * 2**10
            self.vent_u16 = FULL if v > FULL else v
        else:
            self.pump_u16 = 0
            self.vent_u16 = 0

    def _end_up(self, pv):
        # rate_n was measured at the governed pump: scaled to full duty, the
        # plant gain near the target (the rise is proportional to the duty).
        g = self.rate_n * 1000 // (_N * self.period_ms)
        q = self._usum // _N >> 6  # mean duty in 1/1024 of full
        if 0 < q < 1023 and 0 < g:
            g = g * 1024 // q if g < 1_000_000 else g // q * 1024
        self._gov_slow = _G_MIN <= g < _RISE_GOV_PA_S // 4
        if _G_MIN <= g <= _G_MAX:
            self.g_pump = g
            self.g_measured = True
            self._vent_scale()
            self._schedule()
            self._r_full = g
            self._settled = 0
        self._to_track(pv, self.target_pa)

    def _to_track(self, pv, target_pa):
        self.phase = PHASE_TRACK
        self.pid.reset(pv, self._hold_guess(target_pa))
        # The chatter rule compares tick with tick within a hold: the output
        # the approach or the release left is no crossing.
        self._side = self._swing = 0

    def _refine(self, pv):
        # Full pump climbs at r = G - L; holding takes u = L / G of full duty;
        # so G = r / (1 - u). Once, 1 s after the approach, if still near it.
        t = self.target_pa
        e = pv - t
        if self.setpoint_pa != t or e > t // 100 or -e > t // 100:
            self._settled = 0
            return
        self._settled += 1
        if self._settled < self._refine_ticks:
            return
        self._settled = -1
        u = self.pid.i
        if u <= 0 or u > _REFINE_MAX_HOLD:
            return
        q = FULL * 1000 // (FULL - u)  # 1000 / (1 - u), at most 10 000
        r = self._r_full
        g = r // 1000 * q + (r % 1000) * q // 1000
        if g <= _G_MAX:
            self.g_pump = g
            self._vent_scale()
            self._schedule()

    def _end_down(self, pv):
        g = -self.rate_n * 1000 // (_N * self.period_ms)
        if _G_MIN <= g <= _G_MAX:
            self.g_vent = g
            self._vent_scale()
        self._to_track(pv, self.target_pa)

    def _vent_scale(self):
        # Vent opening per unit of PI output: as strong as the pump, measured.
        if self.g_vent and self.g_measured:
            # (in sixteenths of Pa/s: G up to 5e6 times 256 would pass 2**30)
            vs = (self.g_pump >> 4) * _VS_ONE // ((self.g_vent >> 4) + 1)
            self._set_vs(_VS_MIN if vs < _VS_MIN else (_VS_MAX if vs > _VS_MAX else vs))

    def _set_vs(self, vs):
        # The PI's negative range is stretched so that its saturation is the
        # vent fully open: -out_min * vs / 256 = FULL.
        self._vs = vs
        lo = -(FULL * _VS_ONE // vs) if vs < _VS_ONE else -FULL
        self.pid.set_out_min(lo)  # (and the integrator's range with it: below zero it is the vent's)

    def _remember_hold(self):
        if self.mode != MODE_REGULATE or self.phase != PHASE_TRACK or self.setpoint_pa != self.target_pa:
            return
        ts = self._hold_t
        k = 0 if ts[0] == self.target_pa else (1 if ts[1] == self.target_pa else -1)
        if k < 0:  # replace the older slot
            ts[1] = ts[0]
            self._hold_u[1] = self._hold_u[0]
            k = 0
        ts[k] = self.target_pa
        self._hold_u[k] = self._pump_hold()

    def _pump_hold(self):
        """The integrator as the pump's hold duty: below zero it is the
        vent's transient, which holds nothing (0)."""
        i = self.pid.i
        return i if i > 0 else 0

    def _hold_guess(self, target_pa):
        """Integrator preload: the hold duty learned at (nearly) this target."""
        for k in range(2):
            t = self._hold_t[k]
            d = target_pa - t
            if t and -t <= d * _HOLD_REUSE_DIV <= t:
                return self._hold_u[k]
        return 0
