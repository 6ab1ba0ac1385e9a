#!/usr/bin/env python3
"""make bench-ui: how often the dashboard's page updates and how long a
device event takes to reach the screen.

`vacuumctl --port sim:SCENARIO ui` at real time (speed 1) with headless
Chromium (the system's, as in the browser tests) on its page; a continuous
session at 30 kPa from the page; the page's own measurements
(window.vcStats, static/js/live.js) read after --seconds of wall time:

* chart redraws per second and telemetry rows per second (the page);
* host -> screen: from the moment the dashboard's server took the line from
  the host tool's link to the browser frame after the one that drew it
  (two requestAnimationFrame callbacks: the drawn frame has been presented);
* device -> screen: each line's device time against the wall clock. At
  speed 1 the simulated board keeps device time in step with wall time, so
  paint - t_ms is the latency plus one constant, taken as the smallest
  (rx - t_ms) of the run: the figure is the latency beyond the fastest line
  the host received (it includes the host tool's serial reading, which
  hands lines on in 50 ms reads);
* an alarm: fault_sensor_disconnect's sensor alarm at 8 s of device time,
  from its `alarm raise` line (with its own t_ms) to the alarm bar drawn.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "hil_tests"))

from uibrowser import LAUNCH_ARGS, Dashboard, chromium_path  # noqa: E402


def pcts(xs: list[float]) -> str:
    if not xs:
        return "no samples"
    s = sorted(xs)
    return "median %.1f ms, p95 %.1f ms, max %.1f ms (n=%d)" % (statistics.median(s), s[int(0.95 * (len(s) - 1))], s[-1], len(s))


def run(browser, scenario: str, seconds: float) -> dict:
    d = Dashboard("sim:" + scenario, "--speed", "1")
    try:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(d.url)
        page.wait_for_function("VC.state.lastTel !== null", timeout=30000)
        page.evaluate("VC.send('start', {program: 'continuous', params: {target: '30kPa', duration: '2min'}})")
        t_end = time.monotonic() + seconds
        while time.monotonic() < t_end:
            page.wait_for_timeout(500)  # the benchmark's observation window, not a test delay
        stats = page.evaluate("({drawRate: vcStats.drawRate, telRate: vcStats.telRate, draws: vcStats.draws, "
                              "rows: vcStats.rows, samples: vcStats.samples})")
        page.close()
        return stats
    finally:
        d.stop()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seconds", type=float, default=20.0, help="wall time of the session run observed (default 20)")
    args = p.parse_args()
    exe = chromium_path()
    if exe is None:
        print("bench-ui: no Chromium: run 'make browser'", file=sys.stderr)
        return 1
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=exe, args=LAUNCH_ARGS)
        try:
            live = run(browser, "default", args.seconds)
            alarm = run(browser, "fault_sensor_disconnect", 10.0)
        finally:
            browser.close()
    tel = [s for s in live["samples"] if s["kind"] == "tel"]
    offset = min(s["rx"] - s["t_ms"] for s in tel)
    print("dashboard on the simulated board at real time, %g s, headless Chromium %s" % (args.seconds, exe))
    print("page updates         %.1f chart redraws/s for %.1f telemetry rows/s (device telemetry at 20 Hz)" % (
        live["drawRate"], live["telRate"]))
    print("host -> screen       %s" % pcts([s["paint"] - s["rx"] for s in tel]))
    print("device -> screen     %s  (beyond the fastest line)" % pcts([s["paint"] - s["t_ms"] - offset for s in tel]))
    atel = [s for s in alarm["samples"] if s["kind"] == "tel"]
    al = [s for s in alarm["samples"] if s["kind"] == "alarm"]
    if al and atel:
        aoff = min(s["rx"] - s["t_ms"] for s in atel)
        a = al[0]
        print("alarm -> screen      sensor alarm raised at t=%d ms: on screen %.1f ms after the host had the line, "
              "%.1f ms after the device raised it (beyond the fastest line)" % (a["t_ms"], a["paint"] - a["rx"],
                                                                             a["paint"] - a["t_ms"] - aoff))
    else:
        print("alarm -> screen      no alarm seen")
    return 0


if __name__ == "__main__":
    sys.exit(main())
