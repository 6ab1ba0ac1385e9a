/* Logs panel: the device's therapy log (one record per session, kept on
   its flash) as a table, and as CSV from the server (/api/log.csv, the
   columns of 'vacuumctl log'). */
"use strict";

(() => {
  const { $ } = VC;
  const MS_COLUMNS = new Set(["start_ms", "end_ms", "elapsed_ms", "delivered_ms"]);

  async function load() {
    try {
      const log = await VC.send("therapy_log");
      const h = log.head;
      $("log-head").textContent = `${h.count} session(s) on the device` +
        (h.persistent === "no" ? " · kept in RAM only: lost at reset" : " · kept on flash") + ` · storage ${h.storage}`;
      const thead = $("log-table").querySelector("thead"), tbody = $("log-table").querySelector("tbody");
      thead.innerHTML = "";
      tbody.innerHTML = "";
      thead.append(VC.el("tr", {}, ...log.columns.map((c) => VC.el("th", { text: c }))));
      for (const row of log.rows.slice().reverse()) {  // newest first
        tbody.append(VC.el("tr", {}, ...row.map((v, i) => VC.el("td", {
          class: MS_COLUMNS.has(log.columns[i]) ? "num" : "",
          text: MS_COLUMNS.has(log.columns[i]) && Number(v) >= 0 ? VC.fmtDur(Number(v)) : v,
          title: MS_COLUMNS.has(log.columns[i]) ? v + " ms" : "" }))));
      }
    } catch (e) { VC.fail(e, $("log-head")); }
  }

  VC.on("tab", (t) => { if (t === "logs") load(); });
  VC.on("msg", (m) => { if (m.kind === "event" && /session_end/.test(m.text) && $("panel-logs").classList.contains("active")) load(); });
  window.addEventListener("DOMContentLoaded", () => { $("log-refresh").onclick = load; });
})();
