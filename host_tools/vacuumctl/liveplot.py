"""``vacuumctl monitor --plot`` / ``--plot-file``: the last minute of
telemetry as a picture, redrawn live in a window and/or saved at exit.

The picture is the one ``vacuumctl plot`` draws (plot.draw): vacuum and
setpoint, pump and vent duty, state shading and alarm markers, here over a
sliding window of device time. The window needs a display and an
interactive matplotlib backend; without one the monitor carries on with its
text line and says why (:func:`open_window` returns the sentence).
"""
from __future__ import annotations

import os
import sys
import time
from collections import deque
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import plot
from .telemetry import CSV_COLUMNS

if TYPE_CHECKING:
    from matplotlib.figure import Figure

REDRAW_S = 0.25  # wall time between window redraws: smooth enough, cheap enough
# matplotlib backends that draw to files only.
_FILE_BACKENDS = {"agg", "cairo", "pdf", "pgf", "ps", "svg", "template"}


class Trace:
    """The last window_s seconds of device time of telemetry fields."""

    def __init__(self, window_s: float = 60.0):
        self.window_ms = int(window_s * 1000)
        self.rows: deque[dict[str, Any]] = deque()

    def add(self, fields: dict[str, Any]) -> None:
        """Keep one telemetry line; drop what fell out of the window."""
        try:
            t = int(fields["t_ms"])
        except (KeyError, TypeError, ValueError):
            return  # a line without device time cannot be placed
        if self.rows and t < int(self.rows[-1]["t_ms"]):
            self.rows.clear()  # device time went back: the device restarted
        self.rows.append({c: fields.get(c, "") for c in CSV_COLUMNS})
        while t - int(self.rows[0]["t_ms"]) > self.window_ms:
            self.rows.popleft()

    def series(self) -> plot.Series:
        """The window as plot.Series, time in device seconds (so the axis
        reads like the monitor's t=) and alarm markers where an alarm begins."""
        s = plot.Series("telemetry")
        previous = "none"
        for row in self.rows:
            ts = int(row["t_ms"]) / 1000
            s.t_s.append(ts)
            s.vacuum_pa.append(_num(row["vacuum_pa"]))
            s.setpoint_pa.append(_num(row["setpoint_pa"]))
            s.pump_pct.append(_num(row["pump_duty"]) * 100 / plot.DUTY_FULL)
            s.vent_pct.append(_num(row["valve_duty"]) * 100 / plot.DUTY_FULL)
            s.states.append(str(row["state"] or "?"))
            alarms = str(row["alarms"] or "none")
            if alarms != previous and alarms != "none":
                s.markers.append((ts, "alarm: " + alarms))
            previous = alarms
        return s


def _num(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def render(fig: "Figure", trace: Trace, unit: str) -> bool:
    """Draw the window onto fig (cleared first); False if there is nothing yet."""
    if not trace.rows:
        return False
    s = trace.series()
    fig.clear()
    plot.draw(fig, s, unit, "live: last %d s of device time (vacuum in %s)" % (trace.window_ms // 1000, unit))
    return True


def save(trace: Trace, unit: str, png_path: str | Path) -> bool:
    """The window as a PNG (Agg: no display needed); False if no telemetry arrived."""
    fig = plot.new_figure()
    if not render(fig, trace, unit):
        return False
    plot.save_png(fig, png_path)
    return True


def no_display_reason() -> str:
    """Why no plot window can open here, as a sentence; empty if one can."""
    if sys.platform.startswith(("linux", "freebsd", "openbsd")) and not (
            os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return "there is no display (DISPLAY is not set: a console, SSH without -X, or a container)"
    import matplotlib

    backend = matplotlib.get_backend().lower()
    if backend in _FILE_BACKENDS or backend.startswith("module://"):
        return ("matplotlib has no window backend here (it uses '%s'; install tkinter, e.g. "
                "'sudo apt install python3-tk', or PyQt)" % backend)
    return ""


class Window:
    """The live plot window; redraws at most every REDRAW_S of wall time."""

    def __init__(self, trace: Trace, unit: str):
        import matplotlib.pyplot as plt

        self.plt = plt
        self.trace = trace
        self.unit = unit
        self.fig = plt.figure("vacuumctl monitor", figsize=(plot.WIDTH_PX / plot.DPI, plot.HEIGHT_PX / plot.DPI))
        plt.show(block=False)
        self._next = 0.0

    def closed(self) -> bool:
        return not self.plt.fignum_exists(self.fig.number)

    def refresh(self) -> None:
        """Redraw if due, and let the window handle its events (resize, close)."""
        now = time.monotonic()
        if now >= self._next:
            self._next = now + REDRAW_S
            if render(self.fig, self.trace, self.unit):
                self.fig.canvas.draw_idle()
        self.fig.canvas.flush_events()

    def close(self) -> None:
        self.plt.close(self.fig)


def open_window(trace: Trace, unit: str) -> tuple[Window | None, str]:
    """(window, "") or (None, why not) when no window can open here."""
    why = no_display_reason()
    if why:
        return None, why
    try:
        return Window(trace, unit), ""
    except Exception as e:  # noqa: BLE001 - any GUI toolkit failure means: no window
        return None, "the plot window could not open (%s: %s)" % (e.__class__.__name__, e)
