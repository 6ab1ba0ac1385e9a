"""The host side of the serial protocol (docs/protocol.md).

Opens a serial port (or a simulated board for ``sim`` / ``sim:SCENARIO``),
switches the device to machine mode, and offers ``request()`` with sequence
numbers, CRC-16 checks and safe retries, plus a queue of unsolicited
messages (telemetry, alarms, events). A background thread reads lines so an
alarm is seen the moment it arrives.

Retry rule: a request whose reply is lost or was corrupted is sent again with
the *same* sequence number; the device answers a repeated sequence number
from its cache without executing it again. A device that reboots forgets
that cache, so after a reset nothing is ever re-sent: the caller gets
DeviceReset and decides.
"""
from __future__ import annotations

import queue
import threading
import time
from typing import Iterator

import serial

from . import frame
from .errors import DeviceError, DeviceReset, UserError
from .simport import SimProcess, is_sim_port, scenario_of, start_sim
from .telemetry import Message

DEFAULT_BAUD = 115200


class DeviceLink:
    def __init__(self, ser: serial.Serial, sim: SimProcess | None = None, timeout_s: float = 2.0):
        self.ser = ser
        self.sim = sim
        self.timeout_s = timeout_s
        self._seq = 0
        self._replies: "queue.Queue[frame.Frame]" = queue.Queue()
        self.messages: "queue.Queue[Message]" = queue.Queue()
        self.resets = 0
        self.lost_lines = 0
        self.corrupt_lines = 0
        self._last_event_seq: int | None = None
        self._write_lock = threading.Lock()
        self._stop = threading.Event()
        self._reader = threading.Thread(target=self._read_loop, daemon=True)
        self._ready = False
        self.raw_log: list[str] = []  # plain (unframed) lines: boot banner, tracebacks
        self._reader.start()

    # ---- opening ----------------------------------------------------------
    @classmethod
    def open(cls, port: str, speed: str = "max", truth_csv: str | None = None,
             until_ms: int | None = None) -> "DeviceLink":
        sim = None
        if is_sim_port(port):
            sim = start_sim(scenario_of(port), speed=speed, truth_csv=truth_csv, until_ms=until_ms)
            path = sim.port
        else:
            if truth_csv:
                raise UserError("--truth-csv needs a simulated board (--port sim); a real board has no ground truth")
            path = port
        try:
            ser = serial.Serial(path, DEFAULT_BAUD, timeout=0.05, exclusive=True)
        except serial.SerialException as e:
            if sim:
                sim.stop()
            msg = str(e)
            if "busy" in msg.lower() or "lock" in msg.lower():
                raise UserError("port %s is busy: another program (a console, mpremote?) has it open" % path) from None
            raise UserError("cannot open %s: %s" % (path, msg)) from None
        ser.reset_input_buffer()
        link = cls(ser, sim)
        try:
            link.enter_machine_mode()
        except BaseException:
            link.close()
            raise
        # A boot banner seen while connecting is the start we connected to,
        # not a reset during our session.
        link.resets = 0
        while not link.messages.empty():
            link.messages.get_nowait()
        link._ready = True
        return link

    def enter_machine_mode(self) -> None:
        """Bring the device into machine mode from whatever state it is in."""
        for _ in range(3):
            self._write(b"\r\nmode machine\r\n")
            try:
                self.request("version", timeout_s=1.0, retries=1)
                return
            except (UserError, TimeoutError):
                continue
        raise UserError(
            "no answer from the device in machine mode: is this firmware running on it "
            "(not the REPL or another program)? Try 'vacuumctl --port P console' or re-deploy")

    def close(self) -> None:
        self._stop.set()
        try:
            self.ser.close()
        except Exception:  # noqa: BLE001 - closing is best effort
            pass
        if self.sim:
            self.sim.stop()

    def __enter__(self) -> "DeviceLink":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- requests ---------------------------------------------------------
    def _next_seq(self) -> int:
        self._seq = frame.next_seq(self._seq) or 1  # 0 is the device's "unknown"
        return self._seq

    def _write(self, data: bytes) -> None:
        with self._write_lock:
            self.ser.write(data)
            self.ser.flush()

    def request(self, text: str, timeout_s: float | None = None, retries: int = 3) -> str:
        """Send one command and return the text after ``ok``; raise
        DeviceError on ``err``, DeviceReset if the device rebooted."""
        seq = self._next_seq()
        data = frame.encode_request(seq, text)
        resets_before = self.resets
        timeout = self.timeout_s if timeout_s is None else timeout_s
        for _ in range(retries + 1):
            self._write(data)
            deadline = time.monotonic() + timeout
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                try:
                    f = self._replies.get(timeout=min(left, 0.1))
                except queue.Empty:
                    if self.resets != resets_before:
                        raise DeviceReset("the device rebooted while '%s' was pending; it was not re-sent" % text)
                    continue
                if f.seq == seq:
                    status, _, rest = f.text.partition(" ")
                    if status == "ok":
                        return rest
                    code, _, message = rest.partition(" ")
                    raise DeviceError(code, message)
                if f.seq == 0 and f.text.startswith("err E_FRAME"):
                    break  # our line arrived damaged; nothing was executed: resend
            if self.resets != resets_before:
                raise DeviceReset("the device rebooted while '%s' was pending; it was not re-sent" % text)
        raise TimeoutError("no reply to '%s' after %d tries" % (text, retries + 1))

    # ---- unsolicited ------------------------------------------------------
    def _read_loop(self) -> None:
        buf = b""
        while not self._stop.is_set():
            try:
                chunk = self.ser.read(4096)
            except (serial.SerialException, OSError, TypeError):
                return
            if not chunk:
                continue
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                self._handle_line(line.rstrip(b"\r"))

    def _handle_line(self, line: bytes) -> None:
        if not line:
            return
        if frame.is_framed(line):
            try:
                f = frame.decode_line(line)
            except frame.FrameError:
                self.corrupt_lines += 1
                return
            if f.kind == "<":
                self._replies.put(f)
            elif f.kind == "!":
                if self._last_event_seq is not None:
                    gap = (f.seq - self._last_event_seq - 1) & 0xFFFF
                    self.lost_lines += gap
                self._last_event_seq = f.seq
                self.messages.put(Message.from_text(f.text))
            return
        text = line.decode(errors="replace")
        self.raw_log.append(text)
        if text.startswith("boot vacuumfw") and self._ready:
            # The device rebooted: it is back in human mode with a new cache.
            self.resets += 1
            self._last_event_seq = None
            self.messages.put(Message.from_text(text))
            threading.Thread(target=self._resync, daemon=True).start()

    def _resync(self) -> None:
        try:
            self.enter_machine_mode()
        except (UserError, TimeoutError, serial.SerialException, OSError, TypeError):
            # The link was closed meanwhile, or the device stays silent: the
            # next request() reports it.
            pass

    def iter_messages(self, timeout_s: float) -> Iterator[Message]:
        """Yield unsolicited messages until none arrives for timeout_s."""
        while True:
            try:
                yield self.messages.get(timeout=timeout_s)
            except queue.Empty:
                return
