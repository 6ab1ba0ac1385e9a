# The serial console: turns input lines into commands and replies, in the
# human mode (typable in any terminal) or the machine mode (sequence numbers
# and CRC-16 on every line, docs/protocol.md). Runs between control ticks and
# handles at most one line per tick.
import sys

import frame
import serial_link as sl
import session as ses
from cmderror import E_ACCESS, E_CHAR, E_FRAME, E_INTERNAL, E_LONG, E_UNKNOWN, CmdError
from commands import COMMANDS, call

_MAX_BYTES_PER_TICK = 64


class Console:
    def __init__(self, dev, link):
        self._dev = dev
        self._link = link
        self.machine = False
        self._last_seq = -1
        self._last_reply = b""
        self.event_seq = 0  # counter of unsolicited lines in machine mode
        self.sent = 0  # reply and event lines sent (allocating work: app's GC schedule)

    def set_mode(self, mode):
        # The reply to this command goes out in the new mode.
        self.machine = mode == "machine"
        self._link.set_echo(not self.machine)
        self._last_seq = -1
        return "mode " + mode

    def service(self):
        link = self._link
        r = link.poll_line(_MAX_BYTES_PER_TICK)
        if r == sl.NONE:
            return
        if r == sl.INTERRUPT:
            # Ctrl-C, read as data between ticks. During a session a person
            # means "stop the pump" (and a stray 0x03 from a host program must
            # not end a days-long therapy with a reset): the session stops as
            # 'stop' does, vented and logged, and the firmware runs on. On an
            # idle board it stops the firmware for the REPL (mpremote needs
            # it), as MicroPython's own interrupt would (app.main: outputs safe).
            dev = self._dev
            s = dev.session
            if s.state == ses.IDLE or s.state == ses.FAULT:
                raise KeyboardInterrupt
            was = s.state
            if was != ses.RELEASE:
                if dev.laser is not None:
                    dev.laser.off()  # at once, as 'stop' does
                s.stop(ses.END_CTRL_C)
            self.event("event ctrl_c action=%s program=%s t_ms=%d" % ("none" if was == ses.RELEASE else "session_stopped", s.program.name, dev.uptime_ms))
            return
        if r == sl.TOO_LONG:
            self._send(None, "err %s line longer than %d bytes; nothing done" % (E_LONG, sl.LINE_MAX))
            return
        if r == sl.BAD_BYTES:
            self._send(None, "err %s line contained bytes outside printable ASCII; nothing done" % E_CHAR)
            return
        raw = link.take()
        seq = None
        if self.machine:
            try:
                seq, a, b = frame.decode_request(raw)
            except ValueError as e:
                self._send(0, "err %s %s; nothing done" % (E_FRAME, e))
                return
            if seq == self._last_seq:
                # A retry of a request whose reply was lost: answer again,
                # never execute twice.
                link.write(self._last_reply)
                return
            text = raw[a:b].decode()
        else:
            text = raw.decode()
        reply = self.execute(text)
        if reply[:2] == "ok":
            self._dev.sup.host_seen()  # any valid command is a heartbeat
        self._send(seq, reply)

    def execute(self, text):
        words = text.split()
        if not words:
            return "err %s empty command" % E_UNKNOWN
        entry = COMMANDS.get(words[0])
        if entry is None:
            return "err %s no command '%s'; type help" % (E_UNKNOWN, words[0])
        denied = self._dev.access.check(words)
        if denied:
            return "err %s %s" % (E_ACCESS, denied)  # changes nothing
        try:
            return "ok " + call(entry, self._dev, words[1:])
        except CmdError as e:
            return "err %s %s" % (e.code, e.message)
        except Exception as e:  # noqa: BLE001 - a command bug must not stop the device
            sys.print_exception(e)
            return "err %s %s in '%s'; nothing done" % (E_INTERNAL, type(e).__name__, words[0])

    def _send(self, seq, text):
        self.sent += 1
        if self.machine:
            data = frame.encode(frame.RESPONSE, 0 if seq is None else seq, text)
            if seq:
                self._last_seq = seq
                self._last_reply = data
        else:
            data = text.encode() + b"\r\n"
        self._link.write(data)

    def take_seq(self):
        """The sequence number of the next unsolicited line (machine mode)."""
        n = self.event_seq
        self.event_seq = (n + 1) & 0xFFFF
        return n

    def event(self, text):
        """An unsolicited line (alarm, session event): sent at once."""
        self.sent += 1
        if self.machine:
            self._link.write(frame.encode(frame.EVENT, self.take_seq(), text))
        else:
            self._link.write(text.encode() + b"\r\n")
