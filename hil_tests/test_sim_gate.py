"""The host's gate (boards/sim/hostgate.py): a test fixture's simulated board
runs at full speed only while the host waits on it, at the idle speed (real
time) in between, so the device time between two of the host's commands no
longer depends on how busy the host's machine is."""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from devicekit import Truth
from vacuumctl.link import DeviceLink


def _device_ms(link: DeviceLink) -> int:
    return int(link.request("hb").split("t_ms=")[1].split()[0])


@pytest.mark.whole_machine  # paced in real time
def test_a_gated_board_idles_at_real_time_and_runs_full_speed_while_the_host_waits(tmp_path: Path, needs_sim) -> None:
    link = DeviceLink.open("sim:default", truth_csv=str(tmp_path / "truth.csv"), idle_speed="1")
    try:
        truth = Truth(tmp_path / "truth.csv", link.waiting)
        t0 = _device_ms(link)
        time.sleep(0.5)  # the host busy elsewhere: the board keeps real time, at most
        idle = _device_ms(link) - t0
        # Paced at real time in between (a starved board is only slower),
        # plus the full-speed moments around each request: until the board
        # has heard the host stop waiting, and before the request's line
        # reaches it after its 'w' (a few ms of relay each). Ungated, a
        # full-speed board passes about 40 s here.
        assert 0 <= idle <= 5_000, idle
        t1 = _device_ms(link)
        wall = time.monotonic()
        rows = truth.wait_until(t1 + 20_000)  # the host waits: full speed
        wall = time.monotonic() - wall
        assert int(rows[-1]["t_ms"]) >= t1 + 20_000 - 10  # (a row every 10 ms)
        assert wall < 10.0, "20 s of device time took %.1f s of wall: not at full speed" % wall
        # Each request was answered within a few control periods of device
        # time: the board did not idle through the host's waits.
        assert link.request("status").startswith("state=idle")
    finally:
        link.close()


def test_the_gate_nests_and_an_ungated_board_ignores_it(tmp_path: Path, needs_sim) -> None:
    link = DeviceLink.open("sim:default", idle_speed="1")
    try:
        sim = link.sim
        assert sim is not None and sim.gated
        with link.waiting():
            with link.waiting():
                assert sim._waiters == 2
            assert sim._waiters == 1
        assert sim._waiters == 0
    finally:
        link.close()
    plain = DeviceLink.open("sim:default")
    try:
        assert plain.sim is not None and not plain.sim.gated
        with plain.waiting():
            assert plain.sim._waiters == 0
        assert plain.request("status").startswith("state=idle")
    finally:
        plain.close()
