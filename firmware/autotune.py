# Autotune: turns a finished relay test (relay.py) into plant figures and
# proposed gains, staged until a technician commits one rule (docs/control.md).
# Runs between ticks (it may allocate and use floats); the tick only counts.
#
# Relay of amplitude d (duty) with hysteresis h against an oscillation of
# amplitude a (Pa) and period Tu: ultimate gain Ku = 4 d / (pi sqrt(a^2 - h^2))
# duty/Pa (describing function), for the Ziegler-Nichols rules. The chamber
# near a held vacuum is an integrator with dead time L, G e^(-sL) / s, for
# which the relay cycle is exact: the vacuum ramps at +-G d between the
# switching points sp +- h and overshoots them by G d L, so
#   a = h + G d L   and   Tu = 4 a / (G d)
# give G = 4 a / (Tu d) (Pa/s per full duty: the schedule's plant gain) and
# L = (a - h) / (G d).
import math

import relay as rl
import session as ses

FULL = 65535
RULES = ("fast", "no_overshoot", "schedule")


class Result:
    def __init__(self, ku, tu_ms, amp_pa, noise_pa, h_pa, d, period_ms):
        self.ku = ku  # duty per Pa
        self.tu_ms = tu_ms
        self.amp_pa = amp_pa
        self.noise_pa = noise_pa
        self.h_pa = h_pa
        self.d = d
        gd = 4.0 * amp_pa / (tu_ms / 1000.0)  # G * d, Pa/s
        self.g_pa_s = int(gd * FULL / d)
        self.lag_ms = max(period_ms, int((amp_pa - h_pa) / gd * 1000))
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


AMP_PCT_DEFAULT = 20  # relay amplitude, % of full duty
AMP_PCT_MAX = 25
TIMEOUT_MS_DEFAULT = 120_000


class Tuner:
    """The device's autotune: runs a relay test inside a continuous session
    (so every hard limit and alarm applies), then stages the result."""

    def __init__(self):
        self.staged = None  # Result waiting for 'tune commit'
        self.last = "none"  # outcome of the last run, for 'tune status'
        self.active = False
        self._deadline_ms = 0

    def start(self, dev, prog, values, amp_pct, timeout_ms):
        sp = values["target"]
        dev.start_session(prog, values)
        d = FULL * amp_pct // 100
        margin = max(sp // 10, 1000)  # abort beyond +-10 % (1 kPa at least)
        dev.ctl.start_relay(sp, d, margin, timeout_ms // dev.period_ms)
        self._deadline_ms = dev.uptime_ms + timeout_ms  # the whole run, approach included
        self.active = True
        self.staged = None
        self.last = "running"

    def service(self, dev):
        """Between ticks: when the relay test ends, stop the session, stage
        the result and tell the host at once."""
        if not self.active:
            return
        r = dev.ctl.relay
        if r.active():
            if dev.session.state != ses.RUN:  # session ended (fault, stop, pause): the test too
                r.cancel()
            elif dev.uptime_ms - self._deadline_ms >= 0:
                r.cancel(rl.ABORT_TIMEOUT)
            else:
                return
        self.active = False
        dev.session.stop()
        if r.state == rl.DONE:
            self.staged = evaluate(r, dev.period_ms)
            self.last = "done"
            dev.console.event("event tune_done " + self.staged.text())
        else:
            self.last = "aborted_" + rl.ABORT_NAMES[r.abort]
            dev.console.event("event tune_aborted reason=%s cycles=%d vacuum_pa=%d" % (rl.ABORT_NAMES[r.abort], r.cycles, dev.vacuum_pa))

    def status(self, dev):
        r = dev.ctl.relay
        return "tune=%s relay=%s cycles=%d noise_pa=%d staged=%s" % (
            self.last, rl.STATE_NAMES[r.state], r.cycles, r.noise_pa, "yes" if self.staged else "no")
