"""A short soak (30 min of device time, about half a minute of wall time) of the
endurance run that `make soak` does for 72 h (tools/bench/soak.py): intermittent
wound therapy with a leak coming and going and host reconnects; no heap
growth after warm-up, no overruns, telemetry complete."""
from __future__ import annotations

from pathlib import Path

import pytest

import soak  # tools (pytest.ini pythonpath)

pytestmark = pytest.mark.sim_only("the soak runs on the simulated board")


def test_half_hour_soak(port: str) -> None:
    if port != "sim":
        pytest.skip("the soak runs on the simulated board")
    r = soak.soak(0.5, tel_hz=5, reconnect_min=6, progress=lambda s: None)
    print(r.summary())
    assert not r.problems(), r.summary()
    assert r.reconnects >= 3 and r.leak_events >= 2 and r.hours > 0.49
