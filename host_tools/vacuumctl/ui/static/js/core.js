/* The page's connection to `vacuumctl ui` and what every panel shares:
   the device's picture (sent by the server), actions with their replies,
   units, formatting, the control and role badges, notes.
   One WebSocket; the server pushes everything, the page asks with actions. */
"use strict";

const VC = (() => {
  const $ = (id) => document.getElementById(id);
  const listeners = {};
  const pending = new Map();
  let ws = null;
  let nextId = 1;
  let hbTimer = null;

  const state = {
    connected: false, control: "none", device: {}, programs: [], status: {}, alarms: { rows: [], silence_ms: 0 },
    session: { state: "idle" }, tune: {}, columns: [], units: { pressure: { kPa: 1000 }, decimals: { kPa: 2 } },
    unit: localStorage.getItem("vacuumctl.unit") || "", lastTel: null, commissioning: false, lost: "",
  };

  function on(type, fn) { (listeners[type] = listeners[type] || []).push(fn); }
  function emit(type, data) { for (const fn of listeners[type] || []) { try { fn(data); } catch (e) { console.error(type, e); } } }

  function connect() {
    ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws");
    ws.onopen = () => {
      state.connected = true;
      document.body.dataset.connected = "yes";
      hbTimer = setInterval(() => { if (ws.readyState === 1) ws.send('{"op":"hb"}'); }, 1000);
    };
    ws.onmessage = (ev) => {
      const rx = Date.now();
      const msg = JSON.parse(ev.data);
      msg._arrived = rx;
      if (msg.t === "reply") {
        const p = pending.get(msg.id);
        if (p) { pending.delete(msg.id); msg.ok ? p.resolve(msg.result) : p.reject(Object.assign(new Error(msg.error), { code: msg.code })); }
        return;
      }
      absorb(msg);
      emit(msg.t, msg);
    };
    ws.onclose = () => {
      clearInterval(hbTimer);
      state.connected = false;
      document.body.dataset.connected = "no";
      for (const p of pending.values()) p.reject(new Error("the connection to vacuumctl ui was lost"));
      pending.clear();
      banner(state.lost || "not connected to vacuumctl ui: is it still running? reconnecting…");
      setTimeout(connect, 2000);
    };
  }

  function absorb(msg) {
    switch (msg.t) {
      case "hello":
        Object.assign(state, { device: msg.device, programs: msg.programs, status: msg.status, alarms: msg.alarms,
          session: msg.session, tune: msg.tune, columns: msg.columns, units: msg.units, commissioning: msg.commissioning,
          port: msg.port, control: msg.control, listen: msg.listen, lost: msg.lost });
        if (!state.unit || !(state.unit in msg.units.pressure)) state.unit = msg.units.default;
        banner(msg.lost || "");
        setControl(msg.control);
        $("device-line").textContent = `${msg.device.firmware ? "vacuumfw " + msg.device.firmware : ""} · ${msg.device.board || "?"} · ${msg.port}` +
          (msg.listen ? ` · serving ${msg.listen} (other machines may connect)` : "");
        fillUnits();
        roleBadge();
        break;
      case "status": state.status = msg.status; roleBadge(); break;
      case "alarms": state.alarms = msg.alarms; break;
      case "session": state.session = msg.session; break;
      case "tune": state.tune = msg.tune; break;
      case "control": setControl(msg.control); if (msg.why) note(msg.why, "warn"); break;
      case "note": note(msg.text, msg.level); break;
      case "lost": state.lost = msg.text; banner("device lost: " + msg.text); break;
    }
  }

  function send(op, args) {
    return new Promise((resolve, reject) => {
      if (!ws || ws.readyState !== 1) { reject(new Error("not connected to vacuumctl ui")); return; }
      const id = nextId++;
      pending.set(id, { resolve, reject });
      ws.send(JSON.stringify(Object.assign({ op, id }, args || {})));
    });
  }

  /* An action that needs the device's service role: ask for the code when
     the device is in the therapist role, or when it refuses for the role. */
  async function service(op, args) {
    if (state.status.role !== "service") await unlockDialog();
    try {
      return await send(op, args);
    } catch (e) {
      if (e.code === "E_ACCESS" && /service role/.test(e.message)) { await unlockDialog(); return send(op, args); }
      throw e;
    }
  }

  function unlockDialog() {
    const dlg = $("unlock-dialog"), input = $("unlock-code"), err = $("unlock-error");
    err.textContent = "";
    input.value = "";
    return new Promise((resolve, reject) => {
      const done = (ok, why) => {
        $("unlock-form").onsubmit = null; $("unlock-cancel").onclick = null;
        input.value = "";  // the code is not kept by the page either
        dlg.close();
        ok ? resolve() : reject(new Error(why));
      };
      $("unlock-cancel").onclick = () => done(false, "not unlocked: cancelled");
      $("unlock-form").onsubmit = async (ev) => {
        ev.preventDefault();
        const code = input.value;
        input.value = "";
        try { await send("unlock", { code }); done(true); }
        catch (e) { err.textContent = e.message; }
      };
      dlg.showModal();
      input.focus();
    });
  }

  function setControl(c) {
    state.control = c;
    document.body.dataset.control = c;
    $("control-badge").textContent = c === "you" ? "you control the device" : c === "other" ? "watching: another page controls" : "watching: nobody controls";
    $("take-control").hidden = c !== "free";
    $("release-control").hidden = c !== "you";
    emit("control-changed", c);
  }
  function canAct() { return state.control === "you" && state.connected && !state.lost; }

  function roleBadge() {
    const role = state.status.role || "?";
    const b = $("role-badge");
    b.textContent = "role " + role;
    b.className = "badge " + role;
    $("lock-btn").hidden = role !== "service";
    $("unlock-btn").hidden = role === "service";
  }

  function banner(text) { const b = $("banner"); b.textContent = text; b.hidden = !text; }

  function note(text, level) {
    const n = document.createElement("div");
    n.className = "note " + (level || "info");
    n.textContent = text;
    $("notes").appendChild(n);
    setTimeout(() => n.remove(), level === "info" ? 6000 : 15000);
  }

  /* Report an action's failure where the technician looks. */
  function fail(e, where) {
    if (where) where.textContent = e.message; else note(e.message, "error");
  }

  // ---- units and formatting -------------------------------------------------
  function fillUnits() {
    const sel = $("unit");
    sel.innerHTML = "";
    for (const u of Object.keys(state.units.pressure)) sel.add(new Option(u, u, false, u === state.unit));
    for (const s of document.querySelectorAll("select.punit")) {
      const keep = s.value;
      s.innerHTML = "";
      for (const u of Object.keys(state.units.pressure)) s.add(new Option(u, u));
      s.value = keep && keep in state.units.pressure ? keep : state.unit;
    }
  }
  function paIn(pa, unit) { return pa / state.units.pressure[unit || state.unit]; }
  function fmtP(pa, unit) {
    unit = unit || state.unit;
    if (pa === null || pa === undefined || pa === "") return "–";
    return paIn(Number(pa), unit).toFixed(state.units.decimals[unit] ?? 2) + " " + unit;
  }
  function fmtPlain(pa, unit) {  // for an input field: no unit, trailing zeros off
    const d = state.units.decimals[unit] ?? 2;
    return String(Number(paIn(pa, unit).toFixed(Math.max(d, 1))));
  }
  function fmtDur(ms) {
    ms = Math.max(0, Number(ms) || 0);
    const s = Math.floor(ms / 1000);
    if (s >= 3600) return `${Math.floor(s / 3600)}h${String(Math.floor(s % 3600 / 60)).padStart(2, "0")}m`;
    return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
  }
  function fmtMs(ms) {  // a parameter's duration as a person writes it
    if (ms && ms % 3600000 === 0) return ms / 3600000 + " h";
    if (ms && ms % 60000 === 0) return ms / 60000 + " min";
    if (ms % 1000 && Math.abs(ms) < 10000) return ms + " ms";
    return ms / 1000 + " s";
  }
  function pct(duty) { return (Number(duty) * 100 / 65535).toFixed(1) + " %"; }
  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") e.className = v; else if (k === "text") e.textContent = v;
      else if (k.startsWith("on")) e.addEventListener(k.slice(2), v); else e.setAttribute(k, v);
    }
    for (const k of kids) e.append(k);
    return e;
  }
  function tel(row) {  // a telemetry row (server sends arrays in CSV column order) as an object
    const o = {};
    state.columns.forEach((c, i) => { o[c] = row[i]; });
    return o;
  }

  // ---- header controls --------------------------------------------------------
  function wire() {
    $("unit").addEventListener("change", (e) => {
      state.unit = e.target.value;
      localStorage.setItem("vacuumctl.unit", state.unit);
      for (const s of document.querySelectorAll("select.punit")) s.value = state.unit;
      emit("unit", state.unit);
    });
    $("take-control").onclick = () => send("take_control").catch((e) => fail(e));
    $("release-control").onclick = () => send("release_control").catch((e) => fail(e));
    $("unlock-btn").onclick = () => { if (canAct()) unlockDialog().catch(() => {}); else note("take control first", "warn"); };
    $("lock-btn").onclick = () => send("lock").catch((e) => fail(e));
    for (const b of document.querySelectorAll("#tabs button")) {
      b.onclick = () => {
        for (const x of document.querySelectorAll("#tabs button")) x.classList.toggle("active", x === b);
        for (const p of document.querySelectorAll(".panel")) p.classList.toggle("active", p.id === "panel-" + b.dataset.tab);
        emit("tab", b.dataset.tab);
      };
    }
  }

  window.addEventListener("DOMContentLoaded", () => { wire(); connect(); });
  return { $, state, on, emit, send, service, fail, note, canAct, paIn, fmtP, fmtPlain, fmtDur, fmtMs, pct, el, tel, unlockDialog };
})();
