"""Safe state (pump off, vent open) at boot, on exception, on Ctrl-C, on a
hang (watchdog) and on a power cut, judged by the simulated physics."""
from __future__ import annotations

import time

import pytest

from vacuumctl.errors import DeviceError


def test_boot_is_safe(device, needs_sim):
    rows = device.truth.wait_until(300)
    assert rows, "no ground truth"
    assert all(int(r["pump_duty"]) == 0 and int(r["valve_duty"]) == 65535 for r in rows)


def test_exception_in_control_tick_ends_safe(device):
    device.unlock()
    device.request("tel on 50Hz")
    device.request("start continuous target=30kPa duration=60s")
    before = device.telemetry_until(lambda f: f["vacuum_pa"] >= 25_000, 10_000)
    device.request("selftest exception")
    # The telemetry stream is continuous (lines the board sent while the
    # host was busy wait in the link's queue, however many: the window is
    # not counted from them), so the line before the first faulted one is
    # the last of the running session: one telemetry period (20 ms) earlier,
    # two if a collection took that pass. No ramp, no grace period.
    tel = before[-1:] + device.telemetry_until(lambda f: f["state"] == "fault", 60_000)
    last = tel[-1]
    assert last["state"] == "fault" and "internal" in last["alarms"]
    assert last["pump_duty"] == 0 and last["valve_duty"] == 65535
    assert tel[-2]["state"] == "run" and last["t_ms"] - tel[-2]["t_ms"] <= 40, tel[-2:]
    # A faulted device refuses to start until the alarm is cleared.
    with pytest.raises(DeviceError) as e:
        device.request("start continuous target=30kPa")
    assert e.value.code == "E_STATE"
    if device.truth:
        truth = device.truth.wait_until(last["t_ms"] + 1_000)
        after = [r for r in truth if int(r["t_ms"]) >= last["t_ms"]]
        assert all(int(r["pump_duty"]) == 0 and int(r["valve_duty"]) == 65535 for r in after)
        assert int(truth[-1]["true_vacuum_pa"]) < 1_000
    assert device.request("clear").startswith("cleared internal")


def test_ctrl_c_in_a_session_stops_it_safe_and_only_an_idle_one_drops_to_repl(device, needs_sim):
    device.request("tel on 50Hz")
    device.request("start continuous target=30kPa duration=60s")
    tel = device.telemetry_until(lambda f: f["vacuum_pa"] >= 25_000, 10_000)
    t_int = tel[-1]["t_ms"]
    before = len(device.link.raw_log)
    device.link._write(b"\x03")  # as a person at a terminal, or a stray byte from a host program
    ended = device.wait_message(lambda m: m.kind == "event" and "session_end" in m.text)
    assert ended.fields["reason"] == "ctrl_c"
    # 2 s of device time after the session had ended (at full speed the
    # Ctrl-C may reach the device seconds of device time after t_int).
    rows = device.truth.rows()
    t_end = int(rows[-1]["t_ms"]) if rows else t_int
    truth = device.truth.wait_until(max(t_int, t_end) + 2_000)
    last = truth[-1]
    assert int(last["pump_duty"]) == 0 and int(last["valve_duty"]) == 65535
    assert int(last["true_vacuum_pa"]) < 500
    # The firmware runs on: it answers, nothing was reset.
    assert device.request("status").startswith("state=idle")
    assert not any("interrupted: pump off" in line or "boot vacuumfw" in line for line in device.link.raw_log[before:])
    device.link._write(b"\x03")  # idle now: the firmware stops for the REPL
    deadline = time.monotonic() + 20
    while not any("interrupted: pump off, vent open" in line for line in device.link.raw_log):
        assert time.monotonic() < deadline, device.link.raw_log[-5:]
        time.sleep(0.02)  # waiting for serial output, not a test delay
    # The watchdog the session armed brings the firmware back (and the
    # fixture's closing requests are answered, not timed out at the REPL).
    while not any("reset=wdt_reset" in line for line in device.link.raw_log):
        assert time.monotonic() < deadline, device.link.raw_log[-5:]
        time.sleep(0.02)  # waiting for serial output, not a test delay
    device.link.enter_machine_mode()  # a boot starts in human mode
    assert device.request("status").startswith("state=")


def _session_until_reboot(open_device, scenario, reset):
    """A 30 kPa session on the scenario's board until the firmware boots
    again, its boot message naming the reset: (device, ground-truth rows)."""
    dev = open_device(scenario)
    dev.request("tel on 50Hz")
    dev.request("start continuous target=30kPa duration=60s")
    boot = dev.wait_message(lambda m: m.kind == "boot")
    assert "reset=" + reset in boot.text
    return dev, dev.truth.rows()


def test_firmware_hang_is_reset_by_watchdog(open_device):
    dev, truth = _session_until_reboot(open_device, "fault_firmware_hang", "wdt_reset")  # hang 7.7 s after the pump starts
    hang = next(int(r["t_ms"]) for r in truth if "firmware_hang" in r["event"])
    reset = next(int(r["t_ms"]) for r in truth if "wdt_reset" in r["event"])
    assert 0 < reset - hang <= 1_100  # WDT_TIMEOUT_MS of the pico board + one step
    later = dev.truth.wait_until(reset + 1_500)
    assert all(int(r["pump_duty"]) == 0 for r in later if int(r["t_ms"]) > reset)
    assert int(later[-1]["true_vacuum_pa"]) < 500


def test_power_cut_boots_safe(open_device):
    dev, truth = _session_until_reboot(open_device, "fault_power_cut", "pwron_reset")  # cut 7.7 s after the pump starts, 2 s off
    cut = next(int(r["t_ms"]) for r in truth if "power_cut" in r["event"])
    after = [r for r in truth if int(r["t_ms"]) > cut]
    assert after and all(int(r["pump_duty"]) == 0 and int(r["valve_duty"]) == 65535 for r in after)
