# The plant's integrator as it was before it was made fast (commit fe6471d):
# one linearly implicit (Rosenbrock-Euler) step per call, every expression
# written out as in boards/sim/plant.py's docstring. Kept as the reference the
# fast Plant is checked against (test_plant_reference.py); it is not used by
# the simulated board. Same parameters, faults and read-outs as Plant.
import math

from plant import AIR_VISCOSITY_PA_S, LINE_VOLUME_ML, MIN_VOLUME_FRAC, PARAM_KEYS, V_LIN_PA

_sqrt = math.sqrt
_ISQ_LIN = 1.0 / _sqrt(V_LIN_PA)
_V_ZERO = 1e-6


def _fraction(x):
    """x clamped to 0..1 (NaN: 0)."""
    return 1.0 if x > 1.0 else x if x > 0.0 else 0.0


class ReferencePlant:
    def __init__(self, params):
        p = {k: float(params[k]) for k in PARAM_KEYS}
        self.pa = pa = p["ambient_kpa"] * 1000.0
        self.v0 = v0 = p["volume_ml"] * 1e-6
        self.c = c = p["compliance_ml_per_kpa"] * 1e-9
        self.qf = p["pump_free_flow_l_min"] / 60000.0
        self.vm = vm = p["pump_max_vacuum_kpa"] * 1000.0
        self.k_per_lmin = 1.0 / 60000.0 / _sqrt(10000.0)
        self.vline = LINE_VOLUME_ML * 1e-6
        self.vmin = v0 * MIN_VOLUME_FRAC
        self.v_floor = (v0 - self.vmin) / c if c > 0.0 else 1e30
        self.vtop = vm if vm < pa else pa
        self.kv = p["vent_l_min_at_10kpa"] * self.k_per_lmin
        self.kl = p["leak_l_min_at_10kpa"] * self.k_per_lmin
        # issue 17: the pump's curve (fraction of free flow against vacuum,
        # its local slope), the vent's curve, tubing, a pump flow scale.
        pc = params.get("pump_curve") or [[0.0, 1.0], [vm / 1000.0, 0.0]]
        self.pc_v = [c[0] * 1000.0 for c in pc]
        self.pc_f = [c[1] for c in pc]
        if params.get("pump_curve"):
            self.vm = self.pc_v[-1]
            self.vtop = self.vm if self.vm < pa else pa
        vc = params.get("vent_curve")
        self.vent_curve = ([c[0] for c in vc], [c[1] for c in vc]) if vc else None
        tl = float(params.get("tube_length_m", 0.0) or 0.0)
        td = float(params.get("tube_inner_diameter_mm", 0.0) or 0.0)
        self.tube = tl > 0.0 and td > 0.0
        if self.tube:
            r = td * 0.5e-3
            self.tube_half = 0.5 * math.pi * r * r * tl
            self.tube_g = math.pi * r ** 4 / (8.0 * AIR_VISCOSITY_PA_S * tl)
        self.pump_scale = 1.0
        self.v = 0.0  # lumped (or chamber, when split) vacuum
        self.vl = 0.0  # line vacuum while split
        self.split = False
        # fault inputs, set by a test
        self.extra_leak_l_min_at_10kpa = 0.0
        self.blocked = self.pump_failed = self.pump_stuck_on = self.vent_stuck_closed = False

    @property
    def vacuum_pa(self):
        return self.v

    @property
    def line_vacuum_pa(self):
        return self.vl if (self.split or self.tube) else self.v

    def _pump(self, v):
        """(fraction of free flow, its fall per Pa) at vacuum v."""
        xs, ys = self.pc_v, self.pc_f
        for i in range(1, len(xs)):
            if v <= xs[i] or i == len(xs) - 1:
                if len(xs) == 2 and ys[0] == 1.0 and ys[1] == 0.0 and xs[0] == 0.0:
                    b = 1.0 / xs[1]
                else:
                    b = (ys[i - 1] - ys[i]) / (xs[i] - xs[i - 1])
                return ys[i - 1] - b * (v - xs[i - 1]), b
        return 0.0, 0.0

    def _tube_step(self, dt, u, w):
        """Line (pump, vent; rigid, half the tube) and chamber (leak,
        compliant, half the tube) joined by a laminar tube: one linearly
        implicit step of the two-node system, written out."""
        pa = self.pa
        vl, vc = self.vl, self.v
        a = u * self.qf * self.pump_scale
        # line
        c11 = self.vline + self.tube_half
        f1 = 0.0
        if a:
            s, b = self._pump(vl)
            f1 = (pa - vl) * a * s
            c11 += dt * a * (s + (pa - vl) * b)
        gv = pa * self.kv * w
        if gv:
            if vl > V_LIN_PA:
                f1 -= gv * _sqrt(vl)
                c11 += dt * 0.5 * gv / _sqrt(vl)
            else:
                f1 -= gv * _ISQ_LIN * vl
                c11 += dt * gv * _ISQ_LIN
        # chamber
        if vc < self.v_floor:
            c22 = self.v0 + self.c * pa - 2.0 * self.c * vc + self.tube_half
        else:
            c22 = self.vmin + self.tube_half
        gl = pa * (self.kl + self.extra_leak_l_min_at_10kpa * self.k_per_lmin)
        f2 = 0.0
        if gl and vc > 0.0:
            if vc > V_LIN_PA:
                f2 = -gl * _sqrt(vc)
                c22 += dt * 0.5 * gl / _sqrt(vc)
            else:
                f2 = -gl * _ISQ_LIN * vc
                c22 += dt * gl * _ISQ_LIN
        g = 0.0 if self.blocked else self.tube_g * (pa - 0.5 * (vl + vc))
        f1 -= g * (vl - vc)
        f2 += g * (vl - vc)
        # (C - dt J) d = dt f with J's tube terms: [[-g, g], [g, -g]]
        a11 = c11 + dt * g
        a22 = c22 + dt * g
        a12 = a21 = -dt * g
        det = a11 * a22 - a12 * a21
        dl = (dt * f1 * a22 - a12 * dt * f2) / det
        dc = (a11 * dt * f2 - a21 * dt * f1) / det
        vl += dl
        vc += dc
        self.vl = 0.0 if vl < _V_ZERO else self.vtop if vl > self.vtop else vl
        self.v = 0.0 if vc < _V_ZERO else self.vtop if vc > self.vtop else vc

    def step(self, dt, u, w):
        """One step of dt seconds (dt <= 1 ms, as the world always used)."""
        pa = self.pa
        ivm = 1.0 / self.vm
        u = 0.0 if self.pump_failed else 1.0 if self.pump_stuck_on else _fraction(u)
        w = 0.0 if self.vent_stuck_closed else _fraction(w)
        if self.vent_curve is not None and w:
            xs, ys = self.vent_curve
            for i in range(1, len(xs)):
                if w <= xs[i]:
                    w = ys[i - 1] + (ys[i] - ys[i - 1]) * (w - xs[i - 1]) / (xs[i] - xs[i - 1])
                    break
        if self.tube:
            self._tube_step(dt, u, w)
            return
        pkv = pa * self.kv
        pkl = pa * (self.kl + self.extra_leak_l_min_at_10kpa * self.k_per_lmin)
        if self.blocked:
            if not self.split:
                self.split = True
                self.vl = self.v
            self.vl = self._integrate(self.vl, self.vline, u, pkv * w, pa, dt)
            v = self.v
            if pkl and v > 0.0:
                cap = self.v0 + self.c * pa - 2.0 * self.c * v if v < self.v_floor else self.vmin
                if v > V_LIN_PA:
                    r = _sqrt(v)
                    v = v - dt * pkl * r / (cap + dt * 0.5 * pkl / r)
                else:
                    g = pkl * _ISQ_LIN
                    v = v - dt * g * v / (cap + dt * g)
                self.v = 0.0 if v < _V_ZERO else v
            return
        if self.split:
            self.split = False
            self.v = self._merged(self.v, self.vl)
        v = self.v
        if v < self.v_floor:
            cap = self.vline + self.v0 + self.c * pa - 2.0 * self.c * v
        else:
            cap = self.vline + self.vmin
        self.v = self._integrate(v, cap, u, pkl + pkv * w if w else pkl, pa, dt)

    def _integrate(self, x, cap, u, g, pa, dt):
        """One implicit step of the vacuum x of a volume of capacity cap: the
        pump's flow at duty u and an orifice of conductance g (square root of
        the vacuum above V_LIN_PA, linear below); clamped to 0..vtop."""
        num = 0.0
        if u:
            p = pa - x
            a = u * self.qf * self.pump_scale
            s, b = self._pump(x)
            num = p * a * s
            cap = cap + dt * a * (s + p * b)
        if g:
            if x > V_LIN_PA:
                r = _sqrt(x)
                num = num - g * r
                cap = cap + dt * 0.5 * g / r
            else:
                g = g * _ISQ_LIN
                num = num - g * x
                cap = cap + dt * g
        x = x + dt * num / cap
        return 0.0 if x < _V_ZERO else self.vtop if x > self.vtop else x

    def _chamber_volume(self, v):
        vc = self.v0 - self.c * v
        return self.vmin if vc < self.vmin else vc

    def _merged(self, vc, vl):
        pa = self.pa
        n = (pa - vl) * self.vline + (pa - vc) * self._chamber_volume(vc)
        lo = 0.0
        hi = pa
        for _ in range(60):
            mid = 0.5 * (lo + hi)
            if (pa - mid) * (self.vline + self._chamber_volume(mid)) > n:
                lo = mid
            else:
                hi = mid
        v = 0.5 * (lo + hi)
        return self.vtop if v > self.vtop else v
