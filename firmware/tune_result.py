# The figures and proposed gains of a finished relay test (relay.py), from
# the describing function and the integrator-with-dead-time model explained
# in autotune.py. Imported by the tuner only when a test completes: a device
# that is never tuned does not hold this code.
import math

import relay as rl
from outputs import FULL


class Result:
    def __init__(self, ku, tu_ms, amp_pa, noise_pa, h_pa, d, period_ms):
        self.ku = ku  # duty per Pa
        self.tu_ms = tu_ms
        self.amp_pa = amp_pa
        self.noise_pa = noise_pa
        self.h_pa = h_pa
        self.d = d
        # G * d = 4 amp / tu (Pa/s); the dead time is (amp - h) / (G * d).
        # Integer (exact: in float32, the chips' floats, a lag of exactly
        # 630 ms came out 629; hil_tests/test_float32.py). Between ticks, so
        # the products may be long ints.
        self.g_pa_s = 4000 * amp_pa * FULL // (tu_ms * d)
        self.lag_ms = max(period_ms, (amp_pa - h_pa) * tu_ms // (4 * amp_pa))
        self.warning = ""
        if amp_pa - h_pa < noise_pa:
            self.warning = "dead time within the noise: lag_ms is an upper bound; a larger amp resolves it"
        elif tu_ms < 8 * period_ms:
            self.warning = "relay period under 8 control ticks: the 'schedule' rule is the safer choice"
        # Ziegler-Nichols on the relay figures, firmware units:
        # kp duty/kPa, ki duty/(kPa s), kd duty ms/kPa.
        self.gains = {
            "fast": _zn(ku, tu_ms, 0.6, 0.5, 0.125),  # classic PID: quarter decay
            "no_overshoot": _zn(ku, tu_ms, 0.2, 0.5, 1.0 / 3.0),  # ZN "no overshoot"
        }
        # Our schedule: closed-loop tau of three dead times (25 ms minimum).
        self.tau_ms = max(25, 3 * self.lag_ms)

    def text(self):
        f, n = self.gains["fast"], self.gains["no_overshoot"]
        s = "ku=%d tu_ms=%d amp_pa=%d noise_pa=%d hyst_pa=%d plant_gain=%d lag_ms=%d fast=%d,%d,%d no_overshoot=%d,%d,%d schedule=tau:%d,plant_gain:%d" % (
            int(self.ku * 1000), self.tu_ms, self.amp_pa, self.noise_pa, self.h_pa, self.g_pa_s, self.lag_ms,
            f[0], f[1], f[2], n[0], n[1], n[2], self.tau_ms, self.g_pa_s)
        if self.warning:
            s += " warning=" + self.warning.replace(" ", "_")
        return s

    def config_values(self, rule):
        """The configuration entries this rule stands for (config.py)."""
        if rule == "schedule":
            return {"kp": 0, "ki": 0, "kd": 0, "tau": self.tau_ms, "plant_gain": self.g_pa_s}
        kp, ki, kd = self.gains[rule]
        return {"kp": kp, "ki": ki, "kd": kd}


def _zn(ku, tu_ms, kp_f, ti_f, td_f):
    kp = ku * kp_f * 1000.0  # duty per kPa
    ti_s = tu_ms * ti_f / 1000.0
    td_ms = tu_ms * td_f
    return (int(kp), int(kp / ti_s), int(kp * td_ms))


def evaluate(r, period_ms):
    """Result of a finished (DONE) relay test, or None."""
    if r.state != rl.DONE:
        return None
    n = rl.CYCLES
    a = r.pp_sum / (2.0 * n)  # amplitude, Pa
    h = r.h
    a_eff = math.sqrt(a * a - h * h) if a > h else a
    ku = 4.0 * r.d / (math.pi * max(a_eff, 1.0))
    tu_ms = r.period_sum * period_ms // n
    return Result(ku, max(tu_ms, period_ms), int(a), r.noise_pa, h, r.d, period_ms)
