/* Live chart (uPlot), big readouts, the session bar, and the page's own
   measurements: chart redraws per second, telemetry rows per second, and the
   latency from the host taking a line off the port to the frame that shows
   it (window.vcStats, the footer). */
"use strict";

(() => {
  const { $, state } = VC;
  const MAX_ROWS = 36000;  // 30 min at 20 Hz
  const D = { t: [], vac: [], sp: [], pump: [], vent: [], rows: [] };
  const segments = [];  // {t0, t1, state, phase}: the background bands
  const markers = [];   // {t, kind, word, name, priority, text}
  let chart = null, paused = false, zoomed = false, scheduled = false, windowS = 60;
  const STATE_FILL = { run: "rgba(46,160,67,0.13)", pause: "rgba(140,140,40,0.20)", release: "rgba(31,95,191,0.14)", fault: "rgba(217,45,32,0.20)" };
  const REST_PHASES = new Set(["off", "vent", "wait", "fall"]);
  const PRIO_COLOUR = { high: "#d92d20", medium: "#c99400", low: "#1fb6c9" };

  // ---- measurements ----------------------------------------------------------
  // latency: ms from the host taking a line off the port to the frame showing it;
  // samples: {kind, rx, t_ms (device time of the line), paint} for tools/bench/ui_latency.py.
  const stats = { draws: 0, drawTimes: [], telTimes: [], latency: [], alarmLatency: [], samples: [], rows: 0 };
  window.vcStats = stats;
  const waitingPaint = [];
  function afterPaint(fn) { requestAnimationFrame(() => requestAnimationFrame(fn)); }
  /* rx: when the host took the line off the port (server clock = this machine's clock). */
  VC.painted = (rx, kind, tMs) => afterPaint(() => {
    const paint = Date.now();
    const list = kind === "alarm" ? stats.alarmLatency : stats.latency;
    list.push(paint - rx);
    if (list.length > 2000) list.shift();
    stats.samples.push({ kind, rx, t_ms: tMs, paint });
    if (stats.samples.length > 20000) stats.samples.shift();
  });
  function rate(times, now) {
    while (times.length && now - times[0] > 5000) times.shift();
    return times.length / 5;
  }
  function quantile(xs, q) {
    if (!xs.length) return null;
    const s = xs.slice().sort((a, b) => a - b);
    return s[Math.min(s.length - 1, Math.floor(q * s.length))];
  }
  setInterval(() => {
    const now = performance.now();
    stats.drawRate = rate(stats.drawTimes, now);
    stats.telRate = rate(stats.telTimes, now);
    const lat = stats.latency.slice(-400);
    stats.latencyMedian = quantile(lat, 0.5);
    stats.latencyP95 = quantile(lat, 0.95);
    $("stats").textContent = `chart ${stats.drawRate.toFixed(1)} redraws/s · telemetry ${stats.telRate.toFixed(1)} rows/s` +
      (lat.length ? ` · port→screen ${stats.latencyMedian} ms median, ${stats.latencyP95} ms p95` : "") +
      (stats.alarmLatency.length ? ` · last alarm on screen ${stats.alarmLatency[stats.alarmLatency.length - 1]} ms after the port` : "");
  }, 1000);

  // ---- data -------------------------------------------------------------------
  function reset() {
    for (const k of Object.keys(D)) D[k].length = 0;
    segments.length = 0;
    markers.length = 0;
  }
  function ingest(row) {
    const f = VC.tel(row);
    const t = Number(f.t_ms) / 1000;
    if (D.t.length && t < D.t[D.t.length - 1]) { reset(); }  // the device rebooted: its clock restarted
    D.t.push(t); D.vac.push(Number(f.vacuum_pa)); D.sp.push(Number(f.setpoint_pa));
    D.pump.push(Number(f.pump_duty) * 100 / 65535); D.vent.push(Number(f.valve_duty) * 100 / 65535); D.rows.push(row);
    if (D.t.length > MAX_ROWS) for (const k of Object.keys(D)) D[k].splice(0, D[k].length - MAX_ROWS);
    const last = segments[segments.length - 1];
    if (!last || last.state !== f.state || last.phase !== f.phase) {
      if (last) last.t1 = t;
      segments.push({ t0: t, t1: t, state: f.state, phase: f.phase });
      if (segments.length > 2000) segments.shift();
    } else last.t1 = t;
    state.lastTel = f;
  }
  function addMarker(m) {
    const words = m.text.split(/\s+/);
    const t = Number(m.t_ms) / 1000;
    if (m.kind === "alarm") {
      markers.push({ t, kind: "alarm", word: words[1], name: words[1] === "silence" ? "silence" : words[2],
        priority: m.fields.priority, text: m.text });
    } else if (m.kind === "event") {
      markers.push({ t, kind: "event", word: words[1], name: words[1], text: m.text });
    }
    if (markers.length > 500) markers.shift();
  }

  // ---- chart ------------------------------------------------------------------
  function shade(u) {
    const ctx = u.ctx, { left, top, width, height } = u.bbox;
    const x0 = u.scales.x.min, x1 = u.scales.x.max;
    ctx.save();
    ctx.font = `${11 * devicePixelRatio}px sans-serif`;
    ctx.fillStyle = "#555";
    for (const s of segments) {
      if (s.t1 < x0 || s.t0 > x1 || !STATE_FILL[s.state]) continue;
      const a = Math.max(left, u.valToPos(s.t0, "x", true)), b = Math.min(left + width, u.valToPos(s.t1, "x", true));
      let fill = STATE_FILL[s.state];
      if (s.state === "run" && REST_PHASES.has(s.phase)) fill = "rgba(46,160,67,0.05)";
      ctx.fillStyle = fill;
      ctx.fillRect(a, top, Math.max(1, b - a), height);
      if (b - a > 46 * devicePixelRatio && s.phase && s.phase !== "none") {
        ctx.fillStyle = "#556";
        ctx.fillText(s.phase, a + 4 * devicePixelRatio, top + 12 * devicePixelRatio);
      }
    }
    ctx.restore();
  }
  function drawMarkers(u) {
    const ctx = u.ctx, { left, top, width, height } = u.bbox;
    const x0 = u.scales.x.min, x1 = u.scales.x.max;
    ctx.save();
    ctx.font = `bold ${11 * devicePixelRatio}px sans-serif`;
    let row = 0;
    for (const m of markers) {
      if (m.t < x0 || m.t > x1) continue;
      const x = u.valToPos(m.t, "x", true);
      const raise = m.kind === "alarm" && m.word === "raise";
      ctx.strokeStyle = raise ? (PRIO_COLOUR[m.priority] || "#d92d20") : m.kind === "alarm" ? "#777" : "#1f5fbf";
      ctx.lineWidth = (raise ? 2.5 : 1.2) * devicePixelRatio;
      ctx.setLineDash(raise ? [] : [4 * devicePixelRatio, 3 * devicePixelRatio]);
      ctx.beginPath(); ctx.moveTo(x, top); ctx.lineTo(x, top + height); ctx.stroke();
      const label = raise ? `▲ ${m.name}` : m.kind === "alarm" ? `${m.word} ${m.word === "silence" ? "" : m.name}` : m.name;
      ctx.fillStyle = ctx.strokeStyle;
      const y = top + (26 + 13 * (row++ % 4)) * devicePixelRatio;
      const w = ctx.measureText(label).width;
      ctx.fillText(label, Math.min(x + 3 * devicePixelRatio, left + width - w), y);
    }
    ctx.restore();
  }
  function makeChart() {
    if (chart) chart.destroy();
    const el = $("live-chart");
    chart = new uPlot({
      width: el.clientWidth || 900, height: 360,
      scales: { x: { time: false }, p: { auto: true, range: (u, lo, hi) => [Math.min(0, lo), Math.max(hi * 1.08, VC.paIn(5000))] }, pct: { auto: false, range: [0, 100] } },
      axes: [
        { label: "device time (s)", grid: { stroke: "#eee" } },
        { scale: "p", label: `vacuum (${state.unit})`, grid: { stroke: "#eee" }, size: 60 },
        { scale: "pct", side: 1, label: "pump / vent (%)", grid: { show: false }, size: 50 },
      ],
      series: [
        { label: "t (s)", value: (u, v) => v == null ? "–" : v.toFixed(2) },
        { label: "vacuum", scale: "p", stroke: "#1f5fbf", width: 2, value: (u, v) => v == null ? "–" : v.toFixed(2) + " " + state.unit },
        { label: "setpoint", scale: "p", stroke: "#111", width: 1.5, dash: [7, 4], value: (u, v) => v == null ? "–" : v.toFixed(2) + " " + state.unit },
        { label: "pump", scale: "pct", stroke: "#e07b00", width: 1, value: (u, v) => v == null ? "–" : v.toFixed(1) + " %" },
        { label: "vent open", scale: "pct", stroke: "#2a9d8f", width: 1, value: (u, v) => v == null ? "–" : v.toFixed(1) + " %" },
      ],
      cursor: { drag: { x: true, y: false } },
      hooks: {
        drawClear: [shade], draw: [drawMarkers],
        setSelect: [(u) => { if (u.select.width > 4) { zoomed = true; setPaused(true, "zoomed"); } }],
      },
    }, [[], [], [], [], []], el);
    chart.over.addEventListener("dblclick", () => { zoomed = false; setPaused(false); });
    schedule();
  }
  function lowerBound(xs, v) {
    let lo = 0, hi = xs.length;
    while (lo < hi) { const m = (lo + hi) >> 1; if (xs[m] < v) lo = m + 1; else hi = m; }
    return lo;
  }
  function draw() {
    scheduled = false;
    if (!chart || paused) return;
    const n = D.t.length;
    const i0 = windowS > 0 && n ? lowerBound(D.t, D.t[n - 1] - windowS) : 0;
    const k = state.units.pressure[state.unit] || 1000;
    chart.setData([D.t.slice(i0), D.vac.slice(i0).map((p) => p / k), D.sp.slice(i0).map((p) => p / k),
      D.pump.slice(i0), D.vent.slice(i0)]);
    stats.draws++;
    stats.drawTimes.push(performance.now());
    readouts();
  }
  function schedule() { if (!scheduled) { scheduled = true; requestAnimationFrame(draw); } }
  function setPaused(p, why) {
    paused = p;
    document.body.dataset.chart = p ? "paused" : "live";
    $("live-btn").textContent = p ? (why === "zoomed" ? "Back to live (zoomed)" : "Back to live") : "Pause chart";
    if (!p) schedule();
  }

  // ---- readouts and the session bar --------------------------------------------
  function readouts() {
    const f = state.lastTel;
    if (!f) return;
    $("ro-vacuum").textContent = VC.fmtP(f.vacuum_pa);
    $("ro-setpoint").textContent = VC.fmtP(f.setpoint_pa);
    $("ro-pump").textContent = VC.pct(f.pump_duty);
    $("ro-vent").textContent = VC.pct(f.valve_duty);
    $("ro-state").textContent = f.state + (f.phase && f.phase !== "none" ? " / " + f.phase : "");
    $("ro-left").textContent = f.state === "run" || f.state === "pause" ? VC.fmtDur(f.remaining_ms) : "–";
    $("ro-leak").textContent = Number(f.leak_ml_min) >= 0 ? `${f.leak_ml_min} mL/min` : "–";
    sessionBar();
  }
  function sessionBar() {
    const f = state.lastTel || {};
    const s = state.session || {};
    const st = f.state || state.status.state || "idle";
    const pill = $("sb-state");
    pill.textContent = st + (f.phase && f.phase !== "none" ? " / " + f.phase : "");
    pill.className = "state-pill " + st;
    $("sb-program").textContent = s.program && s.program !== "none" ? s.program : (state.status.program && state.status.program !== "none" ? state.status.program : "");
    const fill = $("progress-fill"), text = $("progress-text");
    let frac = 0, label = "no session", cls = "";
    const total = Number(s.total_ms) || 0;
    if ((st === "run" || st === "pause") && total) {
      frac = 1 - Number(f.remaining_ms) / total;
      label = `${Math.floor(frac * 100)} % · ${VC.fmtDur(f.remaining_ms)} left` + (st === "pause" ? " (paused)" : "");
      if (s.started_here === false) label += " · started elsewhere: keeps running if this page leaves";
    } else if (s.state === "ended" && s.end && total) {
      const done = Math.min(1, Number(s.end.elapsed_ms || 0) / total);
      const r = s.end.reason;
      if (r === "completed") { frac = 1; label = `completed · ${VC.fmtDur(total)}`; }
      else {
        frac = done;
        cls = r === "alarm" ? "alarm" : "early";
        const why = r === "stopped" ? "stopped early" : r === "pause_limit" ? "ended: paused over 10 min" : "ended by an alarm";
        label = `${why} at ${Math.floor(done * 100)} % (${VC.fmtDur(s.end.elapsed_ms)} of ${VC.fmtDur(total)})`;
      }
      if (st === "release") label += " · venting";
    } else if (st === "release") label = "venting to ambient";
    fill.style.width = (Math.max(0, Math.min(1, frac)) * 100).toFixed(1) + "%";
    fill.className = cls;
    text.textContent = label;
    const can = VC.canAct();
    $("start-btn").disabled = !can || st !== "idle";
    $("start-btn-2").disabled = !can || st !== "idle";
    $("pause-btn").disabled = !can || st !== "run";
    $("resume-btn").disabled = !can || st !== "pause";
    $("stop-btn").disabled = !can;
    $("next-btn").hidden = !(st === "run" && (f.phase === "wait" || f.phase === "vent"));
    $("next-btn").disabled = !can;
  }

  const act = (op) => () => VC.send(op).then((r) => VC.note(`${op}: ${r}`)).catch((e) => VC.fail(e));
  VC.on("hello", (m) => {
    reset();
    for (const r of m.history) ingest(r);
    for (const mk of m.markers) addMarker(mk);
    makeChart();
    readouts(); sessionBar();
  });
  VC.on("tel", (m) => {
    for (const r of m.rows) ingest(r);
    stats.rows += m.rows.length;
    const now = performance.now();
    for (let i = 0; i < m.rows.length; i++) stats.telTimes.push(now);
    if (!paused && m.rows.length) VC.painted(m.rx, "tel", Number(m.rows[m.rows.length - 1][0]));
    schedule();
  });
  VC.on("msg", (m) => {
    if (m.kind === "boot") { reset(); }
    addMarker(m);
    schedule();
  });
  for (const t of ["session", "status", "control-changed"]) VC.on(t, sessionBar);
  VC.on("unit", () => { makeChart(); readouts(); });
  window.addEventListener("DOMContentLoaded", () => {
    $("window").onchange = (e) => { windowS = Number(e.target.value); schedule(); };
    $("live-btn").onclick = () => { zoomed = false; setPaused(!paused); };
    $("pause-btn").onclick = act("pause");
    $("resume-btn").onclick = act("resume");
    $("stop-btn").onclick = act("stop");
    $("next-btn").onclick = act("next");
    $("chart-csv").onclick = () => {
      const lines = [state.columns.join(",")].concat(D.rows.map((r) => r.join(",")));
      const a = VC.el("a", { href: URL.createObjectURL(new Blob([lines.join("\n") + "\n"], { type: "text/csv" })), download: "dashboard_telemetry.csv" });
      a.click();
    };
    window.addEventListener("resize", () => chart && chart.setSize({ width: $("live-chart").clientWidth, height: 360 }));
  });
  VC.chartState = () => ({ paused, zoomed, windowS, rows: D.t.length, xmin: chart && chart.scales.x.min, xmax: chart && chart.scales.x.max,
    markers: markers.map((m) => `${m.word} ${m.name}`), segments: segments.map((s) => `${s.state}/${s.phase}`) });
  VC.series = () => ({ t: D.t.slice(), vac: D.vac.slice(), sp: D.sp.slice(), pump: D.pump.slice(), vent: D.vent.slice(),
    state: D.rows.map((r) => VC.tel(r).state) });
})();
