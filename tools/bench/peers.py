# Peer controllers in the same physics as the simulated board (MicroPython):
#   .venv/bin/micropython tools/bench/peers.py SCENARIO SP_PA HOLD_S [SQUARE]
# Plant stepped at 1 ms (boards/sim/plant.py), controller at 200 Hz (5 ms),
# Gaussian sensor noise = scenario sensor_noise_pa (xorshift32, fixed seed).
# Prints one JSON line: physical limit, on/off and ZN-PID (simple-pid) results.
import sys, json, math, gc
from array import array

_HERE = __file__.rsplit("/", 1)[0] if "/" in __file__ else "."
_ROOT = _HERE + "/../.."
for p in (_ROOT + "/boards/sim", _ROOT + "/tools/bench", _ROOT + "/.venv/lib/python3.11/site-packages"):
    sys.path.insert(0, p)
from noise import xorshift32
from plant import Plant
import scenario as scenario_mod
import metrics
from simple_pid import PID

DT_CTL = 0.005
ON_S = 10.0
OFF_S = 7.0


class Noise:
    def __init__(self, seed, sigma):
        self.s = (seed * 2654435761 + 12345) & 0xFFFFFFFF or 1
        self.sigma = sigma
        self.spare = None

    def _u(self):
        self.s = x = xorshift32(self.s)
        return (x + 1) / 4294967297.0

    def __call__(self):
        if self.spare is not None:
            z = self.spare
            self.spare = None
            return z * self.sigma
        r = math.sqrt(-2.0 * math.log(self._u()))
        a = 2.0 * math.pi * self._u()
        self.spare = r * math.sin(a)
        return r * math.cos(a) * self.sigma


def simulate(params, noise, ctrl, sp_fn, t_end):
    """ctrl(meas, sp, edge) -> (pump 0..1, vent 0..1). Returns samples
    (t, truth, meas) at the control rate."""
    n = int(t_end / DT_CTL + 0.5)
    tv = array("d", bytes(8 * n))
    vv = array("d", bytes(8 * n))
    mv = array("d", bytes(8 * n))
    plant = Plant(params)
    t = 0.0
    last_sp = None
    for i in range(n):
        t = i * DT_CTL
        sp = sp_fn(t)
        meas = plant.vacuum_pa + noise()
        pump, vent = ctrl(meas, sp, sp != last_sp)
        last_sp = sp
        tv[i] = t
        vv[i] = plant.vacuum_pa
        mv[i] = meas
        for _ in range(5):
            plant.step(0.001, pump, vent)
    return Samples(tv, vv, mv)


class Samples:
    def __init__(self, tv, vv, mv):
        self.tv, self.vv, self.mv = tv, vv, mv

    def __iter__(self):
        tv, vv, mv = self.tv, self.vv, self.mv
        for i in range(len(tv)):
            yield tv[i], vv[i], mv[i]


def onoff(sp_abs):
    h = 0.01 * sp_abs  # +-1 % hysteresis band
    st = [1]

    def ctrl(meas, sp, edge):
        if sp <= 0:
            st[0] = 1
            return 0.0, 1.0  # release: pump off, vent open
        if meas < sp - h:
            st[0] = 1
        elif meas > sp + h:
            st[0] = 0
        return float(st[0]), 0.0
    return ctrl, h


def split(u):
    if u >= 0:
        return u, 0.0
    return 0.0, -u


def relay_test(params, sp, sigma, seed):
    """Astrom-Hagglund relay (split range, +1 = pump full, -1 = vent full)
    with hysteresis 3 sigma: ultimate gain Ku (per Pa) and period Tu (s)."""
    eps = max(3.0 * sigma, 1.0)
    noise = Noise(seed + 7, sigma)
    st = [1.0]
    ups = []

    def ctrl(meas, s, edge):
        if meas > sp + eps and st[0] > 0:
            st[0] = -1.0
        elif meas < sp - eps and st[0] < 0:
            st[0] = 1.0
        return split(st[0])

    t_end = 20.0
    smp = simulate(params, noise, ctrl, lambda t: sp, t_end)
    # upward crossings of sp after the first settle into oscillation
    prev = None
    for t, v, m in smp:
        if prev is not None and prev < sp <= v:
            ups.append(t)
        prev = v
    if len(ups) < 4:
        return None
    ups = ups[2:]
    tu = (ups[-1] - ups[0]) / (len(ups) - 1)
    tail = [v for t, v, m in smp if t >= ups[0]]
    a = (max(tail) - min(tail)) / 2.0
    a_eff = math.sqrt(max(a * a - eps * eps, (0.1 * a) ** 2))
    ku = 4.0 * 1.0 / (math.pi * a_eff)
    return ku, tu, a, eps


def zn_ctrl(kp, ki, kd):
    pid = PID(kp, ki, kd, setpoint=0.0, sample_time=None, output_limits=(-1.0, 1.0))

    def ctrl(meas, sp, edge):
        if sp <= 0:
            return 0.0, 1.0
        if edge:
            pid.reset()
            pid.setpoint = sp
        return split(pid(meas, dt=DT_CTL))
    return ctrl


def step_metrics(smp, sp, hold):
    truth = [(t, v) for t, v, m in smp]
    meas = [(t, m) for t, v, m in smp]
    return {
        "settle_s": metrics.settle_time(truth, sp),
        "overshoot_pct": metrics.overshoot_pct(truth, sp),
        "rms_pa": metrics.rms_err(meas, sp, hold - 5.0, hold),
        "rms_truth_pa": metrics.rms_err(truth, sp, hold - 5.0, hold),
    }


def main():
    name = sys.argv[1]
    sp = float(sys.argv[2])
    hold = float(sys.argv[3])
    square = len(sys.argv) > 4 and sys.argv[4] == "square"
    scn = scenario_mod.load_scenario(name, _ROOT + "/boards/sim/scenarios")
    params = scn["plant"]
    sigma = float(params["sensor_noise_pa"])
    seed = scn["seed"]
    res = {"scenario": name, "sp": sp, "noise": sigma}
    res["limit_s"] = Plant(params).full_duty_rise_time_s(sp)
    step = lambda t: sp
    sq = lambda t: metrics.square_ref(t, ON_S, OFF_S, sp)
    # on/off
    c, h = onoff(sp)
    smp = simulate(params, Noise(seed, sigma), c, step, hold)
    res["onoff"] = step_metrics(smp, sp, hold)
    res["onoff"]["hyst_pa"] = h
    if square:
        c, h = onoff(sp)
        smp = simulate(params, Noise(seed + 1, sigma), c, sq, 3 * (ON_S + OFF_S))
        res["onoff"]["square_rms_pa"] = metrics.square_rms([(t, m) for t, v, m in smp], ON_S, OFF_S, sp, 3 * (ON_S + OFF_S))
    # ZN PID
    r = relay_test(params, sp, sigma, seed)
    if r is None:
        res["zn"] = None
    else:
        ku, tu, a, eps = r
        kp = 0.6 * ku
        ki = 1.2 * ku / tu
        kd = 0.075 * ku * tu
        smp = simulate(params, Noise(seed, sigma), zn_ctrl(kp, ki, kd), step, hold)
        z = step_metrics(smp, sp, hold)
        z.update({"ku": ku, "tu": tu, "relay_amp": a, "kp": kp, "ki": ki, "kd": kd})
        if square:
            smp = simulate(params, Noise(seed + 1, sigma), zn_ctrl(kp, ki, kd), sq, 3 * (ON_S + OFF_S))
            z["square_rms_pa"] = metrics.square_rms([(t, m) for t, v, m in smp], ON_S, OFF_S, sp, 3 * (ON_S + OFF_S))
        res["zn"] = z
    print(json.dumps(res))


main()
