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

import contextlib
import errno
import os
import queue
import sys
import threading
import time
from typing import ContextManager, Iterator

import serial

from . import frame
from .errors import FRESH_SIM_HINT, SERVICE_CODE_ENV, DeviceError, DeviceLost, DeviceReset, ServiceRoleNeeded, UserError
from .simboards import is_named_sim, port_of
from .simport import SimProcess, is_sim_port, scenario_of, start_sim
from .telemetry import Message, parse_fields
from .version import check_protocol

DEFAULT_BAUD = 115200
# Refusals that mean "an earlier command should have made this state".
_NEEDS_EARLIER_STATE = ("no staged result", "no session is", "'next' starts")


def open_serial(path: str) -> serial.Serial:
    """Open a serial port exclusively; failures become sentences a technician can act on."""
    try:
        return serial.Serial(path, DEFAULT_BAUD, timeout=0.05, exclusive=True)
    except serial.SerialException as e:
        raise UserError(open_error_sentence(path, e)) from None


def open_error_sentence(path: str, e: serial.SerialException) -> str:
    code = e.errno
    text = str(e)
    low = text.lower()
    if code in (errno.EBUSY, errno.EAGAIN) or "busy" in low or "lock" in low:
        return ("port %s is busy: another program (a console such as picocom/screen/miniterm, mpremote, "
                "or another vacuumctl) has it open; close that program and try again" % path)
    if code == errno.ENOENT or "no such file" in low:
        return ("port %s does not exist: is the board plugged in? 'vacuumctl ports' lists the ports "
                "present" % path)
    if code in (errno.EACCES, errno.EPERM) or "permission" in low:
        return ("no permission to open %s: add yourself to the group that owns it (often 'dialout': "
                "sudo usermod -aG dialout $USER, then log in again)" % path)
    if code == errno.ENOTTY or "inappropriate ioctl" in low or "(%d," % errno.ENOTTY in text:
        return ("%s is not a serial port (it takes no serial settings): give the board's port, e.g. /dev/ttyACM0; "
                "'vacuumctl ports' lists them" % path)
    if code == errno.EISDIR or "is a directory" in low:
        return "%s is a directory, not a serial port; 'vacuumctl ports' lists the ports present" % path
    return "cannot open %s: %s" % (path, text)


class DeviceLink:
    def __init__(self, ser: serial.Serial, sim: SimProcess | None = None, timeout_s: float = 2.0):
        self.ser = ser
        self.sim = sim
        self.timeout_s = timeout_s
        self._seq = 0
        # Replies go to the request waiting for their sequence number (a
        # resync after a reboot may wait alongside the caller's request).
        self._waiting: dict[int, "queue.Queue[frame.Frame]"] = {}
        self._waiting_lock = threading.Lock()
        self.messages: "queue.Queue[Message]" = queue.Queue()
        self.resets = 0
        self.lost_lines = 0
        self.corrupt_lines = 0
        self._last_event_seq: int | None = None
        self._write_lock = threading.Lock()
        # One request at a time: a reply for another sequence number is
        # dropped by the waiter, so two threads (a caller and the resync after
        # a reboot) must not wait at once.
        self._request_lock = threading.RLock()
        self._stop = threading.Event()
        self._reader = threading.Thread(target=self._read_loop, daemon=True)
        self._ready = False
        self.raw_log: list[str] = []  # plain (unframed) lines: boot banner, tracebacks
        self.device_version: dict[str, int | str] = {}  # the last 'version' reply
        self.lost: str = ""  # why the port stopped working (unplugged), once it has
        self._partial = b""  # the line being received (no newline yet)
        self.repl_seen = False  # MicroPython's REPL answered instead of the firmware
        # Unlocks by itself when a command needs the service role (open() takes it from the environment).
        self.service_code: str | None = None
        self._reader.start()

    # ---- opening ----------------------------------------------------------
    @classmethod
    def open(cls, port: str, speed: str = "max", truth_csv: str | None = None,
             until_ms: int | None = None, flash_image: str | None = None,
             idle_speed: str | None = None) -> "DeviceLink":
        """flash_image: a simulated board's flash kept in that file (its
        configuration and logs outlive the board, as a real board's do).
        idle_speed: a simulated board started here runs at speed only while
        this link waits on it (waiting()), at idle_speed in between."""
        sim = None
        if flash_image and not is_sim_port(port):
            raise UserError("a flash image file is for a simulated board (--port sim:...)")
        if is_sim_port(port):
            sim = start_sim(scenario_of(port), speed=speed, truth_csv=truth_csv, until_ms=until_ms,
                            extra=["--flash", flash_image] if flash_image else None, idle_speed=idle_speed)
            path = sim.port
        elif is_named_sim(port):
            if truth_csv:
                raise UserError("a background simulated board records its ground truth from its start: "
                                "'vacuumctl sim --detach --truth-csv FILE'")
            path = port_of(port)
        else:
            if truth_csv:
                raise UserError("--truth-csv needs a simulated board (--port sim); a real board has no ground truth")
            path = port
        try:
            ser = open_serial(path)
        except UserError:
            if sim:
                sim.stop()
            raise
        ser.reset_input_buffer()
        link = cls(ser, sim)
        link.service_code = os.environ.get(SERVICE_CODE_ENV) or None
        try:
            link.enter_machine_mode()
            check_protocol(link.device_version, "the device on %s" % port)
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

    def waiting(self) -> ContextManager[None]:
        """Around anything that waits on the device: a simulated board
        started with an idle speed runs at full speed only meanwhile."""
        return self.sim.waiting() if self.sim is not None else contextlib.nullcontext()

    def enter_machine_mode(self, attempts: int = 3, timeout_s: float = 1.0, repl_reset: bool = True) -> None:
        """Bring the device into machine mode from whatever state it is in;
        keeps its ``version`` reply in device_version. A board found at its
        MicroPython REPL (left there by mpremote, or by a Ctrl-C on an idle
        board) gets the soft reset (Ctrl-D) that starts the firmware again,
        when repl_reset."""
        for i in range(attempts):
            self._write(b"\r\nmode machine\r\n")
            try:
                self.device_version = parse_fields(self.request("version", timeout_s=timeout_s, retries=0 if i == 0 else 1))
                return
            except DeviceLost:
                raise
            except (UserError, TimeoutError):
                pass
            if i == 0 and self.at_repl():
                if not repl_reset:
                    break
                self._soft_reset_from_repl()
        if self.repl_seen:
            raise UserError(
                "the board is at its MicroPython REPL and a soft reset (Ctrl-D) did not start this firmware: "
                "its main.py does not run it; re-deploy (make deploy PORT=... BOARD=...)" if repl_reset else
                "the board is at its MicroPython REPL (the firmware is stopped: left there by mpremote or a Ctrl-C); "
                "any vacuumctl command on its port soft-resets it")
        raise UserError(
            "no answer from the device in machine mode: is this firmware running on it "
            "(not another program)? Try 'vacuumctl --port P console' or re-deploy")

    def at_repl(self) -> bool:
        """Whether MicroPython's REPL answers instead of the firmware: its
        prompt or error in what came back; else ask it with Ctrl-B (the
        REPL, raw or friendly, answers with its banner; the firmware
        refuses the byte, harmlessly, with E_CHAR)."""
        if not self._repl_signs():
            self._write(b"\x02")
            deadline = time.monotonic() + 0.5
            with self.waiting():
                while time.monotonic() < deadline and not self._repl_signs():
                    time.sleep(0.02)  # waiting for the board's answer
        self.repl_seen = self._repl_signs()
        return self.repl_seen

    def _repl_signs(self) -> bool:
        tail = self.raw_log[-20:] + [self._partial.decode(errors="replace")]
        return any(t.startswith((">>>", "raw REPL; CTRL-B to exit", "MicroPython v")) or
                   t.rstrip() in (">>>", ">") for t in tail)

    def _soft_reset_from_repl(self) -> None:
        """Ctrl-B (leave the raw REPL), Ctrl-C (clear the line), Ctrl-D (soft
        reset: main.py starts the firmware), then wait for its boot line."""
        print("vacuumctl: the board was at its MicroPython REPL (the firmware stopped: left there by mpremote or a "
              "Ctrl-C); soft reset (Ctrl-D) to start the firmware", file=sys.stderr)
        seen = len(self.raw_log)
        self._write(b"\r\x02\x03\x04")
        deadline = time.monotonic() + 5.0
        with self.waiting():
            while time.monotonic() < deadline:
                if any(line.startswith("boot vacuumfw") for line in self.raw_log[seen:]):
                    return
                time.sleep(0.02)  # waiting for the board to boot

    def leave_machine_mode(self, wait_s: float = 1.0) -> None:
        """Send a framed ``mode human`` so a person opening the port next finds
        the human interface, and wait (at most wait_s) for its unframed reply:
        left unread, a slow board's ``ok mode human`` reached that person's
        terminal as the answer to their first command."""
        seen = len(self.raw_log)
        self._write(frame.encode_request(self._next_seq(), "mode human"))
        end = time.monotonic() + wait_s
        with self.waiting():
            while time.monotonic() < end:
                if any(line.startswith("ok mode human") for line in self.raw_log[seen:]):
                    return
                time.sleep(0.005)

    def close(self) -> None:
        self._stop.set()
        # The reader must leave ser.read() first: a port closed under a
        # pending select() keeps its exclusive lock until that returns, and
        # an immediate re-open (auto-selection, then the command) would find it busy.
        try:
            self.ser.cancel_read()  # wakes that select() now, not at the port's timeout
        except Exception:  # noqa: BLE001 - best effort; the join below bounds the wait
            pass
        if self._reader is not threading.current_thread():
            self._reader.join(timeout=1.0)
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
        if self.lost:
            raise DeviceLost(self.lost)
        with self._write_lock:
            try:
                self.ser.write(data)
                self.ser.flush()
            except (serial.SerialException, OSError) as e:
                self._mark_lost(e)
                raise DeviceLost(self.lost) from None

    def _mark_lost(self, e: BaseException) -> None:
        if not self.lost and not self._stop.is_set():
            self.lost = ("the connection to %s was lost (%s): was the board unplugged or reset? "
                         "Nothing was re-sent" % (self.ser.port, e.__class__.__name__))

    def request(self, text: str, timeout_s: float | None = None, retries: int = 3) -> str:
        """Send one command and return the text after ``ok``; raise
        DeviceError on ``err``, DeviceReset if the device rebooted. A command
        that needs the service role unlocks first when a service code is
        known ($VACUUMCTL_SERVICE_CODE), then is sent once more (the refusal
        changed nothing on the device)."""
        code = self.service_code
        try:
            return self._request(text, timeout_s, retries)
        except DeviceError as e:
            if e.code != "E_ACCESS" or " needs the service role" not in e.message:
                raise self._hinted(e) from None
            if not code:
                raise ServiceRoleNeeded(e.code, e.message, fresh_sim=self.sim is not None) from None
        self.unlock(code)
        try:
            return self._request(text, timeout_s, retries)
        except DeviceError as e:
            raise self._hinted(e) from None

    def _hinted(self, e: DeviceError) -> DeviceError:
        """A refusal for want of state an earlier command made: on a fresh
        '--port sim' board that command ran on another board."""
        if e.code == "E_STATE" and self.sim is not None and e.message.startswith(_NEEDS_EARLIER_STATE):
            return DeviceError(e.code, e.message, FRESH_SIM_HINT)
        return e

    def start(self, line: str, wait_s: float = 5.0) -> str:
        """A session-starting request (``start ...``, ``tune auto ...``),
        sent again while the device refuses it because its absolute sensor
        is still taking its zero after boot (a fraction of a second)."""
        deadline = time.monotonic() + wait_s
        with self.waiting():
            while True:
                try:
                    return self.request(line)
                except DeviceError as e:
                    if e.code != "E_STATE" or "still taking its zero" not in e.message or time.monotonic() > deadline:
                        raise
                time.sleep(0.05)  # the device's own boot zero, a few hundred ms of device time

    def unlock(self, code: str) -> str:
        """Enter the service role; a refusal never quotes the code."""
        if not code or any(c.isspace() for c in code):
            raise UserError("the service code is one word without spaces")
        try:
            return self._request("unlock " + code, None, 3)
        except DeviceError as e:
            if e.code == "E_ACCESS":
                raise DeviceError(e.code, "the service code was refused: " + e.message) from None
            raise

    def _request(self, text: str, timeout_s: float | None, retries: int) -> str:
        with self._request_lock:
            return self._request_locked(text, timeout_s, retries)

    def _request_locked(self, text: str, timeout_s: float | None, retries: int) -> str:
        seq = self._next_seq()
        data = frame.encode_request(seq, text)
        resets_before = self.resets
        timeout = self.timeout_s if timeout_s is None else timeout_s
        replies: "queue.Queue[frame.Frame]" = queue.Queue()
        with self._waiting_lock:
            self._waiting[seq] = replies
        try:
            return self._await(text, seq, data, replies, timeout, retries, resets_before)
        finally:
            with self._waiting_lock:
                self._waiting.pop(seq, None)

    def _await(self, text: str, seq: int, data: bytes, replies: "queue.Queue[frame.Frame]", timeout: float,
               retries: int, resets_before: int) -> str:
        for _ in range(retries + 1):
            self._write(data)
            # Waiting from here, the line already sent: a gated board runs
            # at full speed once the line is on its way, not before it.
            with self.waiting():
                f = self._reply(seq, replies, timeout, text, resets_before)
            if f is None:
                if self.resets != resets_before:
                    raise DeviceReset("the device rebooted while '%s' was pending; it was not re-sent" % text)
                continue  # no reply in time, or our line arrived damaged (nothing was executed): resend
            status, _, rest = f.text.partition(" ")
            if status == "ok":
                return rest
            code, _, message = rest.partition(" ")
            raise DeviceError(code, message)
        raise TimeoutError("no reply to '%s' after %d tries" % (text, retries + 1))

    def _reply(self, seq: int, replies: "queue.Queue[frame.Frame]", timeout: float, text: str,
               resets_before: int) -> frame.Frame | None:
        """The reply to seq within timeout; None for none (or a damaged line's E_FRAME)."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            try:
                f = replies.get(timeout=min(left, 0.1))
            except queue.Empty:
                if self.lost:
                    raise DeviceLost(self.lost) from None
                if self.resets != resets_before:
                    raise DeviceReset("the device rebooted while '%s' was pending; it was not re-sent" % text)
                continue
            if f.seq == seq:
                return f
            if f.seq == 0 and f.text.startswith("err E_FRAME"):
                return None

    # ---- unsolicited ------------------------------------------------------
    def _read_loop(self) -> None:
        buf = b""
        while not self._stop.is_set():
            try:
                # Whatever has arrived, or wait (up to the port timeout) for
                # one byte: a reply is handled the moment it lands.
                chunk = self.ser.read(self.ser.in_waiting or 1)
            except (serial.SerialException, OSError, TypeError) as e:
                self._mark_lost(e)
                return
            if not chunk:
                continue
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                self._handle_line(line.rstrip(b"\r"))
            self._partial = buf[-80:]  # a prompt has no newline: '>>> '


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
                with self._waiting_lock:
                    # seq 0: the device could not read a request (E_FRAME): every waiting one may resend.
                    targets = list(self._waiting.values()) if f.seq == 0 else [self._waiting.get(f.seq)]
                for q in targets:
                    if q is not None:
                        q.put(f)
            elif f.kind == "!":
                if self._last_event_seq is not None:
                    gap = (f.seq - self._last_event_seq - 1) & 0xFFFF
                    self.lost_lines += gap
                self._last_event_seq = f.seq
                self.messages.put(Message.from_text(f.text, time.monotonic()))
            return
        text = line.decode(errors="replace")
        self.raw_log.append(text)
        if text.startswith("boot vacuumfw") and self._ready:
            # The device rebooted: it is back in human mode with a new cache.
            self.resets += 1
            self._last_event_seq = None
            self.messages.put(Message.from_text(text, time.monotonic()))
            threading.Thread(target=self._resync, daemon=True).start()

    def _resync(self) -> None:
        try:
            self.enter_machine_mode()
        except (UserError, TimeoutError, serial.SerialException, OSError, TypeError):
            # The link was closed meanwhile, or the device stays silent: the
            # next request() reports it.
            pass

    def next_message(self, timeout_s: float | None = None) -> Message | None:
        """The next unsolicited message, or None after timeout_s (None: wait
        for ever); raises DeviceLost when the port goes away meanwhile."""
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        while True:
            try:
                return self.messages.get(timeout=0.2)
            except queue.Empty:
                if self.lost:
                    raise DeviceLost(self.lost) from None
                if deadline is not None and time.monotonic() >= deadline:
                    return None

    def iter_messages(self, timeout_s: float) -> Iterator[Message]:
        """Yield unsolicited messages until none arrives for timeout_s."""
        while True:
            try:
                yield self.messages.get(timeout=timeout_s)
            except queue.Empty:
                return
