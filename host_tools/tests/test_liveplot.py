"""The live plot's data path, headless: the sliding window of telemetry,
its picture (Agg), the window's redraw/close logic, and the sentence when
no display is available."""
from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from vacuumctl import liveplot, plot


def _tel(t_ms: int, vac: int, state: str = "run", alarms: str = "none") -> dict:
    return {"t_ms": t_ms, "vacuum_pa": vac, "setpoint_pa": 30000, "pump_duty": 32768, "valve_duty": 0,
            "state": state, "alarms": alarms}


def _filled(window_s: float = 60) -> liveplot.Trace:
    trace = liveplot.Trace(window_s)
    for i in range(1000):  # 100 s at 10 Hz; a leak alarm from 90 s
        trace.add(_tel(i * 100, min(30000, i * 300), alarms="leak" if i >= 900 else "none"))
    return trace


def test_the_trace_keeps_only_the_last_window_of_device_time():
    s = _filled(60).series()
    assert s.t_s[0] == pytest.approx(39.9) and s.t_s[-1] == pytest.approx(99.9)
    assert s.markers == [(90.0, "alarm: leak")]
    assert s.pump_pct[0] == pytest.approx(50.0, abs=0.01) and s.vent_pct[0] == 0


def test_a_device_restart_starts_a_new_window_and_bad_lines_are_skipped():
    trace = _filled(60)
    trace.add({"vacuum_pa": 5})  # no device time: cannot be placed
    trace.add(_tel(20, 0, state="idle"))
    assert [int(r["t_ms"]) for r in trace.rows] == [20]


def test_render_draws_vacuum_setpoint_duties_and_alarm_marker_in_the_users_unit():
    fig = plot.new_figure()
    assert liveplot.render(fig, _filled(), "mmHg")
    top, bottom = fig.axes
    vacuum, setpoint = top.get_lines()[:2]
    assert max(vacuum.get_ydata()) == pytest.approx(30000 / 133.322387, rel=1e-6)
    assert min(setpoint.get_ydata()) == max(setpoint.get_ydata()) == pytest.approx(225.0, abs=0.1)
    assert top.get_ylabel() == "vacuum [mmHg]"
    assert [line.get_label() for line in bottom.get_lines()[:2]] == ["pump duty", "vent opening"]
    assert any(t.get_text() == "alarm: leak" for t in top.texts)


def test_save_writes_the_documented_png_and_nothing_without_telemetry(tmp_path: Path):
    png = tmp_path / "live.png"
    assert liveplot.save(_filled(), "kPa", png)
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert (int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")) == (plot.WIDTH_PX, plot.HEIGHT_PX)
    assert not liveplot.save(liveplot.Trace(), "kPa", tmp_path / "empty.png")
    assert not (tmp_path / "empty.png").exists()


def test_no_display_is_a_sentence(monkeypatch):
    monkeypatch.setattr(liveplot.sys, "platform", "linux")
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    window, why = liveplot.open_window(liveplot.Trace(), "kPa")
    assert window is None and why.startswith("there is no display (DISPLAY is not set")


def test_a_file_only_backend_is_a_sentence(monkeypatch):
    import matplotlib

    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.setattr(matplotlib, "get_backend", lambda: "agg")
    assert "matplotlib has no window backend here (it uses 'agg'" in liveplot.no_display_reason()


def test_the_window_redraws_the_trace_and_notices_when_closed(monkeypatch):
    import matplotlib.pyplot as plt

    plt.switch_backend("agg")  # the pyplot path without a display
    now = [1000.0]  # wall clock under the test's control
    monkeypatch.setattr(liveplot.time, "monotonic", lambda: now[0])
    trace = _filled()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "FigureCanvasAgg is non-interactive"
        window = liveplot.Window(trace, "kPa")
    try:
        window.refresh()
        assert window.fig.axes and not window.closed()
        first_t = window.fig.axes[0].get_lines()[0].get_xdata()[-1]
        trace.add(_tel(100_000, 30000))
        window.refresh()  # within REDRAW_S: not redrawn yet
        assert window.fig.axes[0].get_lines()[0].get_xdata()[-1] == first_t
        now[0] += liveplot.REDRAW_S
        window.refresh()
        assert window.fig.axes[0].get_lines()[0].get_xdata()[-1] == pytest.approx(100.0)
    finally:
        window.close()
    assert window.closed()
