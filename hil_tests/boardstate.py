"""A board that keeps its state between tests (a real board, or a simulated
board started once with ``vacuumctl sim --detach``) is brought to one known
state before each test, and checked there: idle (session stopped, release
over), pump off and vent open, telemetry off, no alarm active (acknowledged
and cleared, the host heartbeat's included), the therapist role, nothing
staged (configuration, autotune result), the configuration on flash as it
was when the run began and the running gains as that configuration makes
them; the port is left in human mode for whoever opens it next.

Commands do this, not a soft reset: once a session has run, the firmware's
watchdog is armed, and a soft reset (Ctrl-C at idle, Ctrl-D) would leave it
unfed until the next session, so the chip would reset about a second later
(a USB board drops off the bus, and boots with the `reset` alarm). Commands
touch flash only for what a test changed: an unlock and a lock are audit
entries, so the role is taken only when something needs it."""
from __future__ import annotations

import time
from dataclasses import dataclass, field

from vacuumctl.errors import DeviceError
from vacuumctl.link import DeviceLink
from vacuumctl.simboards import is_named_sim, port_of
from vacuumctl.telemetry import parse_fields

FACTORY_CODE = "246810"  # the boards' factory unlock code (docs/safety.md "Roles and access")
WALL_LIMIT_S = 60.0  # stops a broken run from hanging; waits themselves are in device time
TUNING = ("tau", "ti_factor", "lead")
GAINS = ("kp", "ki", "kd")


class NotKnownState(AssertionError):
    """The board could not be brought to the known state: a sentence for the engineer."""


def is_persistent(port: str) -> bool:
    """A port whose board outlives a test: not ``sim`` / ``sim:SCENARIO``
    (those power a fresh simulated board up for each test)."""
    return port != "sim" and not port.startswith("sim:")


def serial_path(port: str) -> str:
    """The serial device behind a port: ``sim@NAME`` -> that board's pty."""
    return port_of(port) if is_named_sim(port) else port


def t_ms(link: DeviceLink) -> int:
    return int(parse_fields(link.request("hb"))["t_ms"])


def _config(link: DeviceLink) -> tuple[dict[str, str], int]:
    """Committed configuration (values with their units) and the staged count."""
    f = {k: str(v) for k, v in parse_fields(link.request("config show")).items()}
    staged = int(f.pop("staged_changes", "0"))
    f.pop("source", None)
    return f, staged


def _number(value: str) -> int:
    """'25ms' -> 25, '-300Pa' -> -300 (config show's units: ms, Pa, none)."""
    digits = value.rstrip("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
    return int(digits)


def _get(link: DeviceLink, name: str) -> int:
    return int(str(parse_fields(link.request("get " + name))[name]))


@dataclass
class Baseline:
    """The board's configuration when the run began: restored before each test."""

    config: dict[str, str]
    notes: list[str] = field(default_factory=list)


class BoardKeeper:
    """Brings the board on `port` to the known state; measures device time per test."""

    def __init__(self, port: str, code: str = FACTORY_CODE):
        self.port = port
        self.code = code
        self.baseline: Baseline | None = None
        self.fixes: dict[str, int] = {}  # what had to be undone, and how often (the run's summary)

    def _note(self, what: str) -> None:
        self.fixes[what] = self.fixes.get(what, 0) + 1

    # ---- the known state -----------------------------------------------------
    def bring_to_known_state(self) -> int:
        """Returns the device time (t_ms) at which the board was found in the
        known state; raises NotKnownState with the reason otherwise."""
        try:
            link = DeviceLink.open(self.port)
        except Exception as e:  # noqa: BLE001 - any failure to connect is the sentence
            raise NotKnownState("cannot reach the board on %s: %s" % (self.port, e)) from None
        try:
            self._quiet(link)
            self._alarms_cleared(link)
            self._service_state(link)
            self._verify(link)
            return t_ms(link)
        finally:
            self.leave(link)

    def leave(self, link: DeviceLink) -> None:
        """Human mode, its reply read here: a terminal opened next must not find it as the answer to its first line."""
        try:
            seen = len(link.raw_log)
            link.leave_machine_mode()
            deadline = time.monotonic() + 10.0
            while not any(x.startswith("ok mode human") for x in link.raw_log[seen:]) and time.monotonic() < deadline:
                time.sleep(0.01)  # waiting for the board's reply, not a test delay
        except Exception:  # noqa: BLE001 - the board may be gone on purpose
            pass
        link.close()

    def make_safe(self) -> int | None:
        """After a test: stop and vent, telemetry off, human mode; the device
        time then (None when the board does not answer)."""
        try:
            link = DeviceLink.open(self.port)
        except Exception:  # noqa: BLE001 - the next test's setup says why
            return None
        try:
            self._quiet(link)
            return t_ms(link)
        except Exception:  # noqa: BLE001
            return None
        finally:
            self.leave(link)

    def _quiet(self, link: DeviceLink) -> None:
        """Telemetry off, session stopped, its release over (device time)."""
        link.request("tel off")
        try:
            link.request("stop")
        except DeviceError as e:
            if e.code != "E_STATE":  # no session: nothing to stop
                raise
        deadline = time.monotonic() + WALL_LIMIT_S
        while True:
            st = parse_fields(link.request("status"))
            if str(st["state"]) in ("idle", "fault"):  # fault: stopped by a latched alarm (cleared next)
                return
            if time.monotonic() > deadline:
                raise NotKnownState("the board stays in state=%s after 'stop' (%s s of wall time)" % (st["state"], WALL_LIMIT_S))
            # the release to ambient takes device time; each status is answered within a loop period

    def _alarms_cleared(self, link: DeviceLink) -> None:
        if str(parse_fields(link.request("alarms")).get("active", 0)) == "0":
            return
        link.request("ack")
        try:
            link.request("clear")
        except DeviceError:
            pass
        self._note("alarms cleared")
        self._quiet(link)

    def _unlock(self, link: DeviceLink) -> None:
        """The service role; a lockout left by a test's wrong codes is waited out in device time."""
        deadline = time.monotonic() + WALL_LIMIT_S
        while True:
            try:
                link.request("unlock " + self.code)
                return
            except DeviceError as e:
                if e.code == "E_LOCKED" and time.monotonic() < deadline:
                    t_ms(link)  # device time passes; poll again
                    continue
                raise NotKnownState("cannot take the service role to restore the board (%s %s); "
                                    "the tests use the factory code %s" % (e.code, e.message, FACTORY_CODE)) from None

    def _service_state(self, link: DeviceLink) -> None:
        """Nothing staged, configuration and running gains as at the run's start, therapist role."""
        config, staged = _config(link)
        if self.baseline is None:
            self.baseline = Baseline(dict(config))
        want = self.baseline.config
        tune_staged = str(parse_fields(link.request("tune status")).get("staged")) == "yes"
        changed = {k: v for k, v in want.items() if config.get(k) != v}
        gains_off = self._running_differs(link, want)
        role = str(parse_fields(link.request("status"))["role"])
        if not (staged or tune_staged or changed or gains_off):
            if role != "therapist":
                link.request("lock")
                self._note("role locked")
            return
        self._unlock(link)
        if staged:
            link.request("config revert")
            self._note("staged configuration reverted")
        if tune_staged:
            link.request("tune discard")
            self._note("staged autotune result discarded")
        if changed:
            for k, v in changed.items():
                link.request("config set %s %s" % (k, v))
            link.request("config commit")
            self._note("configuration restored (%s)" % ", ".join(sorted(changed)))
        if gains_off:
            self._restore_running(link, want)
            self._note("running gains restored")
        link.request("lock")

    @staticmethod
    def _running_differs(link: DeviceLink, want: dict[str, str]) -> bool:
        if all(_number(want.get(g, "0")) == 0 for g in GAINS):  # the gain schedule
            return _get(link, "scheduled") != 1 or any(_get(link, k) != _number(want[k]) for k in TUNING)
        return _get(link, "scheduled") != 0 or any(_get(link, g) != _number(want[g]) for g in GAINS)

    @staticmethod
    def _restore_running(link: DeviceLink, want: dict[str, str]) -> None:
        names = TUNING if all(_number(want.get(g, "0")) == 0 for g in GAINS) else GAINS
        for k in names:
            link.request("set %s %s" % (k, want[k]))

    def _verify(self, link: DeviceLink) -> None:
        st = parse_fields(link.request("status"))
        config, staged = _config(link)
        assert self.baseline is not None
        wrong = []
        expect = {"state": "idle", "alarms": "none", "role": "therapist", "pump_duty": "0", "valve_duty": "65535"}
        if "laser" in st:
            expect["laser"] = "off"
        for k, v in expect.items():
            if str(st.get(k)) != v:
                wrong.append("%s=%s (want %s)" % (k, st.get(k), v))
        if staged:
            wrong.append("staged_changes=%d (want 0)" % staged)
        diff = ["%s=%s (want %s)" % (k, config.get(k), v) for k, v in self.baseline.config.items() if config.get(k) != v]
        wrong += diff
        if str(parse_fields(link.request("tune status")).get("staged")) != "no":
            wrong.append("an autotune result is staged")
        if self._running_differs(link, self.baseline.config):
            wrong.append("running gains differ from the configuration")
        if wrong:
            hint = ""
            if st.get("alarms") not in (None, "none"):
                hint = (" An alarm that 'clear' does not end has a cause that is still there: check the sensor's "
                        "wiring and the tubing ('vacuumctl --port %s alarms')." % self.port)
            raise NotKnownState("the board on %s could not be brought to the known state before the test: %s.%s"
                                % (self.port, "; ".join(wrong), hint))
