"""vacuumctl plot: CSV reading, state spans, alarm markers, PNG output."""
from __future__ import annotations

import struct
from pathlib import Path

import pytest

from vacuumctl import cli
from vacuumctl.errors import UserError
from vacuumctl.plot import HEIGHT_PX, WIDTH_PX, plot_csv, read_csv, state_spans
from vacuumctl.telemetry import CSV_COLUMNS

TRUTH_HEADER = ("t_ms,true_vacuum_pa,line_vacuum_pa,pump_duty,valve_duty,"
                "pump_flow_ml_min,vent_flow_ml_min,leak_flow_ml_min,faults,event")


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def telemetry_csv(path: Path, truncated_tail: bool = False) -> Path:
    """A 6 s session: idle, run to 30 kPa, overvacuum alarm at 4 s, fault."""
    rows = [",".join(CSV_COLUMNS)]
    for i in range(120):
        t = 1000 + i * 50
        if i < 10:
            state, alarms, vac, sp, pump, vent = "idle", "none", 0, 0, 0, 65535
        elif i < 60:
            state, alarms, vac, sp, pump, vent = "run", "none", min(30000, (i - 10) * 1500), 30000, 20000, 0
        elif i < 80:
            state, alarms, vac, sp, pump, vent = "fault", "overvacuum", 36000 - (i - 60) * 1800, 0, 0, 65535
        else:
            state, alarms, vac, sp, pump, vent = "fault", "overvacuum,sensor", 0, 0, 0, 65535
        rows.append("%d,%d,%d,%d,%d,%s,\"%s\",0,none,-1,0" % (t, vac, sp, pump, vent, state, alarms))
    text = "\n".join(rows) + "\n"
    if truncated_tail:
        text += "7000,123"  # a line cut short by Ctrl-C or a full disk
    path.write_text(text)
    return path


def test_reads_telemetry_on_the_devices_clock_with_alarm_markers(tmp_path):
    s = read_csv(telemetry_csv(tmp_path / "t.csv", truncated_tail=True))
    assert s.kind == "telemetry"
    assert len(s.t_s) == 120  # the truncated line is skipped
    # Device uptime, as the live lines (t=...) and the alarm times show it.
    assert s.t_s[0] == 1.0 and s.t_s[-1] == pytest.approx(6.95)
    assert s.pump_pct[20] == pytest.approx(20000 * 100 / 65535)
    assert s.vent_pct[0] == pytest.approx(100.0)
    # A marker where an alarm appears and where the set changes, none while it persists.
    assert s.markers == [(4.0, "alarm: overvacuum"), (5.0, "alarm: overvacuum,sensor")]


def test_a_device_restart_in_a_recording_keeps_the_axis_going_and_is_marked(tmp_path):
    p = tmp_path / "r.csv"
    p.write_text(",".join(CSV_COLUMNS) + "\n" + "".join(
        "%d,0,0,0,65535,idle,none,0,none,-1,0\n" % t for t in (5000, 5050, 5100, 20, 70)))
    s = read_csv(p)
    assert s.t_s == pytest.approx([5.0, 5.05, 5.1, 5.1, 5.15])
    assert s.markers == [(5.1, "device restarted")]


def test_state_spans_cover_the_session_without_gaps():
    spans = state_spans([0, 1, 2, 3, 4], ["idle", "run", "run", "fault", "fault"])
    assert spans == [(0, 1, "idle"), (1, 3, "run"), (3, 4, "fault")]
    assert state_spans([], []) == []


def test_reads_simulator_truth_with_fault_and_event_markers(tmp_path):
    p = tmp_path / "truth.csv"
    p.write_text(TRUTH_HEADER + "\n"
                 "1,0,0,0,65535,0,0,0,,\n"
                 "11,500,400,65535,0,900,0,0,,\n"
                 "21,900,800,65535,0,900,0,0,pump_fail,pump_fail\n"
                 "31,800,800,65535,0,0,0,0,pump_fail,\n"
                 "41,700,700,0,65535,0,0,0,pump_fail,power_cut\n")
    s = read_csv(p)
    assert s.kind == "truth"
    assert s.vacuum_pa == [0, 500, 900, 800, 700] and s.line_pa[1] == 400
    assert s.markers == [(0.021, "fault: pump_fail"), (0.041, "event: power_cut")]


@pytest.mark.parametrize("content,needle", [
    ("a,b,c\n1,2,3\n", "is not a vacuumctl telemetry CSV"),
    (",".join(CSV_COLUMNS) + "\n", "has no data rows"),
    ("", "is not a vacuumctl telemetry CSV"),
])
def test_foreign_or_empty_csv_is_a_sentence(tmp_path, content, needle):
    p = tmp_path / "x.csv"
    p.write_text(content)
    with pytest.raises(UserError, match=needle):
        read_csv(p)


def test_missing_csv_is_a_sentence(tmp_path):
    with pytest.raises(UserError, match="cannot read .*nope.csv"):
        read_csv(tmp_path / "nope.csv")


@pytest.mark.parametrize("unit", ["kPa", "mmhg", "mbar"])
def test_plot_writes_png_of_the_documented_size(tmp_path, unit):
    out = tmp_path / "sub" / "t.png"
    plot_csv(telemetry_csv(tmp_path / "t.csv"), out, title="test", unit=unit)
    assert png_size(out) == (WIDTH_PX, HEIGHT_PX)


def test_plot_of_a_long_session_uses_minutes(tmp_path):
    p = tmp_path / "long.csv"
    rows = [",".join(CSV_COLUMNS)] + ["%d,30000,30000,9000,0,run,none,0,hold,10,0" % (i * 1000) for i in range(1300)]
    p.write_text("\n".join(rows) + "\n")
    plot_csv(p, tmp_path / "long.png")
    assert png_size(tmp_path / "long.png") == (WIDTH_PX, HEIGHT_PX)


def test_unknown_unit_is_refused_before_anything_is_drawn(tmp_path):
    with pytest.raises(UserError, match="unknown pressure unit 'psi'"):
        plot_csv(telemetry_csv(tmp_path / "t.csv"), tmp_path / "t.png", unit="psi")
    assert not (tmp_path / "t.png").exists()


def test_cli_plot_defaults_the_png_name_and_needs_no_port(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("VACUUM_PORT", raising=False)
    csv_path = telemetry_csv(tmp_path / "session.csv")
    assert cli.main(["plot", str(csv_path)]) == 0
    assert png_size(tmp_path / "session.png") == (WIDTH_PX, HEIGHT_PX)
    assert "plot written to" in capsys.readouterr().out


def test_cli_plot_error_is_one_sentence(tmp_path, capsys):
    assert cli.main(["plot", str(tmp_path / "missing.csv"), "-o", str(tmp_path / "x.png")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("vacuumctl: cannot read") and "Traceback" not in err


def test_the_step_picture_carries_its_figures(tmp_path):
    """rise, overshoot, settling and steady-state error drawn on the picture,
    at the device times where they happen."""
    from vacuumctl.plot import draw_step, new_figure
    from vacuumctl.tune import step_figures

    sp = 30_000
    rows = [",".join(CSV_COLUMNS)]
    samples = []
    for i in range(400):  # 2 s at 5 ms from uptime 10.000 s: a first-order rise with a small overshoot
        t_rel = i * 0.005
        v = int(sp * (1 - 2.718281828 ** (-t_rel / 0.1)) * (1.01 if 0.5 < t_rel < 0.6 else 1.0))
        samples.append((t_rel, v))
        rows.append("%d,%d,%d,20000,0,run,none,0,hold,-1,0" % (10_000 + i * 5, v, sp))
    path = tmp_path / "step.csv"
    path.write_text("\n".join(rows) + "\n")
    figs = step_figures(samples, sp)
    fig = new_figure()
    draw_step(fig, read_csv(path), figs, sp, samples, 10.0, "step", "kPa")
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert any(t == "rise 10-90 %%: %.3f s" % figs.rise_s for t in texts), texts
    assert any(t.startswith("overshoot %.2f %%" % figs.overshoot_pct) for t in texts), texts
    assert any(t == "settled (+-2 %%): %.3f s" % figs.settle_s for t in texts), texts
    assert any(t.startswith("steady-state error") and "RMS" in t for t in texts), texts
    # The settling line is at the device time of the settling (the bottom axis is uptime).
    top = fig.axes[0]
    assert any(abs(line.get_xdata()[0] - (10.0 + figs.settle_s)) < 1e-9 for line in top.get_lines()
               if len(line.get_xdata()) == 2 and line.get_xdata()[0] == line.get_xdata()[1])
