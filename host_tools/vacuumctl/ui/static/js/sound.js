/* The page's alarm sound, after IEC 60601-1-8's ideas: each pulse a
   fundamental with four harmonics and a soft rise, in bursts whose rhythm
   says the priority:
     high:   10 pulses  x x x - x x ---- x x x - x x, repeated every 6 s
     medium:  3 pulses  x x x, repeated every 10 s
     low:     2 pulses  x x, repeated every 20 s
   It sounds while an unacknowledged alarm is active and the device's sound
   is not silenced, exactly as the device's own buzzer does. Browsers start
   audio only after a click on the page: until then body[data-sound-out]
   says "blocked" and the button asks for one. */
"use strict";

const Sound = (() => {
  const PATTERNS = {
    high: { f: 660, pulse: 0.15, at: [0, 0.2, 0.4, 0.8, 1.0, 2.0, 2.2, 2.4, 2.8, 3.0], every: 6000 },
    medium: { f: 520, pulse: 0.2, at: [0, 0.3, 0.6], every: 10000 },
    low: { f: 440, pulse: 0.2, at: [0, 0.35], every: 20000 },
  };
  let ctx = null, want = "off", timer = null, enabled = true;

  function out() {
    const s = !enabled ? "muted" : want === "off" ? "off" : (!ctx || ctx.state !== "running") ? "blocked" : "playing";
    document.body.dataset.soundOut = s;
    const b = document.getElementById("sound-btn");
    if (b) b.textContent = !enabled ? "Sound off" : s === "blocked" ? "Click to allow sound" : "Sound on";
  }

  function ensure() {
    if (!ctx) {
      const C = window.AudioContext || window.webkitAudioContext;
      if (!C) return;
      ctx = new C();
      ctx.onstatechange = () => { out(); if (ctx.state === "running" && want !== "off") loop(); };
    }
    if (ctx.state === "suspended") ctx.resume().catch(() => {});
  }

  function pulse(t, f, dur) {
    const g = ctx.createGain();
    g.gain.setValueAtTime(0, t);
    g.gain.linearRampToValueAtTime(0.18, t + dur * 0.15);  // rise 15 % of the pulse
    g.gain.setValueAtTime(0.18, t + dur * 0.8);
    g.gain.linearRampToValueAtTime(0, t + dur);
    g.connect(ctx.destination);
    for (let k = 1; k <= 5; k++) {  // fundamental and four harmonics
      const o = ctx.createOscillator();
      const a = ctx.createGain();
      o.frequency.value = f * k;
      a.gain.value = 1 / k;
      o.connect(a).connect(g);
      o.start(t);
      o.stop(t + dur + 0.02);
    }
  }

  function loop() {
    clearTimeout(timer);
    if (want === "off" || !enabled || !ctx || ctx.state !== "running") return;
    const p = PATTERNS[want];
    const t0 = ctx.currentTime + 0.05;
    for (const dt of p.at) pulse(t0 + dt, p.f, p.pulse);
    timer = setTimeout(loop, p.every);
  }

  function set(priority) {
    document.body.dataset.sound = priority;
    if (priority === want) { out(); return; }
    want = priority;
    clearTimeout(timer);
    // After this task: the alarm bar is painted first, the sound follows.
    if (want !== "off") timer = setTimeout(() => { ensure(); loop(); out(); }, 0);
    out();
  }

  window.addEventListener("pointerdown", ensure, true);
  window.addEventListener("keydown", ensure, true);
  window.addEventListener("DOMContentLoaded", () => {
    ensure();  // created now (the browser may keep it suspended until a click), not when an alarm comes
    document.getElementById("sound-btn").onclick = () => {
      ensure();
      if (document.body.dataset.soundOut === "blocked") return;  // the click itself allowed it
      enabled = !enabled;
      if (enabled) loop(); else clearTimeout(timer);
      out();
    };
    out();
  });
  return { set };
})();
