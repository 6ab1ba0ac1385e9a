/* Tuning panel: the step test with its figures drawn on the response
   (10 % and 90 % lines, rise, settling band and time, peak and overshoot,
   the steady-state window), computed by the host tool's own tune code; and
   the device's relay autotune with its staged result, committed with a
   rule or discarded. */
"use strict";

(() => {
  const { $, state } = VC;
  let stepChart = null;

  function token(id, unitId) {
    const v = $(id).value.trim();
    return /^[-+]?\d+(\.\d+)?$/.test(v) ? v + $(unitId).value : v;
  }

  function figures(step) {
    const f = step.figures, tbl = $("step-figures");
    tbl.innerHTML = "";
    const s = (x) => x == null ? "never" : x.toFixed(3) + " s";
    const rows = [
      ["setpoint", VC.fmtP(step.sp)], ["rise time 10–90 %", s(f.rise_s)], [`settling (±${Math.round(f.band * 100)} %)`, s(f.settle_s)],
      ["overshoot", f.overshoot_pct.toFixed(2) + " %"],
      ["steady-state error", `${f.ss_error_pa >= 0 ? "+" : ""}${f.ss_error_pa.toFixed(0)} Pa mean, ${f.ss_rms_pa.toFixed(0)} Pa RMS (last quarter)`],
      ["plant gain", `${step.plant_gain} Pa/s at full pump`],
    ];
    for (const [k, v] of rows) tbl.append(VC.el("tr", { "data-figure": k.split(" ")[0] }, VC.el("td", { text: k }), VC.el("td", { text: v })));
  }

  function drawStep(step) {
    const el = $("step-chart");
    if (stepChart) stepChart.destroy();
    const k = state.units.pressure[state.unit];
    const f = step.figures, sp = step.sp / k;
    const xs = step.samples.map((p) => p[0]);
    const spAt = new Map(step.setpoint.map((p) => [p[0], p[1]]));
    const ann = (u) => {
      const c = u.ctx, { left, top, width, height } = u.bbox, d = devicePixelRatio;
      const X = (t) => u.valToPos(t, "x", true), Y = (v) => u.valToPos(v, "y", true);
      c.save();
      c.font = `${11 * d}px sans-serif`;
      // settling band
      c.fillStyle = "rgba(46,160,67,0.12)";
      c.fillRect(left, Y(sp * (1 + f.band)), width, Y(sp * (1 - f.band)) - Y(sp * (1 + f.band)));
      // steady-state window
      if (f.tail_from_s != null) { c.fillStyle = "rgba(31,95,191,0.07)"; c.fillRect(X(f.tail_from_s), top, left + width - X(f.tail_from_s), height); }
      c.setLineDash([4 * d, 3 * d]);
      c.strokeStyle = "#888"; c.lineWidth = d;
      for (const q of [0.1, 0.9]) { c.beginPath(); c.moveTo(left, Y(sp * q)); c.lineTo(left + width, Y(sp * q)); c.stroke(); c.fillStyle = "#666"; c.fillText(`${q * 100} %`, left + 4 * d, Y(sp * q) - 3 * d); }
      c.setLineDash([]);
      const vline = (t, colour, label, row) => {
        if (t == null) return;
        c.strokeStyle = colour; c.lineWidth = 1.5 * d;
        c.beginPath(); c.moveTo(X(t), top); c.lineTo(X(t), top + height); c.stroke();
        c.fillStyle = colour; c.fillText(label, X(t) + 3 * d, top + (14 + 13 * row) * d);
      };
      vline(f.t10_s, "#7a5b00", "10 %", 0);
      vline(f.t90_s, "#7a5b00", `90 % · rise ${f.rise_s != null ? f.rise_s.toFixed(3) + " s" : "–"}`, 1);
      vline(f.settle_s, "#1b7f3b", `settled ${f.settle_s != null ? f.settle_s.toFixed(3) + " s" : "never"}`, 2);
      if (f.peak_s != null) {
        const peak = Math.max(...step.samples.map((p) => p[1])) / k;
        c.fillStyle = "#d92d20";
        c.beginPath(); c.arc(X(f.peak_s), Y(peak), 4 * d, 0, 2 * Math.PI); c.fill();
        c.fillText(`peak: overshoot ${f.overshoot_pct.toFixed(2)} %`, X(f.peak_s) + 6 * d, Y(peak) - 6 * d);
      }
      if (f.tail_from_s != null) { c.fillStyle = "#1f5fbf"; c.fillText(`steady-state error ${f.ss_error_pa.toFixed(0)} Pa (RMS ${f.ss_rms_pa.toFixed(0)})`, X(f.tail_from_s) + 4 * d, top + height - 8 * d); }
      c.restore();
    };
    stepChart = new uPlot({
      width: el.clientWidth || 700, height: 300,
      scales: { x: { time: false }, y: { range: (u, lo, hi) => [0, Math.max(hi, sp) * 1.1] } },
      axes: [{ label: "time from the start command (s)" }, { label: `vacuum (${state.unit})`, size: 60 }],
      series: [{ label: "t (s)" }, { label: "vacuum", stroke: "#1f5fbf", width: 2 }, { label: "setpoint", stroke: "#111", dash: [6, 4] }],
      hooks: { draw: [ann] },
    }, [xs, step.samples.map((p) => p[1] / k), xs.map((t) => (spAt.get(t) ?? step.sp) / k)], el);
    el.dataset.drawn = "yes";
  }

  function render() {
    const step = state.tune.step;
    if (step) {
      const st = $("step-state");
      st.dataset.state = step.state;
      if (step.state === "running") st.textContent = `step to ${VC.fmtP(step.sp)} running (holding ${step.hold_ms / 1000} s)…`;
      else if (step.state === "failed") st.textContent = "step test failed: " + step.why;
      else {
        st.textContent = step.state === "done" ? "step test completed" : step.state === "alarm" ? `alarms during the test: ${step.alarms.join(", ")}` : "the step test was stopped before its end";
        figures(step);
        drawStep(step);
      }
    }
    const auto = state.tune.auto;
    const box = $("auto-state"), tbl = $("auto-result");
    $("auto-actions").hidden = true;
    if (!auto) return;
    box.dataset.state = auto.state;
    tbl.innerHTML = "";
    if (auto.state === "running") box.textContent = `relay test around ${VC.fmtP(auto.sp)} running on the device…`;
    else if (auto.state === "aborted") box.textContent = "autotune aborted: " + auto.why + " (nothing staged; the session was stopped and vented)";
    else if (auto.state === "committed") box.textContent = `committed: ${auto.reply}`;
    else if (auto.state === "discarded") box.textContent = `discarded: ${auto.reply}`;
    else if (auto.state === "staged") {
      const r = auto.result;
      box.textContent = "proposed (staged on the device, not applied):";
      const add = (k, v) => tbl.append(VC.el("tr", {}, VC.el("td", { text: k }), VC.el("td", { text: v })));
      add("relay test", `Ku=${r.ku} duty/kPa · Tu=${r.tu_ms} ms · amplitude ${r.amp_pa} Pa · noise ${r.noise_pa} Pa · hysteresis ${r.hyst_pa} Pa`);
      add("plant", `gain ${r.plant_gain} Pa/s at full pump · dead time ${r.lag_ms} ms`);
      for (const rule of ["fast", "no_overshoot"]) {
        const [kp, ki, kd] = String(r[rule]).split(",");
        add(rule, `kp=${kp} ki=${ki} kd=${kd} (fixed gains)`);
      }
      add("schedule", String(r.schedule).replace(/,/g, " ").replace(/:/g, "=") + " (gains scheduled per approach)");
      if (auto.current) add("currently", Object.entries(auto.current).map(([k2, v]) => `${k2}=${v}`).join(" "));
      if (r.warning) add("warning", String(r.warning).replace(/_/g, " "));
      $("auto-actions").hidden = false;
    }
  }

  VC.on("hello", render);
  VC.on("tune", render);
  VC.on("tab", (t) => { if (t === "tuning") render(); });
  window.addEventListener("DOMContentLoaded", () => {
    $("step-run").onclick = async () => {
      try {
        $("step-state").textContent = "starting…";
        VC.note(await VC.send("step_test", { target: token("step-target", "step-unit"), hold: $("step-hold").value.trim() + "s" }));
      } catch (e) { VC.fail(e, $("step-state")); }
    };
    $("auto-run").onclick = async () => {
      try {
        VC.note(await VC.service("autotune", { target: token("auto-target", "auto-unit"), amp: Number($("auto-amp").value),
          timeout: $("auto-timeout").value.trim() + "s" }));
      } catch (e) { VC.fail(e, $("auto-state")); }
    };
    for (const b of document.querySelectorAll("#auto-actions button[data-rule]")) {
      b.onclick = () => VC.service("tune_commit", { rule: b.dataset.rule }).catch((e) => VC.fail(e, $("auto-state")));
    }
    $("auto-discard").onclick = () => VC.service("tune_discard").catch((e) => VC.fail(e, $("auto-state")));
  });
})();
