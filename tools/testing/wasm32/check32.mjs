// make check-32bit: the firmware in a 32-bit MicroPython interpreter.
//
//   node tools/testing/wasm32/check32.mjs [--only unit|sessions] [--shard K/N] [--quiet]
//
// --shard K/N: the unit-test files numbered K modulo N only; the sessions
// numbered K modulo N only, and always the first
// (the first program, the one after which the on-demand modules are weighed),
// so that each share checks the budget exactly as the whole run does (the
// largest of the shares' peaks is the whole run's); make test runs N shares
// side by side (hil_tests/test_check_32bit.py).
//
// The official MicroPython webassembly port (npm package
// @micropython/micropython-webassembly-pyscript, pinned in package-lock.json,
// installed by `make venv`) is a 32-bit interpreter like the rp2 and esp32
// ports: 31-bit small integers (2**30 is a heap-allocated long int), 32-bit
// objects. Its floats are double (the chips' are single: hil_tests/
// test_float32.py checks the firmware's float code at float32).
//
// Each check runs in a fresh interpreter with the repository's firmware,
// boards and simulator copied into its in-memory filesystem:
//   1. the interpreter is 32-bit (sys.maxsize, 2**30 allocates under
//      heap_lock), else the check fails;
//   2. every firmware unit-test file (firmware/tests) as tools/testing/mpy_unittest.py
//      runs it (the files that need littlefs, absent from this port, are
//      reported as skipped);
//   3. a closed-loop session for every program and every named scenario
//      (boards/sim/sessions.py): firmware, sensor emulation and physics in one
//      interpreter, the serial link on buffers, the control tick heap-locked
//      as always: no MemoryError, no internal alarm, the session ends.
// The last line reads `32-bit peak heap: N B`: the largest heap the firmware
// holds at the end of a session (its modules, its Device and everything
// reachable from it: a collection at the top of a call, minus the heap before
// the firmware booted) plus the largest on-demand service module (loaded for
// one command), in this interpreter's 32-bit bytes. (This port frees garbage
// only between calls from JavaScript, so the heap is weighed there; the
// firmware holds no more in mid-session: its loop allocates nothing in
// steady state.)
import { spawnSync } from "child_process";
import fs from "fs";
import os from "os";
import path from "path";
import { fileURLToPath } from "url";
import { loadMicroPython } from "@micropython/micropython-webassembly-pyscript/micropython.mjs";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, "..", "..", "..");
const TREES = [
  ["firmware", ".py"],
  ["firmware/tests", ".py"],
  ["boards", ".py"],
  ["boards/sim", ".py"],
  ["boards/sim/scenarios", ".json"],
];
const args = process.argv.slice(2);
const only = args.includes("--only") ? args[args.indexOf("--only") + 1] : null;
const quiet = args.includes("--quiet");
const shard = args.includes("--shard") ? args[args.indexOf("--shard") + 1].split("/").map(Number) : null;

function mkdirs(FS, dir) {
  let cur = "";
  for (const part of dir.split("/").filter(Boolean)) {
    cur += "/" + part;
    try { FS.mkdir(cur); } catch (e) { /* exists */ }
  }
}

// The firmware as a ROMFS image (mpremote romfs build: .mpy files executed
// in place, bytecode in flash as in a frozen build): the layout a board with
// 112 KB of heap needs (docs/reliability.md "Memory").
function buildRomfs() {
  const src = fs.mkdtempSync(path.join(os.tmpdir(), "vacuum-romfs-"));
  for (const f of fs.readdirSync(path.join(ROOT, "firmware"))) {
    if (f.endsWith(".py")) fs.copyFileSync(path.join(ROOT, "firmware", f), path.join(src, f));
  }
  const out = path.join(src, "firmware.romfs");
  const bin = path.join(ROOT, ".venv", "bin");
  const r = spawnSync(path.join(bin, "mpremote"), ["romfs", "-o", out, "build", src],
    { env: { ...process.env, PATH: bin + path.delimiter + process.env.PATH }, encoding: "utf8" });
  if (r.status !== 0) {
    throw new Error("mpremote romfs build failed (run make venv): " + r.stdout + r.stderr);
  }
  const image = new Uint8Array(fs.readFileSync(out));
  fs.rmSync(src, { recursive: true, force: true });
  return image;
}

async function interpreter(romfs) {
  let out = "";
  const mp = await loadMicroPython({
    heapsize: 8 * 1024 * 1024,
    ...(romfs ? { romfs } : {}),
    stdout: (t) => { out += t + "\n"; },
    stderr: (t) => { out += t + "\n"; },
    linebuffer: true,
  });
  for (const [dir, ext] of TREES) {
    mkdirs(mp.FS, "/repo/" + dir);
    for (const f of fs.readdirSync(path.join(ROOT, dir))) {
      if (f.endsWith(ext)) {
        mp.FS.writeFile("/repo/" + dir + "/" + f, fs.readFileSync(path.join(ROOT, dir, f)));
      }
    }
  }
  mkdirs(mp.FS, "/repo/tools/testing/wasm32");
  mp.FS.writeFile("/repo/tools/testing/wasm32/check32.py", fs.readFileSync(path.join(HERE, "check32.py")));
  mp.FS.writeFile("/repo/tools/testing/heaplock.py", fs.readFileSync(path.join(HERE, "..", "heaplock.py")));
  mp.runPython("import sys\nsys.path.insert(0, '/repo/tools/testing/wasm32')\nimport check32");
  if (romfs) {
    mp.runPython("check32.use_firmware('/rom')");
  }
  return {
    call(code) {
      out = "";
      mp.runPython("_result = check32." + code);
      return { result: JSON.parse(mp.globals.get("_result")), output: out };
    },
  };
}

function boardHeapBytes(board) {
  const text = fs.readFileSync(path.join(ROOT, "boards", board + ".py"), "utf8");
  const m = text.match(/^HEAP_BYTES\s*=\s*const\(([\d_]+)\)/m);
  if (!m) throw new Error("boards/" + board + ".py has no HEAP_BYTES = const(N)");
  return parseInt(m[1].replace(/_/g, ""), 10);
}

function fail(msg) {
  console.log("FAIL " + msg);
  process.exitCode = 1;
}

async function main() {
  const t0 = Date.now();
  const facts = (await interpreter()).call("interpreter()").result;
  console.log("interpreter: MicroPython %s (%s), sys.maxsize %d, %d-byte pointers; 2**30-1 under heap_lock: %s, 2**30: %s; floats %s",
    facts.version, facts.platform, facts.maxsize, facts.pointer_bytes, facts.add_to_2_pow_30_minus_2,
    facts.add_to_2_pow_30_minus_1, facts.float_is_double ? "double (float32: hil_tests/test_float32.py)" : "single");
  if (facts.maxsize !== 2 ** 31 - 1 || facts.pointer_bytes !== 4 || facts.add_to_2_pow_30_minus_1 !== "MemoryError"
      || facts.add_to_2_pow_30_minus_2 !== "ok") {
    fail("this interpreter is not 32-bit with 31-bit small ints: the check would prove nothing");
    return;
  }
  const names = (await interpreter()).call("names()").result;
  if (only !== "sessions") {
    let passed = 0, failed = 0;
    let files = names.unit_files;
    if (shard) {
      const [k, n] = shard;
      if (!(n >= 1 && k >= 0 && k < n)) { fail("--shard K/N needs 0 <= K < N"); return; }
      files = files.filter((f, i) => i % n === k);
    }
    for (const file of files) {
      const { result: r, output } = (await interpreter()).call("unit_file(" + JSON.stringify(file) + ")");
      const rel = file.replace("/repo/", "");
      if (r.skipped) {
        console.log("unit %s: skipped (%s)", rel, r.skipped);
        continue;
      }
      passed += r.passed;
      failed += r.failed;
      if (r.failed) {
        fail(rel + ": " + r.failures.join("; "));
        console.log(output.slice(-3000));
      } else if (!quiet) {
        console.log("unit %s: %d passed", rel, r.passed);
      }
    }
    console.log("firmware unit tests at 32 bits: %d passed, %d failed%s", passed, failed,
      shard ? " (" + files.length + " of " + names.unit_files.length + " files, share " + shard.join("/") + ")" : "");
  }
  if (only === "unit") {
    return;
  }
  const missing = names.programs.filter((p) => !names.sessions.includes(p));
  if (missing.length) {
    fail("programs without a session in boards/sim/sessions.py: " + missing.join(", "));
  }
  // Every session with the firmware in ROMFS (bytecode in flash); the first
  // program again with it as .py files (bytecode in the heap) for comparison.
  const romfs = buildRomfs();
  let peak = 0, peakWhat = "", service = 0, ramPeak = 0, ramService = 0;
  let runs = names.programs.map((p) => ["program", p, romfs]).concat(names.scenarios.map((s) => ["scenario", s, romfs]));
  runs.push(["program", names.programs[0], null], ["scenario", "multi_3cups", null]);
  if (shard) {
    const [k, n] = shard;
    if (!(n >= 1 && k >= 0 && k < n)) { fail("--shard K/N needs 0 <= K < N"); return; }
    runs = runs.filter((r, i) => i === 0 || i % n === k);
  }
  for (const [kind, name, image] of runs) {
    const py = await interpreter(image);
    py.call("session_prepare(" + JSON.stringify(kind) + ", " + JSON.stringify(name) + ")");
    const base = py.call("heap()").result;
    const { result: s, output } = py.call("session_run()");
    const live = py.call("heap()").result - base;
    let svc = 0;
    if (kind === "program" && name === names.programs[0]) {
      // The on-demand service modules, each loaded alone after a session
      // (the firmware's modules in place), weighed the same way.
      for (const mod of names.service) {
        for (let i = 0; i < 2; i++) { // the first load also interns its qstrs, which stay
          const before = py.call("heap()").result;
          py.call("service_import(" + JSON.stringify(mod) + ")");
          const d = py.call("heap()").result - before;
          py.call("service_drop()");
          if (d > svc) { svc = d; }
        }
      }
    }
    const faultScenario = kind === "scenario" && name.startsWith("fault_");
    const problems = [];
    if (/MemoryError|Traceback/.test(output) || s.errors.length) problems.push("error: " + (s.errors.join(" | ") || output.slice(-1500)));
    if (s.alarms.includes("internal")) problems.push("internal alarm (an exception in the control tick)");
    if (s.stopped !== "until") problems.push("the firmware stopped");
    if (!faultScenario && s.session_end !== "completed") problems.push("session did not complete (end: " + s.session_end + ", alarms: " + s.alarms.join(",") + ")");
    if (s.telemetry < 20) problems.push("only " + s.telemetry + " telemetry lines");
    // A reboot (power cut, watchdog) leaves the previous boot's objects
    // reachable through stale words of this port's stack: not weighed (a
    // board's reset clears its RAM; test_reset_heap checks the Unix port).
    const weighed = s.boots === 1;
    if (image && weighed && live > peak) { peak = live; peakWhat = kind + " " + name + " (" + s.board + ")"; }
    if (image) { service = Math.max(service, svc); } else { ramPeak = Math.max(ramPeak, live); ramService = Math.max(ramService, svc); }
    const line = `${kind} ${name} on ${s.board}${image ? "" : " (firmware as .py in the heap)"}: ${s.session_end || "-"}, ` +
      `alarms ${s.alarms.join(",") || "none"}, ${s.telemetry} telemetry lines, gc_runs ${s.status.gc_runs}, ` +
      (weighed ? `firmware heap ${live} B` : `rebooted ${s.boots - 1}x, heap not weighed`);
    if (problems.length) {
      fail(line + ": " + problems.join("; "));
    } else if (!quiet) {
      console.log(line);
    }
  }
  console.log("sessions at 32 bits: %d (%d programs, %d scenarios)%s; wall %d s", runs.length, names.programs.length,
    names.scenarios.length, shard ? ", share " + shard.join("/") : "", Math.round((Date.now() - t0) / 1000));
  console.log("firmware as .py files (bytecode in the heap, as .mpy files copied to a board): %d B + on-demand module %d B = %d B",
    ramPeak, ramService, ramPeak + ramService);
  console.log("firmware in ROMFS (bytecode in flash, as frozen): largest heap after a session %d B (%s) + largest on-demand module %d B",
    peak, peakWhat, service);
  // The budget (issue 14): at most 70 % of the smallest board's heap (the
  // ESP32-DevKitC's) and 50 % of the Pico's, with the firmware frozen or in
  // ROMFS (copied as .mpy files it does not fit an ESP32: the line above).
  const total = peak + service;
  for (const [board, pct] of [["esp32_devkitc", 70], ["pico", 50]]) {
    const heap = boardHeapBytes(board);
    const share = 100 * total / heap;
    console.log("  %s %s of %s's %d B heap (budget %d %%)", share.toFixed(1) + " %", share <= pct ? "ok:" : "OVER:", board, heap, pct);
    if (share > pct) fail(`32-bit peak ${total} B is over ${pct} % of ${board}'s HEAP_BYTES`);
  }
  console.log("32-bit peak heap: %d B", total);
}

try {
  await main();
} catch (e) {
  // (A stack trace would print the minified interpreter module.)
  console.log("FAIL " + String(e && e.message ? e.message : e).slice(0, 2000));
  process.exitCode = 1;
}
