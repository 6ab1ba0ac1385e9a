# Autotune: turns a finished relay test (relay.py) into plant figures and
# proposed gains (tune_result.py), staged until a technician commits one rule
# (docs/control.md).
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
import relay as rl
from outputs import FULL

RULES = ("fast", "no_overshoot", "schedule")
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
            if not dev.session.running():  # session ended (fault, stop, pause): the test too
                r.cancel()
            elif dev.uptime_ms - self._deadline_ms >= 0:
                r.cancel(rl.ABORT_TIMEOUT)
            else:
                return
        self.active = False
        dev.session.stop()
        if r.state == rl.DONE:
            from tune_result import evaluate

            self.staged = evaluate(r, dev.period_ms)
            self.last = "done"
            dev.console.event("event tune_done " + self.staged.text())
        else:
            self.last = "aborted_" + rl.ABORT_NAMES[r.abort]
            dev.console.event("event tune_aborted reason=%s cycles=%d vacuum_pa=%d" % (rl.ABORT_NAMES[r.abort], r.cycles, dev.ch.vacuum_pa))

    def status(self, dev):
        r = dev.ctl.relay
        return "tune=%s relay=%s cycles=%d noise_pa=%d staged=%s" % (
            self.last, rl.STATE_NAMES[r.state], r.cycles, r.noise_pa, "yes" if self.staged else "no")
