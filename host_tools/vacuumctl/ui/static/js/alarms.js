/* Alarms: the bar above everything (priority colours, flashing while
   unacknowledged), acknowledge / silence with its countdown / clear, the
   sound, the active list and the alarm log. The device decides; the page
   shows what `alarms` and the alarm events say. */
"use strict";

(() => {
  const { $, state } = VC;
  const ORDER = { high: 0, medium: 1, low: 2 };
  let silenceUntil = 0;

  function render() {
    const { rows } = state.alarms;
    const bar = $("alarm-bar");
    bar.hidden = !rows.length;
    const chips = $("alarm-chips");
    chips.innerHTML = "";
    const sorted = rows.slice().sort((a, b) => ORDER[a.priority] - ORDER[b.priority]);
    for (const r of sorted) {
      chips.append(VC.el("span", { class: `chip ${r.priority} ${r.ack}`, "data-alarm": r.name,
        title: `${r.priority} priority, ${r.latching}, ${r.ack}${r.stops ? ", stopped therapy" : ""}`,
        text: `${r.name.toUpperCase()} · ${r.priority}${r.ack === "acked" ? " (acknowledged)" : ""}` }));
    }
    bar.dataset.priority = sorted.length ? sorted[0].priority : "";
    const tbody = $("alarm-table").querySelector("tbody");
    tbody.innerHTML = "";
    for (const r of sorted) {
      tbody.append(VC.el("tr", {},
        VC.el("td", { text: r.name }), VC.el("td", {}, VC.el("span", { class: "prio " + r.priority, text: r.priority })),
        VC.el("td", { text: r.latching }), VC.el("td", { text: r.ack }),
        VC.el("td", { text: r.stops ? "stopped therapy (pump off, vent open)" : "advisory" })));
    }
    $("alarm-none").hidden = rows.length > 0;
    const can = VC.canAct();
    $("ack-btn").disabled = !can || !rows.some((r) => r.ack === "unacked");
    $("silence-btn").disabled = !can || !rows.length;
    $("clear-btn").disabled = !can || !rows.some((r) => r.latching === "latched");
    sound();
    tick();
  }

  function sound() {
    const { rows } = state.alarms;
    const loud = rows.filter((r) => r.ack === "unacked").sort((a, b) => ORDER[a.priority] - ORDER[b.priority]);
    Sound.set(loud.length && Date.now() >= silenceUntil ? loud[0].priority : "off");
  }

  function tick() {
    const left = silenceUntil - Date.now();
    $("silence-left").textContent = left > 0 ? `silenced ${VC.fmtDur(left + 999)}` : "";
    document.body.dataset.silenced = left > 0 ? "yes" : "no";
    if (left <= 0 && silenceUntil) { silenceUntil = 0; sound(); }
  }
  setInterval(tick, 250);

  async function log() {
    try {
      const flash = $("alarm-log-flash").checked;
      const rows = await VC.send("alarm_log", { flash });
      $("alarm-csv").href = "/api/alarms.csv" + (flash ? "?flash=1" : "");
      const tbody = $("alarm-log").querySelector("tbody");
      tbody.innerHTML = "";
      for (const r of rows.slice().reverse()) {
        tbody.append(VC.el("tr", { class: r.action },
          VC.el("td", { text: r.boot }), VC.el("td", { class: "num", text: (Number(r.t_ms) / 1000).toFixed(2) }),
          VC.el("td", { text: r.action }), VC.el("td", { text: r.alarm }), VC.el("td", { class: "num", text: r.value })));
      }
    } catch (e) { VC.fail(e); }
  }

  const act = (op, args) => VC.send(op, args).then((r) => VC.note(`${op}: ${r}`)).catch((e) => VC.fail(e));
  function fresh() {  // the device's silence countdown, counted on here between its reports
    silenceUntil = state.alarms.silence_ms ? Date.now() + state.alarms.silence_ms : 0;
    render();
  }
  VC.on("hello", fresh);
  VC.on("alarms", fresh);
  VC.on("control-changed", render);
  VC.on("msg", (m) => {
    if (m.kind !== "alarm") return;
    if (/^alarm raise /.test(m.text)) {
      // Show it at once (the active list follows from the device a moment later).
      const name = m.text.split(/\s+/)[2];
      if (!state.alarms.rows.some((r) => r.name === name)) {
        state.alarms.rows.push({ name, priority: m.fields.priority || "high", latching: m.fields.latching ? "latched" : "", ack: "unacked", stops: "" });
        state.alarms.silence_ms = 0;
        render();
      }
      VC.painted(m.rx, "alarm", Number(m.fields.t_ms));
    }
    log();
  });
  VC.on("tab", (t) => { if (t === "alarms") log(); });
  window.addEventListener("DOMContentLoaded", () => {
    $("ack-btn").onclick = () => act("ack");
    $("silence-btn").onclick = () => act("silence", { duration: "2min" });
    $("clear-btn").onclick = () => act("clear");
    $("alarm-log-refresh").onclick = log;
    $("alarm-log-flash").onchange = log;
  });
})();
