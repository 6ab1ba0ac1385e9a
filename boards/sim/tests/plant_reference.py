# The plant's integrator as it was before it was made fast (commit fe6471d):
# one linearly implicit (Rosenbrock-Euler) step per call, every expression
# written out as in boards/sim/plant.py's docstring. Kept as the reference the
# fast Plant is checked against (test_plant_reference.py); it is not used by
# the simulated board. Same parameters, faults and read-outs as Plant.
import math

from plant import LINE_VOLUME_ML, MIN_VOLUME_FRAC, PARAM_KEYS, V_LIN_PA

_sqrt = math.sqrt
_ISQ_LIN = 1.0 / _sqrt(V_LIN_PA)
_V_ZERO = 1e-6


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
        self.v = 0.0  # lumped (or chamber, when split) vacuum
        self.vl = 0.0  # line vacuum while split
        self.split = False
        self.extra_leak_l_min_at_10kpa = 0.0
        self.blocked = False
        self.pump_failed = False
        self.pump_stuck_on = False
        self.vent_stuck_closed = False

    @property
    def vacuum_pa(self):
        return self.v

    @property
    def line_vacuum_pa(self):
        return self.vl if self.split else self.v

    def step(self, dt, u, w):
        """One step of dt seconds (dt <= 1 ms, as the world always used)."""
        pa = self.pa
        ivm = 1.0 / self.vm
        if self.pump_failed:
            u = 0.0
        elif self.pump_stuck_on:
            u = 1.0
        elif u > 1.0:
            u = 1.0
        elif not u > 0.0:
            u = 0.0
        if self.vent_stuck_closed:
            w = 0.0
        elif w > 1.0:
            w = 1.0
        elif not w > 0.0:
            w = 0.0
        pkv = pa * self.kv
        pkl = pa * (self.kl + self.extra_leak_l_min_at_10kpa * self.k_per_lmin)
        if self.blocked:
            if not self.split:
                self.split = True
                self.vl = self.v
            vl = self.vl
            cap = self.vline
            num = 0.0
            if u:
                p = pa - vl
                a = u * self.qf
                s = 1.0 - vl * ivm
                num = p * a * s
                cap = cap + dt * a * (s + p * ivm)
            if w:
                g = pkv * w
                if vl > V_LIN_PA:
                    r = _sqrt(vl)
                    num = num - g * r
                    cap = cap + dt * 0.5 * g / r
                else:
                    g = g * _ISQ_LIN
                    num = num - g * vl
                    cap = cap + dt * g
            vl = vl + dt * num / cap
            self.vl = 0.0 if vl < _V_ZERO else self.vtop if vl > self.vtop else vl
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
        g = pkl + pkv * w if w else pkl
        if u:
            p = pa - v
            a = u * self.qf
            s = 1.0 - v * ivm
            num = p * a * s
            cap = cap + dt * a * (s + p * ivm)
        else:
            num = 0.0
        if g:
            if v > V_LIN_PA:
                r = _sqrt(v)
                num = num - g * r
                cap = cap + dt * 0.5 * g / r
            else:
                g = g * _ISQ_LIN
                num = num - g * v
                cap = cap + dt * g
        v = v + dt * num / cap
        self.v = 0.0 if v < _V_ZERO else self.vtop if v > self.vtop else v

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
