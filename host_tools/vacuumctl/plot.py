"""``vacuumctl plot``: a session CSV as a picture a technician reads at a glance.

Top panel: vacuum (and setpoint) against time in the chosen pressure unit;
bottom panel: pump and vent duty in percent. Both panels are shaded by device
state (run, pause, release, fault) and carry a vertical marker wherever an
alarm appears.

Reads the CSVs the tool writes (``run --csv``, ``monitor --csv``: columns of
:data:`vacuumctl.telemetry.CSV_COLUMNS`) and the simulated board's ground
truth (``--truth-csv``: ``true_vacuum_pa``, ``line_vacuum_pa``, ``faults``,
``event``). Rendering uses matplotlib's Agg canvas directly (no pyplot, no
display, no global state), so it works headless and from any thread.
"""
from __future__ import annotations

import argparse
import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import units, userunit
from .cmdline import add_command
from .errors import UserError

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from .tune import StepFigures

WIDTH_PX = 1200
HEIGHT_PX = 750
DPI = 100
DUTY_FULL = 65535
MAX_MARKERS = 24  # more alarm labels than this are unreadable; the rest are counted

STATE_COLOURS = {
    "run": ("#2ca02c", 0.10),
    "pause": ("#bcbd22", 0.18),
    "release": ("#1f77b4", 0.12),
    "fault": ("#d62728", 0.20),
}


@dataclass
class Series:
    """One CSV, normalised: times in seconds on the recording's own clock
    (the device's uptime for telemetry, as the live lines and alarm times
    show it; the simulation's time for ground truth), pressures in Pa."""

    kind: str  # "telemetry" or "truth"
    t_s: list[float] = field(default_factory=list)
    vacuum_pa: list[float] = field(default_factory=list)
    setpoint_pa: list[float] = field(default_factory=list)  # telemetry only
    line_pa: list[float] = field(default_factory=list)  # truth only
    pump_pct: list[float] = field(default_factory=list)
    vent_pct: list[float] = field(default_factory=list)
    states: list[str] = field(default_factory=list)  # telemetry only
    # (time, label) where an alarm (telemetry) or fault/event (truth) begins
    markers: list[tuple[float, str]] = field(default_factory=list)


def read_csv(csv_path: str | Path) -> Series:
    """Read a telemetry or ground-truth CSV; a half-written last line is skipped."""
    path = Path(csv_path)
    try:
        f = open(path, newline="")
    except OSError as e:
        raise UserError("cannot read %s: %s" % (path, e.strerror or e)) from None
    with f:
        reader = csv.DictReader(f)
        cols = set(reader.fieldnames or ())
        if {"t_ms", "vacuum_pa", "pump_duty", "valve_duty"} <= cols:
            series = Series("telemetry")
        elif {"t_ms", "true_vacuum_pa", "pump_duty", "valve_duty"} <= cols:
            series = Series("truth")
        else:
            raise UserError(
                "%s is not a vacuumctl telemetry CSV (run/monitor --csv) or a simulator truth CSV: "
                "it has no t_ms/vacuum_pa/pump_duty/valve_duty columns" % path)
        offset = 0  # uptime starts again at a device reset: the axis carries on
        last_t: int | None = None
        previous = "none" if series.kind == "telemetry" else ""
        for row in reader:
            try:
                t = int(row["t_ms"])
                vac = int(row["vacuum_pa" if series.kind == "telemetry" else "true_vacuum_pa"])
                pump = int(row["pump_duty"])
                vent = int(row["valve_duty"])
            except (TypeError, ValueError):
                continue  # a truncated or blank line
            if last_t is not None and t + offset < last_t:
                offset = last_t - t
                series.markers.append((last_t / 1000, "device restarted"))
            last_t = t + offset
            ts = (t + offset) / 1000
            series.t_s.append(ts)
            series.vacuum_pa.append(vac)
            series.pump_pct.append(pump * 100 / DUTY_FULL)
            series.vent_pct.append(vent * 100 / DUTY_FULL)
            if series.kind == "telemetry":
                series.setpoint_pa.append(_int_or(row.get("setpoint_pa"), 0))
                series.states.append(row.get("state") or "?")
                alarms = row.get("alarms") or "none"
                if alarms != previous and alarms != "none":
                    series.markers.append((ts, "alarm: " + alarms))
                previous = alarms
            else:
                series.line_pa.append(_int_or(row.get("line_vacuum_pa"), vac))
                faults = row.get("faults") or ""
                if faults != previous and faults:
                    series.markers.append((ts, "fault: " + faults.replace("|", ", ")))
                event = row.get("event") or ""
                if event and event not in faults.split("|"):  # an injected fault is already marked
                    series.markers.append((ts, "event: " + event.replace("|", ", ")))
                previous = faults
    if not series.t_s:
        raise UserError("%s has no data rows to plot" % path)
    return series


def _int_or(text: str | None, default: float) -> float:
    try:
        return int(text or "")
    except ValueError:
        return default


def state_spans(t_s: list[float], states: list[str]) -> list[tuple[float, float, str]]:
    """Runs of equal state as (start, end, state); each run ends where the next begins."""
    spans: list[tuple[float, float, str]] = []
    if not t_s:
        return spans
    start = 0
    for i in range(1, len(states) + 1):
        if i == len(states) or states[i] != states[start]:
            end = t_s[i] if i < len(t_s) else t_s[-1]
            spans.append((t_s[start], end, states[start]))
            start = i
    return spans


def plot_csv(csv_path: str | Path, png_path: str | Path, title: str | None = None, unit: str = "kPa") -> None:
    """Render csv_path (telemetry or truth CSV) to png_path (WIDTH_PX x HEIGHT_PX).

    Raises UserError for an unreadable or foreign CSV, or an unknown unit.
    """
    unit = userunit.canonical(unit)
    series = read_csv(csv_path)
    minutes = series.t_s[-1] - series.t_s[0] > 600  # long sessions read better in minutes
    if minutes:
        series.t_s = [x / 60 for x in series.t_s]
        series.markers = [(x / 60, label) for x, label in series.markers]
    fig = new_figure()
    top, _ = draw(fig, series, unit, title or _default_title(Path(csv_path), series, unit, minutes), minutes)
    add_recording_axis(top, series.t_s[0], minutes)
    fig.tight_layout()
    save_png(fig, png_path)


def add_recording_axis(ax: "Axes", start: float, minutes: bool) -> None:
    """A second time axis on top: time since the recording began (the
    bottom one is the device's own clock)."""
    def since(x: Any) -> Any:
        return x - start

    def clock(x: Any) -> Any:
        return x + start

    sec = ax.secondary_xaxis("top", functions=(since, clock))
    sec.set_xlabel("since the recording began [%s]" % ("min" if minutes else "s"), fontsize=8)
    sec.tick_params(labelsize=8)


def plot_step(csv_path: str | Path, png_path: str | Path, figs: "StepFigures", sp: int,
              samples: list[tuple[float, int]], t0_s: float, title: str, unit: str = "kPa") -> None:
    """The step test's picture with its figures drawn on it: the 10 % and
    90 % crossings and the rise time between them, the peak and its
    overshoot, the +-2 % band and the settling time, and the steady-state
    error over the last quarter. samples: (s from the step, Pa); t0_s: the
    step's device time."""
    unit = userunit.canonical(unit)
    fig = new_figure()
    draw_step(fig, read_csv(csv_path), figs, sp, samples, t0_s, title, unit)
    save_png(fig, png_path)


def draw_step(fig: "Figure", series: Series, figs: "StepFigures", sp: int, samples: list[tuple[float, int]],
              t0_s: float, title: str, unit: str) -> None:
    """The step test's recording with its figures drawn on it (see plot_step)."""
    from .tune import BAND, step_times

    top, bottom = draw(fig, series, unit, title, False)
    scale = units.PRESSURE_UNITS[unit]
    red = "#d62728"
    top.axhspan(sp * (1 - BAND) / scale, sp * (1 + BAND) / scale, color="#7f7f7f", alpha=0.18, lw=0,
                label="+-%d %% band" % int(BAND * 100))
    t10, t90 = step_times(samples, sp)
    if t10 is not None and t90 is not None and figs.rise_s is not None:
        for t, frac in ((t10, 0.1), (t90, 0.9)):
            top.plot([t0_s + t], [frac * sp / scale], "o", color="#9467bd", ms=5)
        y = 0.5 * sp / scale
        top.annotate("", xy=(t0_s + t90, y), xytext=(t0_s + t10, y),
                     arrowprops={"arrowstyle": "<->", "color": "#9467bd", "lw": 1.2})
        top.annotate("rise 10-90 %%: %.3f s" % figs.rise_s, xy=(t0_s + t90, y), xytext=(6, 0),
                     textcoords="offset points", va="center", fontsize=9, color="#9467bd")
    peak_t, peak = max(samples, key=lambda x: x[1])
    if figs.overshoot_pct > 0:
        top.plot([t0_s + peak_t], [peak / scale], "v", color=red, ms=7)
        top.annotate("overshoot %.2f %% (peak %s)" % (figs.overshoot_pct, userunit.show(peak, unit)),
                     xy=(t0_s + peak_t, peak / scale), xytext=(-10, -16), textcoords="offset points", fontsize=9,
                     color=red, ha="right")
    if figs.settle_s is not None:
        for ax in (top, bottom):
            ax.axvline(t0_s + figs.settle_s, color="#17becf", lw=1.2, ls="--")
        top.annotate("settled (+-%d %%): %.3f s" % (int(BAND * 100), figs.settle_s), xy=(t0_s + figs.settle_s, 0.25 * sp / scale),
                     xytext=(6, 0), textcoords="offset points", fontsize=9, color="#17becf")
    tail = samples[len(samples) * 3 // 4:]
    if tail:
        # The span the error is measured over, as a bracket below the hold.
        y = sp * (1 - 3 * BAND) / scale
        top.annotate("", xy=(t0_s + tail[-1][0], y), xytext=(t0_s + tail[0][0], y),
                     arrowprops={"arrowstyle": "|-|", "color": "#ff7f0e", "lw": 1.2})
        top.annotate("steady-state error %s%s mean, %s RMS\n(last quarter)" % (
            "+" if figs.ss_error_pa >= 0 else "", userunit.show(figs.ss_error_pa, unit), userunit.show(figs.ss_rms_pa, unit)),
            xy=(t0_s + (tail[0][0] + tail[-1][0]) / 2, y), xytext=(0, -8), textcoords="offset points",
            ha="center", va="top", fontsize=9, color="#ff7f0e",
            bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "#ff7f0e", "alpha": 0.85})
    top.legend(loc="lower right", fontsize=8, framealpha=0.85)
    add_recording_axis(top, t0_s, False)
    fig.tight_layout()


def new_figure() -> "Figure":
    """A WIDTH_PX x HEIGHT_PX figure on matplotlib's Agg canvas (no display needed)."""
    # Imported here so every other command starts without loading matplotlib.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI)
    FigureCanvasAgg(fig)
    return fig


def save_png(fig: "Figure", png_path: str | Path) -> None:
    out = Path(png_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        fig.savefig(out, format="png")
    except OSError as e:
        raise UserError("cannot write %s: %s" % (out, e.strerror or e)) from None


def draw(fig: "Figure", series: Series, unit: str, title: str, minutes: bool = False) -> tuple["Axes", "Axes"]:
    """Draw series onto an empty fig: the picture ``plot`` and the live
    ``monitor --plot`` window share. Returns the (pressure, duty) axes."""
    from matplotlib.patches import Patch

    scale = units.PRESSURE_UNITS[unit]
    top, bottom = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 2]})
    t = series.t_s

    top.plot(t, [v / scale for v in series.vacuum_pa], color="#1f3b73", lw=1.4,
             label="vacuum (measured)" if series.kind == "telemetry" else "vacuum (true, chamber)")
    if series.kind == "telemetry":
        top.plot(t, [v / scale for v in series.setpoint_pa], color="#ff7f0e", lw=1.2, ls="--", label="setpoint")
    else:
        top.plot(t, [v / scale for v in series.line_pa], color="#9467bd", lw=1.0, ls=":", label="vacuum (true, line)")
    top.set_ylabel("vacuum [%s]" % unit)
    top.grid(True, alpha=0.3)

    bottom.plot(t, series.pump_pct, color="#2ca02c", lw=1.0, label="pump duty")
    bottom.plot(t, series.vent_pct, color="#8c564b", lw=1.0, label="vent opening")
    bottom.set_ylabel("duty [%]")
    bottom.set_ylim(-3, 103)
    clock = "device uptime" if series.kind == "telemetry" else "simulation time"
    bottom.set_xlabel("%s [%s]" % (clock, "min" if minutes else "s"))
    bottom.grid(True, alpha=0.3)

    shaded: dict[str, bool] = {}
    for start, end, state in state_spans(t, series.states):
        if state in STATE_COLOURS:
            colour, alpha = STATE_COLOURS[state]
            for ax in (top, bottom):
                ax.axvspan(start, end, color=colour, alpha=alpha, lw=0)
            shaded[state] = True

    shown = series.markers[:MAX_MARKERS]
    for i, (ts, label) in enumerate(shown):
        for ax in (top, bottom):
            ax.axvline(ts, color="#d62728", lw=1.0, ls="-.")
        # Stagger labels so neighbouring markers stay legible.
        # Labels go right of the line, or left of it near the right edge.
        right_edge = ts > 0.75 * t[-1]
        top.annotate(label, xy=(ts, 1.0), xycoords=("data", "axes fraction"),
                     xytext=(-3 if right_edge else 3, -12 - 12 * (i % 4)), textcoords="offset points",
                     fontsize=8, color="#d62728", ha="right" if right_edge else "left", va="top",
                     bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.8})
    if len(series.markers) > len(shown):
        top.text(1.0, 1.01, "+%d more markers" % (len(series.markers) - len(shown)),
                 transform=top.transAxes, ha="right", va="bottom", fontsize=8, color="#d62728")

    handles, labels = top.get_legend_handles_labels()
    for state in STATE_COLOURS:
        if shaded.get(state):
            colour, alpha = STATE_COLOURS[state]
            handles.append(Patch(color=colour, alpha=min(1.0, alpha * 2.5)))
            labels.append("state: " + state)
    top.legend(handles, labels, loc="best", fontsize=8, framealpha=0.85)
    bottom.legend(loc="best", fontsize=8, framealpha=0.85)

    top.set_title(title)
    fig.tight_layout()
    return top, bottom


def register(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """Add ``vacuumctl plot`` to the CLI's subcommands."""
    s = add_command(
        sub, "plot", description="Vacuum and setpoint against time, pump and vent duty below, state shading "
                    "(run, pause, release, fault) and a red marker where an alarm appears.",
        examples="examples:\n"
               "  vacuumctl plot out/sim_session.csv -o out/session.png\n"
               "  vacuumctl plot out/sim_truth.csv -o truth.png --unit mmHg --title 'leg chamber'\n"
               "  vacuumctl --port sim run continuous --target 30kPa --duration 20 --plot run.png")
    s.add_argument("csv", help="telemetry CSV (run/monitor --csv) or simulator truth CSV (--truth-csv)")
    s.add_argument("-o", "--output", help="PNG to write (default: the CSV's name with .png)")
    s.add_argument("--title", help="plot title (default: file name, length and peak vacuum)")
    userunit.add_argument(s)
    s.set_defaults(func=cmd_plot, needs_port=False)


def cmd_plot(args: argparse.Namespace) -> int:
    png = args.output or str(Path(args.csv).with_suffix(".png"))
    plot_csv(args.csv, png, title=args.title, unit=args.unit)
    print("plot written to %s" % png)
    return 0


def _default_title(path: Path, series: Series, unit: str, minutes: bool) -> str:
    peak = max(series.vacuum_pa)
    span = series.t_s[-1] - series.t_s[0]
    length = "%.1f min" % span if minutes else "%.1f s" % span
    return "%s: %s, %s, peak %s" % (
        path.name, "device telemetry" if series.kind == "telemetry" else "simulator ground truth",
        length, units.format_pressure(peak, unit))
