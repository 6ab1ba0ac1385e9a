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

PARAM_KEYS = (
    "volume_ml",
    "compliance_ml_per_kpa",
    "pump_free_flow_l_min",
    "pump_max_vacuum_kpa",
    "leak_l_min_at_10kpa",
    "vent_l_min_at_10kpa",
    "ambient_kpa",
)


def _orifice(k, v):
    """Inflow (same units as k) of an orifice with coefficient k at vacuum v."""
    if v > V_LIN_PA:
        return k * _sqrt(v)
    if v > 0.0:
        return k * v * _ISQ_LIN
    return 0.0


class Plant:
    def __init__(self, params):
        p = {}
        for key in PARAM_KEYS:
            if key not in params:
                raise KeyError("plant parameter '%s' missing" % key)
            p[key] = float(params[key])
        self._params = p
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
        # state
        self._u = 0.0  # effective pump drive of the last step
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
        # fault inputs
        self.extra_leak_l_min_at_10kpa = 0.0
        self.blocked = False
        self.pump_failed = False
        self.pump_stuck_on = False
        self.vent_stuck_closed = False
        self.interrupted = False  # a Ctrl-C arrived inside the integrator
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
        if self.interrupted:
            self.interrupted = False
            raise KeyboardInterrupt

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
        pa = self._pa
        ivm = 1.0 / self._vm
        vtop = self._vtop
        qf = self._qf
        v_floor = self._v_floor
        c2 = 2.0 * self._c
        cap0 = self._vline + self._v0 + self._c * pa  # lumped, compliant
        capf = self._vline + self._vmin  # lumped, floored
        ccap0 = self._v0 + self._c * pa  # chamber alone, compliant
        ccapf = self._vmin  # chamber alone, floored
        lcap = self._vline  # line alone (rigid)
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
        e1 = 1.0 + pa * ivm
        e2 = 2.0 * ivm
        tzero = True  # the trace holds only zeros
        xl_seen = 0.0
        v = 0.0  # lumped (or chamber, when split) vacuum, Pa
        vl = 0.0  # line vacuum while split, Pa
        split = False
        while True:
            # A Ctrl-C (SIGINT -> KeyboardInterrupt) landing in here would
            # end the generator, and the physics with it: the step is cut
            # short instead (the state keeps the last whole step), and
            # step() passes the interrupt on.
            try:
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
                    self._u = u
                    self._vent = w
                    xl = self.extra_leak_l_min_at_10kpa
                    if xl != xl_seen:
                        xl_seen = xl
                        pkl = pa * (kl + xl * klm)
                    a = u * qf
                    dt = self._in_dt
                    last = self._in_last
                    if self.blocked:
                        if not split:
                            split = True
                            self._split = True
                            vl = v
                        gv = pkv * w
                        glv = gv * isq
                        gll = pkl * isq
                        k = 0
                        tzero = False
                        while True:  # n steps of dt, then one of last
                            if not n:
                                if not last:
                                    break
                                n = 1
                                dt = last
                                last = 0.0
                            dta = dt * a
                            hgv = dt * 0.5 * gv
                            dtglv = dt * glv
                            hgl = dt * 0.5 * pkl
                            dtgll = dt * gll
                            for _ in range(n):
                                # --- line: rigid 2 mL with pump and vent
                                cap = lcap
                                num = 0.0
                                if u:
                                    p = pa - vl
                                    s = 1.0 - vl * ivm
                                    num = p * a * s
                                    cap = cap + dta * (s + p * ivm)
                                if w:
                                    if vl > vlin:
                                        r = sqrt(vl)
                                        num = num - gv * r
                                        cap = cap + hgv / r
                                    else:
                                        num = num - glv * vl
                                        cap = cap + dtglv
                                vl = vl + dt * num / cap
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
                            n = 0
                        self.vacuum_pa = v
                        self.line_vacuum_pa = vl
                        continue
                    if split:
                        split = False
                        self._split = False
                        v = self._merged_vacuum(v, vl)
                    if not u and not v:
                        # Ambient with the pump off: every step leaves v at
                        # exactly 0 (no net flow), so none is computed.
                        self.vacuum_pa = v
                        self.line_vacuum_pa = v
                        if not tzero:
                            for k in range(ntr):
                                tr[k] = v
                            tzero = True
                        continue
                    # --- lumped node: line + chamber
                    # One step, with q = pa - v, s = 1 - v/vm, r = sqrt(v):
                    #   N   = u Qf q s - g r        (net removal, Pa m^3/s)
                    #   Cap = capb(v) + dt (u Qf (s + q/vm) + g / (2 r))
                    #   v  += dt N / Cap
                    # (capb = cap0 - 2 C v, or capf on the compliance floor;
                    # below V_LIN_PA the orifice is g v / sqrt(V_LIN_PA)).
                    # Expanded in powers of v, with everything that depends
                    # only on the commands and dt computed once per resume:
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
                        b0 = da * pa
                        b1 = da * e1
                        b2 = da * ivm
                        gd = dt * g
                        hg = 0.5 * gd
                        gld = gd * isq  # linear orifice, per Pa
                        b1l = b1 + gld
                        k0 = cap0 + da * e1
                        k1 = c2 + da * e2
                        k0f = capf + da * e1
                        k1f = da * e2
                        for i in range(k, k + n):
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
                        n = 0
                    self.vacuum_pa = v
                    self.line_vacuum_pa = v
            except KeyboardInterrupt:
                self.interrupted = True
                self.vacuum_pa = v
                self.line_vacuum_pa = vl if split else v

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
            if not self._u:
                return 0.0
            s = 1.0 - self.line_vacuum_pa / self._vm
            if s <= 0.0:
                return 0.0
            return self._u * self._qf * 60000.0 * s
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
        a = pump_drive * self._qf
        k = self._kl + self._kv * vent_open
        vm = self._vm
        lo = 0.0
        hi = self._vtop
        if a <= 0.0:
            return 0.0
        for _ in range(60):
            mid = 0.5 * (lo + hi)
            s = 1.0 - mid / vm
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
        dt = MAX_DT_S
        prev = 0.0
        for i in range(int(_RISE_LIMIT_S / dt + 0.5)):
            sim.step(dt, 1.0, 0.0)
            v = sim.vacuum_pa
            if v >= thr:
                return (i + (thr - prev) / (v - prev)) * dt
            prev = v
        return None
