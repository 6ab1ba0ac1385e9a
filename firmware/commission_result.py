# The figures of a finished commissioning run (commission.py): pump curve,
# free flow and maximum vacuum, vent dead zone and full opening, dead time,
# sensor zero and noise, the chamber's own leak; checked for plausibility
# before a technician may commit them. Imported when a run completes; runs
# between ticks (floats allowed: no figure needs more than float32's 7 digits).

# Plausible pumps for this device class (domain.md: small diaphragm pumps)
# and within this factor of the board's declaration: a wrong chamber volume
# (1000 mL typed for a 100 mL bottle) is a 10x error the leak estimate would
# otherwise carry for the device's life.
FLOW_MIN_ML_MIN = 50
FLOW_MAX_ML_MIN = 30_000
MAX_VAC_MIN_PA = 5_000
DECLARED_FACTOR = 2.5
OPEN_MIN = 0.02  # opening fraction: above this a duty opens the vent (noise: ~0.005)
OPEN_FIT_MAX = 0.9  # the rising part of the vent curve (below saturation)
# The vent's flow law Q = Q10 (v / 10 kPa)^n fitted to the full-vent
# descents; an exponent outside config's VENT_EXP_MIN_PM..VENT_EXP_MAX_PM is
# not a valve's (noise, a leaking chamber): not recorded.
VENT_POINTS_MIN = 3


class Result:
    def __init__(self):
        self.problems = []  # why it may not be committed
        self.warnings = []
        self.curve = []  # [(vacuum_pa, flow_ml_min)]
        self.vent = []  # [(duty_pm, opening_pm)]
        self.vent_curve = []  # [(vacuum_pa, flow_ml_min)] at full opening
        self.vent_flow = 0  # mL/min at 10 kPa, fully open (0: not measured)
        self.vent_exp_pm = 500

    def config_values(self, cal_offset):
        v = {"commissioned": 1, "pump_flow_ml_min": self.flow, "pump_max_vac": self.max_pa,
             "vent_dead_pm": self.dead_pm, "vent_full_pm": self.full_pm, "dead_time": self.dead_ms,
             "vent_flow_ml_min": self.vent_flow, "vent_exp_pm": self.vent_exp_pm}
        if abs(self.zero_pa) > self.noise_pa:  # a zero beyond the noise is the sensor's offset
            v["cal_offset"] = cal_offset - self.zero_pa
        return v

    def text(self):
        s = ("volume_ml=%d ambient_pa=%d top_pa=%d stalled=%d pump_free_flow_ml_min=%d pump_max_vacuum_pa=%d vent_dead_pm=%d vent_full_pm=%d "
             "vent_flow_ml_min=%d vent_exp_pm=%d "
             "dead_time_ms=%d vent_lag_ms=%d zero_pa=%d noise_pa=%d chamber_leak_ml_min=%d declared_flow_ml_min=%d declared_max_vacuum_pa=%d "
             "curve=%s vent=%s vent_flow=%s") % (
            self.volume_ml, self.ambient_pa, self.top_pa, self.stalled, self.flow, self.max_pa, self.dead_pm, self.full_pm,
            self.vent_flow, self.vent_exp_pm,
            self.dead_ms, self.vent_lag_ms, self.zero_pa, self.noise_pa, self.leak_ml_min, self.declared_flow, self.declared_max,
            ",".join("%d:%d" % p for p in self.curve) or "none", ",".join("%d:%d" % p for p in self.vent) or "none",
            ",".join("%d:%d" % p for p in self.vent_curve) or "none")
        if self.warnings:
            s += " warning=" + "|".join(self.warnings).replace(" ", "_")
        if self.problems:
            s += " problem=" + "|".join(self.problems).replace(" ", "_")
        return s


def _fit(pts):
    """Least-squares line y = a + b x through [(x, y)] -> (a, b)."""
    n = len(pts)
    sx = sum(p[0] for p in pts)
    sy = sum(p[1] for p in pts)
    sxx = sum(p[0] * p[0] for p in pts)
    sxy = sum(p[0] * p[1] for p in pts)
    d = n * sxx - sx * sx
    if d == 0:
        return sy / n, 0.0
    b = (n * sxy - sx * sy) / d
    return (sy - b * sx) / n, b


def _parabola_zero(pts):
    """Least-squares q = c0 + c1 x + c2 x^2 (x in kPa) through the points;
    its first zero beyond the last point, in Pa, or 0.0 if it has none."""
    # x centred and scaled to -1..1: the normal equations stay well
    # conditioned in the chips' float32 (in kPa, x^4 sums reach 1e8).
    lo, hi = pts[0][0] / 1000.0, pts[-1][0] / 1000.0
    mid, half = (lo + hi) / 2, (hi - lo) / 2 or 1.0
    xs = [(v / 1000.0 - mid) / half for v, _ in pts]
    m = [[0.0] * 4 for _ in range(3)]
    for x, (_, q) in zip(xs, pts):
        row = (1.0, x, x * x)
        for i in range(3):
            for j in range(3):
                m[i][j] += row[i] * row[j]
            m[i][3] += row[i] * q
    for i in range(3):  # Gauss-Jordan elimination, partial pivoting
        piv = max(range(i, 3), key=lambda k: abs(m[k][i]))
        m[i], m[piv] = m[piv], m[i]
        if m[i][i] == 0:
            return 0.0
        for k in range(3):
            if k != i:
                f = m[k][i] / m[i][i]
                for j in range(i, 4):
                    m[k][j] -= f * m[i][j]
    c0, c1, c2 = (m[i][3] / m[i][i] for i in range(3))
    last = xs[-1]
    if c2 == 0:
        x = -c0 / c1 if c1 < 0 else last
        return (mid + x * half) * 1000.0 if x > last else 0.0
    d = c1 * c1 - 4 * c2 * c0
    if d < 0:
        return 0.0
    roots = sorted(((-c1 - d ** 0.5) / (2 * c2), (-c1 + d ** 0.5) / (2 * c2)))
    for x in roots:
        if x > last:
            return (mid + x * half) * 1000.0
    return 0.0


def _pump(r, c):
    """Flow between consecutive levels of the pull-down: at chamber
    conditions (what the pump moves and what the leak estimate assumes),
    Q = V dv/dt / (p_amb - v), isothermal."""
    step = c.step_pa
    t = c.t_us
    for k in range(1, c.k):
        dt = t[k + 1] - t[k]
        if dt <= 0:
            continue
        v = step * k + step // 2
        q = c.volume_ml * step * 60e6 / ((c.ambient_pa - v) * dt)
        r.curve.append((v, int(q)))
    r.stalled = 1 if c.plateau_pa else 0
    pts = [(float(v), float(q)) for v, q in r.curve]
    if len(pts) < 4:
        r.problems.append("the pull-down gave %d flow points (4 needed): a chamber too small, a pump too weak or a leak" % len(pts))
        r.flow, r.max_pa = 0, 0
        return
    # The free flow: the straight line through the low third (the
    # shortest extrapolation, to no vacuum). The maximum: where the curve's
    # parabola (the usual second-order pump curve; a straight pump gives a
    # flat one) reaches no flow, or where the high third's line does if
    # that is nearer: on a nearly straight pump whose flow flattens a
    # little as the vacuum rises the parabola's zero swings tens of kPa
    # with the last digits of the points (79 or 106 kPa for one 81 kPa
    # pump; robustness campaign seed 17, cell 45), the line's does not.
    m = max(3, len(pts) // 3)
    a, _ = _fit(pts[:m])
    a2, b2 = _fit(pts[-m:])
    tail = -a2 / b2 if b2 < 0 else 0.0
    vmax = _parabola_zero(pts)
    if not vmax or 0 < tail < vmax:
        vmax = tail
    if c.plateau_pa and vmax < c.plateau_pa:
        vmax = float(c.plateau_pa)  # it held this much: at least this
    limit = min(101_000, c.ambient_pa)
    if vmax > limit and not c.plateau_pa:
        # A pump whose flow flattens as the vacuum rises (a convex curve)
        # was still pulling at the top: any extrapolation of its curve to
        # no flow lands far out, here beyond absolute vacuum. The pump is
        # not faulty; its maximum is out of the bench's reach.
        r.warnings.append("the pump still pulled at the top (%d Pa) and its curve reaches no flow only past %d Pa, beyond "
                          "absolute vacuum: maximum vacuum recorded as %d Pa" % (c.top_pa, int(vmax), limit))
        vmax = float(limit)
    r.flow = int(a + 0.5)
    r.max_pa = int(vmax + 0.5)
    if not vmax:
        r.problems.append("the flow did not fall with the vacuum: no maximum vacuum can be read from the curve")
    # Dead time: the pull-down's first stretch, traced back to where it left
    # the starting vacuum, against the pump's command (time 0).
    if c.k >= 2 and t[2] > t[1]:
        t0 = t[1] - (t[2] - t[1]) * (step - c.v0) / step
        r.dead_ms = max(0, int(t0 // 1000))


def _rate(c, j):
    """Vacuum drop rate of release j, Pa/s (the stretch 95 % -> 85 % of its
    start, or whatever part of it the release covered)."""
    if c.tb[j] > c.ta[j] >= 0:
        return (c.la - c.lb) * 1e6 / (c.tb[j] - c.ta[j]) if c.la != c.lb else 0.0
    if c.ta[j] >= 0 and c.te[j] > c.ta[j]:
        return (c.vs[j] - c.vs[j] // 20 - c.ve[j]) * 1e6 / (c.te[j] - c.ta[j])
    return (c.vs[j] - c.ve[j]) * 1e6 / c.te[j] if c.te[j] > 0 else 0.0


def _vent(r, c):
    # As many releases as the procedure's DUTIES (its arrays say how many:
    # commission.py loads this module, so this one does not import it).
    duties = len(c.vs)
    leak = r.leak_pa_s
    full = _rate(c, duties - 1) - leak
    if full <= 0:
        r.problems.append("the vent did not release the chamber at full duty")
        r.dead_pm, r.full_pm = 0, 1000
        return
    pts = []
    for j in range(duties):
        op = (_rate(c, j) - leak) / full
        duty = (j + 1) / duties
        r.vent.append((int(duty * 1000 + 0.5), int(op * 1000 + 0.5)))
        pts.append((duty, op))
    rising = [p for p in pts if OPEN_MIN < p[1] < OPEN_FIT_MAX]
    first = next(i for i, p in enumerate(pts) if p[1] > OPEN_MIN)  # (the last duty opens it fully)
    if len(rising) < 2:
        # One step from shut to (nearly) open: the line through the last
        # shut duty and the first open one.
        lo = pts[first - 1] if first else (0.0, 0.0)
        rising = [lo, pts[first]]
    a, b = _fit(rising)
    dead = -a / b if b > 0 else 0.0
    # Between the last duty that stayed shut and the first that opened.
    lo = pts[first - 1][0] if first else 0.0
    dead = min(max(dead, lo), pts[first][0])
    full_duty = dead + 1.0 / b if b > 0 else 1.0
    r.dead_pm = int(dead * 1000 + 0.5)
    r.full_pm = min(1000, max(r.dead_pm + 100, int(full_duty * 1000 + 0.5)))
    # The valve's own delay: the full release traced back to its start.
    j = duties - 1
    if c.tb[j] > c.ta[j] >= 0:
        t0 = c.ta[j] - (c.tb[j] - c.ta[j]) * (c.vs[j] - c.la) / (c.la - c.lb)
        r.vent_lag_ms = max(0, int(t0 // 1000))


def _vent_flow(r, c, leak_pa_s_top, top):
    """The vent's flow at full opening between consecutive levels of the
    full-vent descents (pump off): inflow at ambient conditions,
    Q = V dv/dt / p_amb (isothermal, rigid chamber), less the chamber's own
    leak (an orifice: scaled from the top by the square root); then the law
    Q = Q10 (v / 10 kPa)^n by least squares in logarithms."""
    import math

    step = c.step_pa
    pts = []
    for k in range(1, len(c.vd_us) - 1):
        s = c.vd_s[k]
        if not s or c.vd_s[k + 1] != s:
            continue  # not both crossed by the same descent
        dt = c.vd_us[k] - c.vd_us[k + 1]
        if dt <= 0:
            continue
        v = step * k + step // 2
        rate = step * 1e6 / dt - leak_pa_s_top * math.sqrt(v / top)
        if rate <= 0:
            continue
        q = c.volume_ml * rate * 60 / c.ambient_pa
        r.vent_curve.append((v, int(q + 0.5)))
        pts.append((math.log(v), math.log(q)))
    if len(pts) < VENT_POINTS_MIN:
        r.warnings.append("the vent's flow gave %d points (%d needed): the leak estimate will not subtract the vent's bleed" % (len(pts), VENT_POINTS_MIN))
        return
    from config import VENT_EXP_MAX_PM, VENT_EXP_MIN_PM, VENT_FLOW_MAX_ML_MIN, VENT_REF_PA

    a, n = _fit(pts)
    if not VENT_EXP_MIN_PM <= n * 1000 <= VENT_EXP_MAX_PM:
        r.warnings.append("the vent's flow does not follow a valve's law (exponent %.2f, %.1f..%.1f expected): not recorded" % (
            n, VENT_EXP_MIN_PM / 1000, VENT_EXP_MAX_PM / 1000))
        return
    q10 = int(math.exp(a + n * math.log(VENT_REF_PA)) + 0.5)
    if not 0 < q10 <= VENT_FLOW_MAX_ML_MIN:
        r.warnings.append("the vent's flow %d mL/min at 10 kPa is outside 1..%d: not recorded" % (q10, VENT_FLOW_MAX_ML_MIN))
        return
    r.vent_flow = q10
    r.vent_exp_pm = int(n * 1000 + 0.5)


def evaluate(c, dev):
    r = Result()
    r.volume_ml = c.volume_ml
    r.ambient_pa = c.ambient_pa
    r.top_pa = c.plateau_pa or c.top_pa
    r.zero_pa = c.zero_pa
    # Mean absolute deviation -> standard deviation (Gaussian noise: x 1.25).
    r.noise_pa = c.mad * 5 // (4 * 64)
    r.dead_ms = 0
    r.vent_lag_ms = 0
    r.declared_flow = getattr(dev.board, "PUMP_FREE_FLOW_ML_MIN", 0)
    r.declared_max = getattr(dev.board, "PUMP_MAX_VACUUM_PA", 0)
    # The chamber's own leak at the top, all shut (a check on the seal).
    top = c.leak_a if c.leak_a > 0 else 1
    r.leak_pa_s = (c.leak_a - c.leak_b) * 1000.0 / 2000
    r.leak_ml_min = int(c.volume_ml * r.leak_pa_s * 60 / (c.ambient_pa - top)) if r.leak_pa_s > 0 else 0
    _pump(r, c)
    _vent_flow(r, c, max(0.0, r.leak_pa_s), top)
    # The vent tests start at half the top: the leak scales about as the
    # square root of the vacuum (an orifice).
    r.leak_pa_s = max(0.0, r.leak_pa_s) * 0.7
    _vent(r, c)
    _check(r)
    return r


def _check(r):
    if r.flow and r.leak_ml_min * 20 > r.flow:
        r.warnings.append("the chamber leaks %d mL/min at the top (over 5 %% of the pump's flow): reseal it and run again" % r.leak_ml_min)
    if r.flow and not FLOW_MIN_ML_MIN <= r.flow <= FLOW_MAX_ML_MIN:
        r.problems.append("free flow %d mL/min outside %d..%d mL/min: check the chamber volume" % (r.flow, FLOW_MIN_ML_MIN, FLOW_MAX_ML_MIN))
    if r.max_pa and not MAX_VAC_MIN_PA <= r.max_pa <= 101_000:
        r.problems.append("maximum vacuum %d Pa outside %d..101000 Pa" % (r.max_pa, MAX_VAC_MIN_PA))
    for name, got, declared in (("free flow", r.flow, r.declared_flow), ("maximum vacuum", r.max_pa, r.declared_max)):
        if got and declared and not declared / DECLARED_FACTOR <= got <= declared * DECLARED_FACTOR:
            r.problems.append("%s %d is over %.1fx off the board's declared %d: check the chamber volume and the pump" % (name, got, DECLARED_FACTOR, declared))
