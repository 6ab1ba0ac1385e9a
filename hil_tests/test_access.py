"""Roles and the service unlock on the device (issue 8, "Access";
docs/safety.md, "Roles and access"): the therapist role is refused every
service command and nothing changes; wrong codes are refused and locked out
with a doubling delay that ends in device time; the service role ends after
10 min of device time without a service command, on 'lock' and at every
power-up; a new code survives a power cycle and the old one stops working;
everything is in the audit log; hard limits cannot be set in any role."""
from __future__ import annotations

from pathlib import Path

import pytest

from devicekit import FACTORY_CODE, unlock
from vacuumctl.errors import DeviceError, ServiceRoleNeeded
from vacuumctl.link import DeviceLink
from vacuumctl.telemetry import parse_fields

TIMEOUT_MS = 600_000  # firmware/access.py
SERVICE_LINES = ["set kp 5000", "set tau 100ms", "set lead 5", "config set kp 5000", "config commit", "config revert",
                 "config reset", "tune auto target=20kPa", "tune commit fast", "tune discard", "tune abort",
                 "selftest exception", "selftest stall 60ms", "log clear", "passcode Abcdef12"]


def _code(link, line: str) -> DeviceError:
    with pytest.raises(DeviceError) as e:
        link.request(line)
    return e.value


def _t_ms(link) -> int:
    return int(parse_fields(link.request("hb"))["t_ms"])


def _wait_until(link, t_ms: int) -> int:
    """Device time: poll (each 'hb' is answered within a loop period) until t_ms."""
    t = _t_ms(link)
    while t < t_ms:
        t = _t_ms(link)
    return t


def _snapshot(link) -> list[str]:
    st = parse_fields(link.request("status"))
    for moving in ("vacuum_pa", "max_late_us", "flash_stalls", "gc_runs", "command_stalls", "max_tick_us",
                   "max_background_us", "max_gc_us", "overruns"):  # loop timing: moves by itself
        st.pop(moving, None)
    return [str(sorted(st.items())), link.request("config show"), link.request("config diff"), link.request("get kp"),
            link.request("get tau"), link.request("log"), link.request("tune status"), link.request("config audit")]


def test_therapist_is_refused_every_service_command_and_nothing_changes(device):
    link = device.link
    assert parse_fields(link.request("status"))["role"] == "therapist"  # at power-up
    before = _snapshot(link)
    for line in SERVICE_LINES:
        e = _code(link, line)
        form = " ".join(line.split()[:2]) if line.split()[0] in ("config", "tune", "log") else line.split()[0]
        assert e.code == "E_ACCESS" and e.message == "%s needs the service role: unlock <code> first" % form, (line, e.message)
    _wait_until(link, _t_ms(link) + 200)  # a refused 'selftest exception' must not fire in a later tick
    assert _snapshot(link) == before
    # What the therapist may do: run a program within its range, change its target, stop.
    assert link.request("start continuous target=20kPa duration=30s").startswith("started continuous")
    assert link.request("set target 25kPa").startswith("target=25000")
    assert _code(link, "set target 80kPa").code == "E_RANGE"
    assert link.request("stop") == "stopped"


def test_hard_limits_cannot_be_set_even_in_the_service_role(device):
    unlock(device.link)
    for line, code in (("set ceiling 90kPa", "E_READONLY"), ("set trip 90kPa", "E_READONLY"),
                       ("config set ceiling 90kPa", "E_UNKNOWN"), ("config set max_vacuum 90kPa", "E_UNKNOWN"),
                       ("config set trip 90kPa", "E_UNKNOWN"), ("start continuous target=80kPa", "E_RANGE")):
        assert _code(device.link, line).code == code, line
    assert device.request("get ceiling") == "ceiling=70000 unit=Pa"


@pytest.mark.whole_machine
def test_wrong_codes_are_locked_out_doubling_and_the_lockout_ends_in_device_time(needs_sim):
    # 10x real time: a request's round trip is then well under a second of
    # device time, so the lockout's edges can be bracketed to 3 s.
    with DeviceLink.open("sim:default", speed="10") as link:
        assert _code(link, "unlock 000000").message == "wrong code; 2 more before a lockout"
        assert _code(link, "unlock").code == "E_ARG"  # no code: not an attempt
        assert _code(link, "unlock 111111").code == "E_ACCESS"
        a = _t_ms(link)
        e = _code(link, "unlock 222222")
        b = _t_ms(link)  # the lockout began within [a, b]
        assert e.code == "E_ACCESS" and "3 in a row: attempts refused for 30 s" in e.message, e.message
        e = _code(link, "unlock " + FACTORY_CODE)  # the right code, refused unchecked
        c = _t_ms(link)
        assert e.code == "E_LOCKED" and 30 - (c - a) // 1000 - 1 <= int(parse_fields(e.message)["retry_after_s"]) <= 30, e.message
        _wait_until(link, a + 27_000)
        assert _code(link, "unlock " + FACTORY_CODE).code == "E_LOCKED"
        _wait_until(link, b + 30_000)
        a = _t_ms(link)
        e = _code(link, "unlock 333333")  # checked again: the 4th wrong code doubles the lockout
        b = _t_ms(link)
        assert e.code == "E_ACCESS" and "4 in a row: attempts refused for 60 s" in e.message, e.message
        _wait_until(link, a + 57_000)
        assert _code(link, "unlock " + FACTORY_CODE).code == "E_LOCKED"
        _wait_until(link, b + 60_000)
        assert link.request("unlock " + FACTORY_CODE) == "role=service timeout_s=600"
        audit = link.request("config audit")
        for n in (1, 2, 3, 4):
            assert "role=therapist unlock fail fails=%d" % n in audit, audit
        assert "role=service unlock ok" in audit and FACTORY_CODE not in audit


@pytest.mark.long("waits the service role's 10 min timeout (a firmware constant) in device time: 10 min on a real board")
def test_service_role_times_out_in_device_time_and_lock_ends_it(device):
    link = device.link
    t0 = _t_ms(link)
    unlock(link)
    t1 = _t_ms(link)
    # 30 s after the unlock, a service command: a timeout counted from the
    # unlock would end the role at t1 + 10 min, before the check at t2 + 9 min 50 s.
    t2 = _wait_until(link, t1 + 30_000)
    assert link.request("set kp 0") == "kp=0 unit=duty/kPa"  # a service command restarts the timeout
    t3 = _t_ms(link)  # 'set kp' ran within [t2, t3]
    # At max speed a round trip is a few seconds of device time: 10 s margin.
    _wait_until(link, t2 + TIMEOUT_MS - 10_000)
    assert parse_fields(link.request("status"))["role"] == "service"  # a therapist command does not restart it
    msg = device.wait_message(lambda m: m.kind == "event" and m.text.startswith("event access"))
    assert msg.text.startswith("event access role=therapist reason=timeout"), msg.text
    # 10 min after the last service command, not after the unlock.
    assert t2 + TIMEOUT_MS <= int(msg.fields["t_ms"]) <= t3 + TIMEOUT_MS + 50, (t0, t1, t2, t3, msg.text)
    assert _code(link, "set kp 0").code == "E_ACCESS"
    unlock(link)
    assert link.request("lock") == "role=therapist"
    assert _code(link, "config set kp 5").code == "E_ACCESS"
    audit = link.request("config audit")
    assert "role=therapist lock reason=timeout" in audit and "role=therapist lock reason=command" in audit, audit


def _open(monkeypatch: pytest.MonkeyPatch, image: Path) -> DeviceLink:
    monkeypatch.setenv("VACUUM_SIM_FLASH", str(image))
    return DeviceLink.open("sim:default")


def test_new_code_survives_a_power_cycle_old_code_fails_and_nothing_stores_it(monkeypatch, tmp_path, needs_sim):
    image = tmp_path / "flash.img"
    new = "Kq7mW2xz"
    with _open(monkeypatch, image) as link:
        assert _code(link, "passcode " + new).code == "E_ACCESS"
        unlock(link)
        e = _code(link, "passcode abc")
        assert e.code == "E_ARG" and "abc" not in e.message
        assert link.request("passcode " + new).startswith("passcode changed")
        assert link.request("config set kp 5000").startswith("staged") and link.request("config commit") == "committed kp 0->5000"
    with _open(monkeypatch, image) as link:  # power off and on
        assert parse_fields(link.request("status"))["role"] == "therapist"
        e = _code(link, "unlock " + FACTORY_CODE)
        assert e.code == "E_ACCESS" and e.message.startswith("wrong code")
        assert link.request("unlock " + new) == "role=service timeout_s=600"
        audit = link.request("config audit")
        assert all(s in audit for s in ("role=service unlock ok", "role=service passcode changed", "role=service kp 0->5000",
                                        "role=therapist unlock fail fails=1")), audit
        # Three wrong codes, then a power cycle: still locked out.
        for c in ("000000", "111111", "222222"):
            _code(link, "unlock " + c)
    with _open(monkeypatch, image) as link:
        e = _code(link, "unlock " + new)
        t = _t_ms(link)  # the lockout restarted in full at boot (uptime 0)
        assert e.code == "E_LOCKED" and 30 - t // 1000 - 1 <= int(parse_fields(e.message)["retry_after_s"]) <= 30, (t, e.message)
    data = image.read_bytes()
    assert new.encode() not in data and FACTORY_CODE.encode() not in data  # only a salted hash


def test_the_code_is_echoed_as_stars(terminal):
    terminal.send(("unlock %s\r\n" % FACTORY_CODE).encode())
    seen = terminal.read_for("ok role=service")
    assert "unlock ******" in seen and FACTORY_CODE not in seen, seen


def test_host_link_unlocks_by_itself_when_it_has_a_code(device):
    link = device.link
    with pytest.raises(ServiceRoleNeeded) as e:
        link.request("config set kp 5000")
    assert "vacuumctl unlock" in str(e.value) and "VACUUMCTL_SERVICE_CODE" in str(e.value)
    link.service_code = "000000"
    with pytest.raises(DeviceError) as e2:
        link.request("config set kp 5000")
    assert str(e2.value).startswith("device refused: the service code was refused: wrong code") and "000000" not in str(e2.value)
    link.service_code = FACTORY_CODE
    assert link.request("config set kp 5000").startswith("staged kp=5000")
    assert parse_fields(link.request("status"))["role"] == "service"
