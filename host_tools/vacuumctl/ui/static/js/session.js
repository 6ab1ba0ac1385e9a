/* Session panel: the device's programs and presets, each parameter with the
   range, unit and default the device reports; a preview of the setpoint
   (computed by the server from the program's kind) before anything starts;
   start; a new target while running. */
"use strict";

(() => {
  const { $, state } = VC;
  const DUR = { ms: 1, s: 1000, min: 60000, h: 3600000 };
  let previewChart = null, timer = null, lastPreview = null;

  function program() { return state.programs.find((p) => p.name === $("program").value); }

  function unitsFor(q) {
    if (q.unit === "Pa") return Object.keys(state.units.pressure);
    if (q.unit === "ms") return Object.keys(DUR);
    return ["Hz"];
  }
  function bestDur(ms) {
    for (const u of ["h", "min", "s"]) if (ms && ms % DUR[u] === 0) return u;
    return ms && ms % 1000 === 0 ? "s" : ms ? "ms" : "s";
  }
  function toUnit(v, q, u) {
    if (q.unit === "Pa") return VC.fmtPlain(v, u);
    if (q.unit === "ms") return String(v / DUR[u]);
    return String(v / 1000);
  }
  function show(v, q) {
    if (q.unit === "Pa") return VC.fmtP(v);
    if (q.unit === "ms") return VC.fmtMs(v);
    return v / 1000 + " Hz";
  }

  function build() {
    const p = program();
    const form = $("params");
    form.innerHTML = "";
    if (!p) return;
    $("program-help").textContent = `${p.help} — ${p.kind}${p.preset_of && p.preset_of !== "none" ? ", preset of " + p.preset_of : ""}, ceiling ${VC.fmtP(p.ceiling_pa)}` +
      (p.wound === "yes" ? ", wound therapy" : "");
    for (const [name, q] of Object.entries(p.params)) {
      const u = q.unit === "Pa" ? state.unit : q.unit === "ms" ? bestDur(q.default ?? q.lo) : "Hz";
      const text = q.default == null ? "" : toUnit(q.default, q, u);
      const input = VC.el("input", { id: "param-" + name, "data-name": name, size: 7, value: text, placeholder: q.default == null ? "required" : "" });
      input.dataset.initial = text + u;
      const sel = VC.el("select", { "data-for": name });
      for (const x of unitsFor(q)) sel.add(new Option(x, x, false, x === u));
      sel.onchange = () => {  // keep the quantity, change its unit
        const prev = sel.dataset.prev || u;
        const val = Number(input.value);
        if (input.value !== "" && !isNaN(val)) {
          const dev = q.unit === "Pa" ? val * state.units.pressure[prev] : q.unit === "ms" ? val * DUR[prev] : val * 1000;
          input.value = toUnit(Math.round(dev), q, sel.value);
        }
        sel.dataset.prev = sel.value;
        refresh();
      };
      sel.dataset.prev = u;
      const range = `range ${show(q.lo, q)} – ${show(q.hi, q)}` + (q.default == null ? " · required" : ` · default ${show(q.default, q)}`);
      form.append(VC.el("div", { class: "param" + (q.default == null ? " required" : "") },
        VC.el("label", { for: "param-" + name, text: name }), input, sel, VC.el("span", { class: "range", text: range })));
      input.oninput = refresh;
    }
    refresh();
  }

  function collect() {
    const params = {};
    for (const input of $("params").querySelectorAll("input[data-name]")) {
      const sel = $("params").querySelector(`select[data-for="${input.dataset.name}"]`);
      const v = input.value.trim();
      if (v === "") continue;
      const tok = v + sel.value;
      if (tok !== input.dataset.initial) params[input.dataset.name] = tok;  // untouched: the device's default
    }
    return { program: $("program").value, params };
  }

  function missing() {
    const p = program();
    return p ? Object.entries(p.params).filter(([n, q]) => q.default == null && !$("param-" + n).value.trim()).map(([n]) => n) : [];
  }

  function refresh() {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const need = missing();
      if (need.length) {
        $("params-error").textContent = "";
        $("preview-caption").textContent = `enter ${need.join(", ")} to see the preview`;
        return;
      }
      const req = collect();
      try {
        const pv = await VC.send("preview", req);
        $("params-error").textContent = "";
        lastPreview = pv;
        drawPreview(pv);
      } catch (e) {
        $("params-error").textContent = e.message;
      }
    }, 150);
  }

  function drawPreview(pv) {
    const minutes = pv.horizon_s > 300;
    const k = state.units.pressure[state.unit];
    const xs = pv.points.map((p) => minutes ? p[0] / 60 : p[0]);
    const ys = pv.points.map((p) => p[1] / k);
    $("preview-caption").textContent = `setpoint the device will follow · ${pv.horizon_s < pv.duration_s ? "first " + VC.fmtDur(pv.horizon_s * 1000) + " of " : ""}${VC.fmtDur(pv.duration_s * 1000)}`;
    const notes = $("preview-notes");
    notes.innerHTML = "";
    for (const n of pv.notes) notes.append(VC.el("li", { text: n }));
    const el = $("preview-chart");
    if (previewChart) previewChart.destroy();
    const fills = { on: "rgba(46,160,67,0.16)", hold: "rgba(46,160,67,0.16)", build: "rgba(46,160,67,0.10)", rise: "rgba(46,160,67,0.12)",
      fall: "rgba(46,160,67,0.06)", off: "rgba(31,95,191,0.08)", vent: "rgba(31,95,191,0.10)", wait: "rgba(120,120,120,0.08)", release: "rgba(31,95,191,0.16)" };
    previewChart = new uPlot({
      width: el.clientWidth || 600, height: 220,
      scales: { x: { time: false }, y: { range: (u, lo, hi) => [0, Math.max(hi * 1.1, 1)] } },
      axes: [{ label: minutes ? "time from start (min)" : "time from start (s)" }, { label: `setpoint (${state.unit})`, size: 60 }],
      series: [{}, { label: "setpoint", stroke: "#111", width: 2, fill: "rgba(31,95,191,0.08)", points: { show: false } }],
      legend: { show: false }, cursor: { show: false },
      hooks: { drawClear: [(u) => {
        const { top, height } = u.bbox;
        u.ctx.save();
        u.ctx.font = `${10 * devicePixelRatio}px sans-serif`;
        for (const [t0, t1, name] of pv.phases) {
          const a = u.valToPos(minutes ? t0 / 60 : t0, "x", true), b = u.valToPos(minutes ? t1 / 60 : t1, "x", true);
          u.ctx.fillStyle = fills[name] || "rgba(0,0,0,0.04)";
          u.ctx.fillRect(a, top, Math.max(1, b - a), height);
          if (b - a > 30 * devicePixelRatio) { u.ctx.fillStyle = "#556"; u.ctx.fillText(name, a + 3 * devicePixelRatio, top + 11 * devicePixelRatio); }
        }
        u.ctx.restore();
      }] },
    }, [xs, ys], el);
    el.dataset.points = String(pv.points.length);
  }

  async function start() {
    const req = collect();
    try {
      const r = await VC.send("start", req);
      VC.note("started: " + r);
    } catch (e) { $("params-error").textContent = e.message; VC.fail(e); }
  }

  VC.on("hello", () => {
    const sel = $("program");
    const keep = sel.value;
    sel.innerHTML = "";
    const gp = VC.el("optgroup", { label: "Programs" }), gs = VC.el("optgroup", { label: "Presets" });
    for (const p of state.programs) (p.preset_of && p.preset_of !== "none" ? gs : gp).append(new Option(p.name, p.name));
    sel.append(gp, gs);
    if (keep) sel.value = keep;
    build();
  });
  VC.on("unit", () => { build(); $("set-target-unit") && ($("set-target-unit").textContent = state.unit); });
  window.addEventListener("DOMContentLoaded", () => {
    $("program").onchange = build;
    $("start-btn").onclick = start;
    $("start-btn-2").onclick = start;
    $("set-target").onclick = async () => {
      let v = $("new-target").value.trim();
      if (/^[-+]?\d+(\.\d+)?$/.test(v)) v += state.unit;  // a bare number is in the page's unit
      try { VC.note("target: " + await VC.send("set_target", { value: v })); } catch (e) { VC.fail(e); }
    };
    window.addEventListener("resize", () => lastPreview && drawPreview(lastPreview));
  });
  VC.previewState = () => lastPreview;
})();
