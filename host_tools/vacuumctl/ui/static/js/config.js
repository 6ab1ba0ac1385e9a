/* Configuration panel: every parameter the device's `config show` names,
   with the value, staged value, unit, range, default and description its
   `config get` reports; changes are staged on the device (validated there),
   shown as its diff, and committed to flash after unlocking. */
"use strict";

(() => {
  const { $, state } = VC;
  const DUR = { ms: 1, s: 1000, min: 60000 };

  function valueText(p, v) {
    if (p.unit === "Pa") return `${v} Pa` + (state.unit !== "Pa" ? ` (${VC.fmtP(v)})` : "");
    if (p.unit === "ms") return VC.fmtMs(v);
    return String(v);
  }

  function render(cfg) {
    const tbody = $("config-table").querySelector("tbody");
    tbody.innerHTML = "";
    for (const p of cfg.params) {
      const input = VC.el("input", { size: 9, "data-name": p.name, placeholder: "new value" });
      const sel = VC.el("select", { "data-for": p.name });
      const choices = p.unit === "Pa" ? Object.keys(state.units.pressure) : p.unit === "ms" ? Object.keys(DUR) : [];
      const preferred = p.unit === "Pa" ? "Pa" : p.hi <= 10000 ? "ms" : "s";
      for (const u of choices) sel.add(new Option(u, u, false, u === preferred));
      const stage = VC.el("button", { type: "button", text: "Stage", "data-stage": p.name });
      const go = () => {
        const v = input.value.trim();
        if (!v) return;
        const tok = choices.length && /^[-+]?\d+(\.\d+)?$/.test(v) ? v + sel.value : v;
        VC.service("config_set", { name: p.name, value: tok })
          .then((r) => { VC.note(r); $("config-error").textContent = ""; })
          .catch((e) => VC.fail(e, $("config-error")));
      };
      stage.onclick = go;
      input.onkeydown = (e) => { if (e.key === "Enter") go(); };
      tbody.append(VC.el("tr", { class: p.staged !== p.value ? "staged" : "", "data-param": p.name },
        VC.el("td", { text: p.name }), VC.el("td", { class: "num committed", text: valueText(p, p.value) }),
        VC.el("td", { class: "num staged", text: p.staged !== p.value ? valueText(p, p.staged) : "" }),
        VC.el("td", {}, input, choices.length ? sel : "", " ", stage),
        VC.el("td", { text: `${valueText(p, p.lo)} .. ${valueText(p, p.hi)}` }), VC.el("td", { text: valueText(p, p.default) }),
        VC.el("td", { text: p.help })));
    }
    $("config-diff").textContent = cfg.diff === "no staged changes" ? "" : "staged: " + cfg.diff;
    $("config-commit").disabled = cfg.diff === "no staged changes";
    $("config-revert").disabled = cfg.diff === "no staged changes";
  }

  async function load() {
    try { render(await VC.send("config_list")); } catch (e) { VC.fail(e, $("config-error")); }
  }

  function commissioning() {
    $("commissioning").textContent = state.commissioning
      ? "This firmware has a commissioning command: use the console panel ('help commission') until this panel drives it."
      : "Not available on this firmware: the device reports no commissioning command.";
  }

  const act = (op) => () => VC.service(op).then((r) => { VC.note(`${op.replace("config_", "config ")}: ${r}`); $("config-error").textContent = ""; })
    .catch((e) => VC.fail(e, $("config-error")));
  VC.on("hello", () => { commissioning(); if ($("panel-config").classList.contains("active")) load(); });
  VC.on("config", (m) => render(m.config));
  VC.on("tab", (t) => { if (t === "config") load(); });
  VC.on("unit", () => { if ($("panel-config").classList.contains("active")) load(); });
  window.addEventListener("DOMContentLoaded", () => {
    $("config-refresh").onclick = load;
    $("config-commit").onclick = act("config_commit");
    $("config-revert").onclick = act("config_revert");
    $("config-reset").onclick = act("config_reset");
  });
})();
