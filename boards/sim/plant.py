"""Physical model of the vacuum circuit for the simulated board.

Runs unchanged under MicroPython and CPython (only ``math`` is used).

Model (isothermal ideal gas, see /work/shared/domain.md, "A simple physical
model"). Vacuum depth ``v = p_atm - p`` in Pa (positive below ambient) is the
state variable. For one gas node of volume V at absolute pressure p::

    d(p V)/dt = p_atm * Q_in - p * Q_pump

* Pump: ``Q_pump = u * Q_free * max(0, 1 - v / dp_max)``, a volume flow at
  chamber conditions (u = pump drive 0..1).
* Vent valve and leak: orifices, inflow at ambient conditions
  ``Q = k * sqrt(v)`` with k chosen so that Q equals the configured L/min at
  10 kPa vacuum (vent: scaled linearly by the opening 0..1). Below
  ``V_LIN_PA`` (100 Pa) the square root is replaced by the straight line
  ``Q = k * v / sqrt(V_LIN_PA)`` (continuous at 100 Pa), which keeps the
  equation non-stiff near ambient (finite slope at 0) so the vacuum decays
  exponentially to 0.
* Tissue / dressing compliance: ``V = V0 - C * v``, floored at 20 % of V0.
  Because ``dV/dt = C * dp/dt`` the effective capacitance is
  ``V + p * C`` (just ``V`` once the floor is reached).

Two gas nodes: the device-side *line* (pump, vent valve, pressure sensor;
fixed ``LINE_VOLUME_ML`` = 2 mL of tubing) and the patient-side *chamber*
(cup / dressing / canister, ``volume_ml``, compliant, carries the leak).

* Not blocked: the connecting tube has high conductance, so the two are
  treated as ONE lumped node of volume ``volume_ml + 2 mL`` (the line is
  included, so a 5 mL cup behaves as 7 mL of gas plus its compliance).
  ``vacuum_pa == line_vacuum_pa``.
* ``blocked = True``: the tube is completely occluded. The line (2 mL, rigid)
  keeps the pump and vent; the chamber keeps the leak (base + extra) and its
  compliance and slowly loses vacuum. The sensor (``line_vacuum_pa``) then
  sees vacuum rise far faster than the pump could explain for the chamber.
  When the blockage clears the two nodes are merged again conserving the
  amount of gas (``p * V`` summed over both nodes).

Integration: one linearly implicit (Rosenbrock-Euler) step per call for
``dt_s <= MAX_DT_S`` (1 ms), with the exact analytic Jacobian of the flow
terms::

    v_new = v + dt * N(v) / (Cap(v) - dt * dN/dv)

where ``N`` is the net gas removal rate (Pa m^3/s) and ``dN/dv <= 0``. This is
unconditionally stable (a 2 mL line against a 500 L/min vent at 1 ms is fine),
monotone for the pull-down and pump saturation, and its fixed points are the
exact equilibria of the ODE regardless of dt. Larger ``dt_s`` are split into
1 ms sub-steps. The vacuum is clamped to ``0 .. min(dp_max, p_atm)``.
``advance_us(us, ...)`` runs the simulated board's grid (1 ms steps, then the
remainder) in one resume; ``trace`` keeps the line vacuum after each of the
last TRACE_STEPS steps. The lumped step is evaluated in an expanded form
(see _integrator) equal to the one above up to rounding;
boards/sim/tests/test_plant_reference.py checks it against the plain form
(plant_reference.py) on every named scenario.

``vacuum_pa`` and ``line_vacuum_pa`` are outputs: the state lives inside the
integrator, so assigning them does not change the plant.

Flow read-outs (``pump_flow_l_min``, ``vent_flow_l_min``, ``leak_flow_l_min``)
are computed on demand from the state after the most recent step and the
effective (fault-adjusted) commands of that step, so stepping costs nothing
for them. Inflows are L/min at ambient conditions, pump flow is L/min at the
pump inlet (line) conditions.

Performance (MicroPython 1.28 Unix port, this machine): about 8.5 k
instructions (~0.9 us) per 1 ms step and ~20 k per resume, so ~6 us per
5 ms control period (docs/simulation.md, "Where the time goes"). Two
MicroPython costs shape the code and apply to any hot path:

* A function whose arguments + locals + evaluation stack exceed 11 words gets
  its frame allocated on the heap at EVERY call (``VM_MAX_STATE_ON_STACK`` in
  py/objfun.c); with float garbage around, that costs 1-3 us per call. So
  ``step``/``advance_us`` are tiny and forward to a long-lived generator
  (``_integrator``) whose frame, holding all constants and state as locals,
  is allocated once; its inputs are attributes (a tuple per resume would be
  garbage), so a resume allocates nothing but the float results.
* A class with any ``@property`` makes every instance attribute access about
  0.1 us slower, so the flow read-outs use ``__getattr__`` instead.
"""

import math

_sqrt = math.sqrt

LINE_VOLUME_ML = 2.0  # device-side tubing + sensor port, mL
V_LIN_PA = 100.0  # orifice law linearised below this vacuum, Pa
MAX_DT_S = 0.001  # larger steps are split into sub-steps of at most this
STEP_US = 1000  # the simulated board's physics grid (World): 1 ms steps
STEP_S = STEP_US * 1e-6  # == 0.001, as the world has always computed it
TRACE_STEPS = 16  # line vacuum kept after each of the last this many steps of a resume (a power of 2)
MIN_VOLUME_FRAC = 0.2  # compliance cannot shrink the chamber below this
_ISQ_LIN = 1.0 / _sqrt(V_LIN_PA)
_RISE_LIMIT_S = 600.0
_V_ZERO = 1e-6  # vacuum below this (Pa) is exactly ambient

# Optional keys (scenario.py validates them; absent = the ideal part):
# pump_curve [[vacuum_kpa, fraction_of_free_flow], ...] from [0, 1] falling
# to [max_vacuum_kpa, 0]; vent_curve [[drive_fraction, opening_fraction],
# ...] from [0, 0] rising to [1, 1]; tube_length_m and
# tube_inner_diameter_mm (0 = no tubing).
OPTIONAL_KEYS = ("pump_curve", "vent_curve", "tube_length_m", "tube_inner_diameter_mm")
AIR_VISCOSITY_PA_S = 1.81e-5  # dry air at 20 degC (laminar tube flow)
_FAR = 1e30  # a pump-curve segment bound that is never crossed

PARAM_KEYS = (
    "volume_ml",
    "compliance_ml_per_kpa",
    "pump_free_flow_l_min",
    "pump_max_vacuum_kpa",
    "leak_l_min_at_10kpa",
    "vent_l_min_at_10kpa",
    "ambient_kpa",
)


def interp(xs, ys, x):
    """Piecewise-linear ys(x) through the points (xs ascending), held
    constant beyond the ends."""
    if x <= xs[0]:
        return ys[0]
    n = len(xs)
    for i in range(1, n):
        if x <= xs[i]:
            x0 = xs[i - 1]
            return ys[i - 1] + (ys[i] - ys[i - 1]) * (x - x0) / (xs[i] - x0)
    return ys[n - 1]


def _fraction(x):
    """A command limited to 0..1 (anything not above 0, NaN too, is 0)."""
    if x > 1.0:
        return 1.0
    if not x > 0.0:
        return 0.0
    return x


def _orifice(k, v):
    """Inflow (same units as k) of an orifice with coefficient k at vacuum v."""
    if v > V_LIN_PA:
        return k * _sqrt(v)
    if v > 0.0:
        return k * v * _ISQ_LIN
    return 0.0


class Plant:
    # Fault inputs: none until the world sets one on the instance (a
    # scenario's event); the integrator reads them at each resume.
    extra_leak_l_min_at_10kpa = 0.0
    blocked = False
    pump_failed = False
    pump_stuck_on = False
    vent_stuck_closed = False

    def __init__(self, params):
        p = {}
        for key in PARAM_KEYS:
            if key not in params:
                raise KeyError("plant parameter '%s' missing" % key)
            p[key] = float(params[key])
        self._params = dict(p)
        for key in OPTIONAL_KEYS:
            if key in params:
                self._params[key] = params[key]
        pa = p["ambient_kpa"] * 1000.0
        v0 = p["volume_ml"] * 1e-6  # m^3
        c = p["compliance_ml_per_kpa"] * 1e-9  # m^3 per Pa of vacuum
        qf = p["pump_free_flow_l_min"] / 60000.0  # m^3/s
        vm = p["pump_max_vacuum_kpa"] * 1000.0
        # orifice coefficient per (L/min at 10 kPa): m^3/s per sqrt(Pa)
        k_per_lmin = 1.0 / 60000.0 / _sqrt(10000.0)
        vline = LINE_VOLUME_ML * 1e-6
        vmin = v0 * MIN_VOLUME_FRAC
        if c > 0.0:
            v_floor = (v0 - vmin) / c
        else:
            v_floor = 1e30
        self._pa = pa
        self._vm = vm
        self._vtop = vm if vm < pa else pa
        self._qf = qf
        self._v0 = v0
        self._c = c
        self._vline = vline
        self._vmin = vmin
        self._v_floor = v_floor
        self._k_per_lmin = k_per_lmin
        self._kv = p["vent_l_min_at_10kpa"] * k_per_lmin
        self._kl = p["leak_l_min_at_10kpa"] * k_per_lmin
        # Pump curve: fraction of free flow s(v) = A_i - B_i v on segment i
        # (vacuum from _seg_v[i] to _seg_v[i + 1], Pa); the default is the
        # straight line from (0, 1) to (vm, 0): one segment, A = 1, B = 1/vm.
        curve = params.get("pump_curve")
        if curve:
            pts = [(float(c[0]) * 1000.0, float(c[1])) for c in curve]
            vm = pts[-1][0]
            self._vm = vm
            self._vtop = vm if vm < pa else pa
        else:
            pts = [(0.0, 1.0), (vm, 0.0)]
        # Each segment as (A, B, lo, hi): its bounds are open-ended at the
        # curve's two ends (lo, hi: the vacuum range in which v stays on it).
        self._seg_v = [q[0] for q in pts]
        self._seg_f = [q[1] for q in pts]
        self._segs = []
        last = len(pts) - 2
        for i in range(last + 1):
            (v0_, f0_), (v1_, f1_) = pts[i], pts[i + 1]
            if i == 0 and len(pts) == 2 and f0_ == 1.0 and f1_ == 0.0 and v0_ == 0.0:
                b = 1.0 / v1_  # the straight line, exactly as before curves
            else:
                b = (f0_ - f1_) / (v1_ - v0_)
            self._segs.append((f0_ + b * v0_, b, v0_ if i else -_FAR, v1_ if i < last else _FAR))
        # Vent: opening against the drive toward opening (None: linear).
        vc = params.get("vent_curve")
        self._vent_x = [float(c[0]) for c in vc] if vc else None
        self._vent_y = [float(c[1]) for c in vc] if vc else None
        # Tubing between the device side (pump, vent, sensor) and the
        # patient side: half its volume on each node, laminar (Poiseuille)
        # conductance between them; gas flow F = G * p_mean * (v_l - v_c).
        tl = float(params.get("tube_length_m", 0.0) or 0.0)
        td = float(params.get("tube_inner_diameter_mm", 0.0) or 0.0)
        self.tube = tl > 0.0 and td > 0.0
        if self.tube:
            r = td * 0.5e-3
            half = 0.5 * math.pi * r * r * tl
            self._tube_half_m3 = half
            self._tube_g = math.pi * r ** 4 / (8.0 * AIR_VISCOSITY_PA_S * tl)  # m^3/s per Pa
        else:
            self._tube_half_m3 = 0.0
            self._tube_g = 0.0
        # Pump flow scale: a sagging supply times wear (the world sets it).
        self.pump_scale = 1.0
        # state
        self._u = 0.0  # effective pump drive of the last step
        self._a = 0.0  # its free flow, m^3/s (drive x free flow x pump_scale)
        self._vent = 0.0  # effective vent opening of the last step
        self._split = False  # True while the line and chamber are separate
        self.vacuum_pa = 0.0
        self.line_vacuum_pa = 0.0
        # Line vacuum after each step of the last resume, a ring of the last
        # TRACE_STEPS: trace[i % TRACE_STEPS] is the value i + 1 steps after
        # its start. The world shows a sensor the grid points around its
        # conversion's end from here instead of stopping the physics there.
        self.trace = [0.0] * TRACE_STEPS
        # Inputs of the next resume of the integrator, passed as attributes
        # (a tuple per resume would be garbage): n steps of dt, then one of
        # dt_last if it is > 0, with pump drive u and vent opening w.
        self._in_n = 0
        self._in_dt = 0.0
        self._in_last = 0.0
        self._in_u = 0.0
        self._in_w = 0.0
        gen = self._integrator()
        next(gen)
        self._send = gen.send

    # ------------------------------------------------------------------ step
    # These stay tiny so MicroPython can put their frames on the C stack.
    def step(self, dt_s, pump_drive, vent_open):
        if dt_s > MAX_DT_S:
            self._substeps(dt_s, pump_drive, vent_open)
        elif dt_s > 0.0:
            self._in_n = 1
            self._in_dt = dt_s
            self._run(0.0, pump_drive, vent_open)

    def _substeps(self, dt_s, pump_drive, vent_open):
        n = int(dt_s / MAX_DT_S)
        if n * MAX_DT_S < dt_s:
            n += 1
        self._in_n = n
        self._in_dt = dt_s / n
        self._run(0.0, pump_drive, vent_open)

    def advance_us(self, us, pump_drive, vent_open):
        """Integrate ``us`` microseconds with constant commands: exactly what
        step() does when called with 1 ms steps and then the remainder (the
        simulated board's physics grid), in one resume of the integrator."""
        self._in_n = us // STEP_US
        self._in_dt = STEP_S
        self._run((us % STEP_US) * 1e-6, pump_drive, vent_open)

    def _run(self, dt_last, pump_drive, vent_open):
        self._in_last = dt_last
        self._in_u = pump_drive
        self._in_w = vent_open
        self._send(None)

    def _seg(self, v):
        """Index of the pump-curve segment that holds vacuum v (Pa)."""
        sv = self._seg_v
        j = 0
        last = len(sv) - 2
        while j < last and v > sv[j + 1]:
            j += 1
        return j

    def _integrator(self):
        # A generator on purpose: MicroPython allocates the frame of any
        # function needing more than 11 slots (locals + stack) on the heap at
        # every call, and with the float garbage of the simulation that costs
        # 1-3 us per call. A generator's frame is allocated once; resuming it
        # allocates nothing. All constants and state live in its locals.
        # One resume integrates n steps of dt with constant commands: the
        # commands and faults only change between resumes, so everything
        # that depends on them alone is computed once per resume. Products
        # are hoisted only in the order the expressions evaluate them
        # (``dt * a * x`` is ``(dt * a) * x``), so the result is the same, bit
        # for bit, as n separate single steps.
        #
        # The pump's fraction of free flow is A - B v on the pump curve's
        # segment that holds v (slo..shi); the coefficients are recomputed
        # only when v leaves it (never for the default straight line).
        pa = self._pa
        vtop = self._vtop
        qf = self._qf
        v_floor = self._v_floor
        c2 = 2.0 * self._c
        cap0 = self._vline + self._v0 + self._c * pa  # lumped, compliant
        capf = self._vline + self._vmin  # lumped, floored
        ccap0 = self._v0 + self._c * pa  # chamber alone, compliant
        ccapf = self._vmin  # chamber alone, floored
        lcap = self._vline  # line alone (rigid)
        th = self._tube_half_m3  # tubing: half its volume on each side
        tg = self._tube_g
        tube = self.tube
        lcapt = lcap + th
        ccap0t = ccap0 + th
        ccapft = ccapf + th
        pkv = pa * self._kv
        kl = self._kl
        klm = self._k_per_lmin
        pkl = pa * kl
        vlin = V_LIN_PA
        isq = _ISQ_LIN
        vzero = _V_ZERO
        sqrt = _sqrt
        tr = self.trace
        ntr = TRACE_STEPS
        trm = TRACE_STEPS - 1
        segs = self._segs
        seg = self._seg
        far = _FAR
        vx = self._vent_x
        vy = self._vent_y
        A, B, slo, shi = segs[0]
        tzero = True  # the trace holds only zeros
        xl_seen = 0.0
        v = 0.0  # lumped (or chamber, when split or with tubing) vacuum, Pa
        vl = 0.0  # line vacuum while split or with tubing, Pa
        split = False
        while True:
            yield
            n = self._in_n
            u = self._in_u
            w = self._in_w
            # effective commands after faults
            if self.pump_failed:
                u = 0.0
            elif self.pump_stuck_on:
                u = 1.0
            else:
                u = _fraction(u)
            w = 0.0 if self.vent_stuck_closed else _fraction(w)
            if vx is not None and w:
                w = interp(vx, vy, w)  # the valve's opening at this drive
            self._u = u
            self._vent = w
            xl = self.extra_leak_l_min_at_10kpa
            if xl != xl_seen:
                xl_seen = xl
                pkl = pa * (kl + xl * klm)
            a = u * qf
            sc = self.pump_scale
            if sc != 1.0:
                a = a * sc
            self._a = a
            dt = self._in_dt
            last = self._in_last
            # Blocked without tubing, the line and the chamber become two
            # nodes (split); cleared, one again, their gas conserved.
            if tube:
                gt = 0.0 if self.blocked else tg
            elif self.blocked:
                if not split:
                    split = True
                    self._split = True
                    vl = v
            else:
                if split:
                    split = False
                    self._split = False
                    v = self._merged_vacuum(v, vl)
                vl = v  # one node: the line is the chamber
            if not u and not v and not vl and not split:
                # Ambient with the pump off: every step leaves both nodes
                # at exactly 0 (no net flow), so none is computed.
                self.vacuum_pa = v
                self.line_vacuum_pa = vl
                if not tzero:
                    for k in range(ntr):
                        tr[k] = vl
                    tzero = True
                continue
            two = tube or split
            if two:
                # --- two nodes: the device side (the line: pump, vent,
                # sensor; rigid) and the patient side. With tubing they are
                # joined by it and the patient side is compliant and leaks
                # (a blockage cuts the tube); without, they are apart only
                # while blocked, and the chamber cut off keeps only its leak.
                gv = pkv * w
                glv = gv * isq
                gll = pkl * isq
            else:
                # --- lumped node: line + chamber
                # One step, with q = pa - v, s = A - B v (the pump
                # curve's segment; 1 - v/vm by default), r = sqrt(v):
                #   N   = a q s - g r        (net removal, Pa m^3/s)
                #   Cap = capb(v) + dt (a (s + q B) + g / (2 r))
                #   v  += dt N / Cap
                # (capb = cap0 - 2 C v, or capf on the compliance floor;
                # below V_LIN_PA the orifice is g v / sqrt(V_LIN_PA)).
                # Expanded in powers of v, with everything that depends
                # only on the commands, dt and the segment computed once:
                #   dt N   = b0 - b1 v + b2 v^2 - gd r
                #   Cap    = k0 - k1 v + hg / r
                if w:
                    g = pkl + pkv * w
                else:
                    g = pkl
            k = 0  # step count: the trace is a ring of TRACE_STEPS
            tzero = False
            while True:  # n steps of dt, then one of last
                if not n:
                    if not last:
                        break
                    n = 1
                    dt = last
                    last = 0.0
                da = dt * a
                if two:
                    hgv = dt * 0.5 * gv
                    dtglv = dt * glv
                    hgl = dt * 0.5 * pkl
                    dtgll = dt * gll
                    for _ in range(n):
                        # device side: rigid, pump and vent (lcapt: the
                        # line and, with tubing, half the tube)
                        a11 = lcapt
                        f1 = 0.0
                        if a:
                            if vl < slo or vl > shi:
                                A, B, slo, shi = segs[seg(vl)]
                            q = pa - vl
                            s = A - B * vl
                            f1 = q * a * s
                            a11 = a11 + da * (s + q * B)
                        if w:
                            if vl > vlin:
                                r = sqrt(vl)
                                f1 = f1 - gv * r
                                a11 = a11 + hgv / r
                            else:
                                f1 = f1 - glv * vl
                                a11 = a11 + dtglv
                        if tube:
                            # patient side: compliant, leak
                            if v < v_floor:
                                a22 = ccap0t - c2 * v
                            else:
                                a22 = ccapft
                            f2 = 0.0
                            if pkl and v > 0.0:
                                if v > vlin:
                                    r = sqrt(v)
                                    f2 = -pkl * r
                                    a22 = a22 + hgl / r
                                else:
                                    f2 = -gll * v
                                    a22 = a22 + dtgll
                            # the tube: laminar, F = G p_mean (vl - v)
                            if gt:
                                gp = gt * (pa - 0.5 * (vl + v))
                                fl = gp * (vl - v)
                                f1 = f1 - fl
                                f2 = f2 + fl
                                dg = dt * gp
                                a11 = a11 + dg
                                a22 = a22 + dg
                                det = a11 * a22 - dg * dg
                                vl = vl + dt * (f1 * a22 + dg * f2) / det
                                v = v + dt * (a11 * f2 + dg * f1) / det
                            else:
                                vl = vl + dt * f1 / a11
                                v = v + dt * f2 / a22
                            if vl < vzero:
                                vl = 0.0
                            elif vl > vtop:
                                vl = vtop
                            if v < vzero:
                                v = 0.0
                            elif v > vtop:
                                v = vtop
                        else:
                            vl = vl + dt * f1 / a11
                            if vl < vzero:
                                vl = 0.0
                            elif vl > vtop:
                                vl = vtop
                            # --- chamber: compliant, cut off, leak only
                            if pkl and v > 0.0:
                                if v < v_floor:
                                    cap = ccap0 - c2 * v
                                else:
                                    cap = ccapf
                                if v > vlin:
                                    r = sqrt(v)
                                    v = v - dt * pkl * r / (cap + hgl / r)
                                else:
                                    v = v - dt * gll * v / (cap + dtgll)
                                if v < vzero:
                                    v = 0.0
                        tr[k & trm] = vl
                        k += 1
                else:
                    gd = dt * g
                    hg = 0.5 * gd
                    gld = gd * isq  # linear orifice, per Pa
                    slo = far  # the first step computes this dt's coefficients below
                    for i in range(k, k + n):
                        if v < slo or v > shi:
                            # the coefficients of this dt on the pump curve's
                            # segment that holds v (again only if v leaves it)
                            A, B, slo, shi = segs[seg(v)]
                            e1 = A + pa * B
                            e2 = 2.0 * B
                            b0 = da * pa * A
                            b1 = da * e1
                            b2 = da * B
                            b1l = b1 + gld
                            k0 = cap0 + da * e1
                            k1 = c2 + da * e2
                            k0f = capf + da * e1
                            k1f = da * e2
                        if v > vlin:
                            r = sqrt(v)
                            if v < v_floor:
                                v = v + (b0 + v * (b2 * v - b1) - gd * r) / (k0 - k1 * v + hg / r)
                            else:
                                v = v + (b0 + v * (b2 * v - b1) - gd * r) / (k0f - k1f * v + hg / r)
                        elif v < v_floor:
                            v = v + (b0 + v * (b2 * v - b1l)) / (k0 + gld - k1 * v)
                        else:
                            v = v + (b0 + v * (b2 * v - b1l)) / (k0f + gld - k1f * v)
                        if v < vzero:
                            v = 0.0  # also keeps the decay out of slow subnormal floats
                        elif v > vtop:
                            v = vtop
                        tr[i & trm] = v
                    k += n
                    vl = v
                n = 0
            self.vacuum_pa = v
            self.line_vacuum_pa = vl

    def _chamber_volume(self, v):
        vc = self._v0 - self._c * v
        if vc < self._vmin:
            vc = self._vmin
        return vc

    def _merged_vacuum(self, vc, vl):
        """Blockage cleared: vacuum of line and chamber joined, conserving
        the amount of gas p*V summed over both nodes."""
        pa = self._pa
        vline = self._vline
        n = (pa - vl) * vline + (pa - vc) * self._chamber_volume(vc)
        # (pa - v) * (vline + Vc(v)) is strictly decreasing in v: bisect.
        lo = 0.0
        hi = pa
        for _ in range(60):
            mid = 0.5 * (lo + hi)
            if (pa - mid) * (vline + self._chamber_volume(mid)) > n:
                lo = mid
            else:
                hi = mid
        v = 0.5 * (lo + hi)
        if v > self._vtop:
            v = self._vtop
        return v

    # -------------------------------------------------------------- read-outs
    # Computed on demand through __getattr__ rather than @property: in
    # MicroPython a class with any property makes every instance attribute
    # access slower (about +0.1 us each), which the step would pay 20 times.
    def __getattr__(self, name):
        if name == "pump_flow_l_min":
            if not self._a:
                return 0.0
            s = interp(self._seg_v, self._seg_f, self.line_vacuum_pa)
            if s <= 0.0:
                return 0.0
            return self._a * 60000.0 * s
        if name == "vent_flow_l_min":
            if not self._vent:
                return 0.0
            return _orifice(self._kv * self._vent, self.line_vacuum_pa) * 60000.0
        if name == "leak_flow_l_min":
            k = self._kl + self.extra_leak_l_min_at_10kpa * self._k_per_lmin
            return _orifice(k, self.vacuum_pa) * 60000.0
        if name == "params":
            return dict(self._params)
        raise AttributeError(name)

    # ---------------------------------------------------------------- helpers
    def equilibrium_vacuum_pa(self, pump_drive=1.0, vent_open=0.0):
        """Steady-state vacuum of a fault-free, unblocked plant with the given
        constant commands (base leak only). Net removal is strictly
        decreasing in vacuum, so a bisection finds the unique root."""
        pa = self._pa
        a = pump_drive * self._qf * self.pump_scale
        if self._vent_x is not None:
            vent_open = interp(self._vent_x, self._vent_y, vent_open)
        k = self._kl + self._kv * vent_open
        lo = 0.0
        hi = self._vtop
        if a <= 0.0:
            return 0.0
        for _ in range(60):
            mid = 0.5 * (lo + hi)
            s = interp(self._seg_v, self._seg_f, mid)
            if s < 0.0:
                s = 0.0
            net = (pa - mid) * a * s - pa * _orifice(k, mid)
            if net > 0.0:
                lo = mid
            else:
                hi = mid
        return 0.5 * (lo + hi)

    def full_duty_rise_time_s(self, target_pa, tol_frac=0.02):
        """Physical limit for pull-down: time for a fresh copy of this plant
        (same params, no faults, from ambient), pump at full drive and vent
        shut, to first reach target_pa * (1 - tol_frac). Simulated with the
        same 1 ms steps the board uses, interpolated within the crossing step.
        Returns None when the target is above the reachable equilibrium or not
        reached within 600 s."""
        thr = target_pa * (1.0 - tol_frac)
        if thr <= 0.0:
            return 0.0
        if thr >= self.equilibrium_vacuum_pa(1.0, 0.0):
            return None
        sim = Plant(self._params)
        sim.pump_scale = self.pump_scale
        dt = MAX_DT_S
        prev = 0.0
        for i in range(int(_RISE_LIMIT_S / dt + 0.5)):
            sim.step(dt, 1.0, 0.0)
            v = sim.vacuum_pa
            if v >= thr:
                return (i + (thr - prev) / (v - prev)) * dt
            prev = v
        return None
