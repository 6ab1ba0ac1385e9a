/* Console panel: the device's own line interface, typed as a person would
   ('help' lists its commands); replies, refusals and the device's alarm and
   event lines as they arrive. Every page sees the transcript; only the page
   in control may type. */
"use strict";

(() => {
  const { $ } = VC;
  const history = [];
  let pos = 0;

  function add(kind, text) {
    const out = $("console-out");
    const atEnd = out.scrollTop + out.clientHeight >= out.scrollHeight - 4;
    const cls = kind === "event" && /^alarm /.test(text) ? "alarm" : kind;
    out.append(VC.el("div", { class: cls, text: kind === "in" ? "vacuum> " + text : text }));
    while (out.childNodes.length > 1000) out.firstChild.remove();
    if (atEnd) out.scrollTop = out.scrollHeight;
  }

  VC.on("hello", (m) => { $("console-out").innerHTML = ""; for (const e of m.console) add(e.kind, e.text); });
  VC.on("console", (m) => add(m.kind, m.text));
  VC.on("control-changed", (c) => { $("console-in").disabled = c !== "you"; $("console-in").placeholder = c === "you" ? "help" : "watching: read-only"; });
  window.addEventListener("DOMContentLoaded", () => {
    const input = $("console-in");
    $("console-form").onsubmit = (ev) => {
      ev.preventDefault();
      const line = input.value.trim();
      input.value = "";
      if (!line) return;
      if (!/^(unlock|passcode)\b/.test(line)) history.push(line);  // codes are not kept, not even here
      pos = history.length;
      VC.send("console", { line }).catch(() => {});  // the transcript shows the reply or the refusal
    };
    input.onkeydown = (e) => {
      if (e.key === "ArrowUp" && pos > 0) { input.value = history[--pos]; e.preventDefault(); }
      if (e.key === "ArrowDown") { pos = Math.min(history.length, pos + 1); input.value = history[pos] || ""; e.preventDefault(); }
    };
  });
})();
