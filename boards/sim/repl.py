# The REPL of the simulated board, entered when the firmware stops.
#
# Speaks what MicroPython's REPL speaks over a board's serial port, so that a
# person and tools such as mpremote see a real board:
#   friendly mode   ">>> ", one line at a time; Ctrl-A raw mode, Ctrl-D soft reboot
#   raw mode        "raw REPL; CTRL-B to exit\r\n>"; code then Ctrl-D -> "OK",
#                   output, "\x04", error, "\x04", ">"; Ctrl-D alone -> soft reboot
#                   (the board comes back in raw mode, main.py skipped)
#   raw-paste mode  Ctrl-E "A" Ctrl-A in raw mode -> "R\x01", window size (u16 LE)
#                   and "\x01"; the host sends at most a window ahead, the board
#                   answers "\x01" each time it has taken a window; Ctrl-D ends
#                   the code -> "\x04", then output and error as in raw mode.
# (MicroPython's docs/reference/repl.rst, shared/runtime/pyexec.c.) Code runs
# with the board's view of the filesystem (board_fs: "/" is the flash). The
# virtual clock and the physics run on while the REPL waits, as on a board.
import sys
import select

import micropython

import ctrl_c
import devicetime
from board_fs import View

FRIENDLY = 0
RAW = 1
# The REPL mode survives a soft reboot (MicroPython's pyexec_mode_kind): a
# soft reboot from raw mode comes back in raw mode without running main.py.
# boot_loop reads it and sets it back to FRIENDLY on a hard reset.
mode = FRIENDLY

SOFT_RESET = "soft_reset"

_IDLE_US = 1_000  # short: a host tool waits for every answer (mpremote: one per 256 bytes)
_PASTE_WINDOW = 128  # half of MicroPython's 256-byte stdin buffer, as the boards use
_BANNER = "MicroPython simulated board (%s); Type \"help()\" for more information.\r\n"
_RAW_BANNER = b"raw REPL; CTRL-B to exit\r\n"


class _Input:
    def __init__(self, world):
        self._world = world
        self._poll = select.poll()
        self._poll.register(sys.stdin, select.POLLIN)
        self._buf = bytearray(1)

    def getch(self):
        """Next input byte; the world keeps running while none arrives."""
        # Waiting for input the REPL reads Ctrl-C as data (kbd_intr(-1):
        # ctrl_c.check never raises here).
        clock = self._world.clock
        while True:
            for _ in self._poll.ipoll(0):
                if sys.stdin.buffer.readinto(self._buf) == 1:
                    return self._buf[0]
                raise SystemExit(0)  # serial closed: the simulation ends
            clock.sleep_until_us(clock.ticks_add(clock.ticks_us(), _IDLE_US))


def _out(b):
    sys.stdout.buffer.write(b)


def _write(s):
    sys.stdout.write(s)


def _execute(source, scope, single=False):
    """Run source like the board: returns (SOFT_RESET or None, the exception
    it raised or None). Resets and the end of the simulation propagate.
    Only the user's code is interruptible by Ctrl-C (ctrl_c.check at the
    clock's waits): the REPL itself reads Ctrl-C as a byte, so a request
    left from before this code came is dropped."""
    ctrl_c.discard()
    micropython.kbd_intr(3)
    try:
        if single:
            try:
                code = compile(source, "<stdin>", "eval")
            except SyntaxError:
                code = None
            if code is not None:
                r = eval(code, scope)
                if r is not None:
                    _write(repr(r) + "\r\n")
                return None, None
        exec(compile(source, "<stdin>", "exec"), scope)
    except SystemExit:
        return SOFT_RESET, None
    except (KeyboardInterrupt, Exception) as e:  # noqa: BLE001 - a REPL reports and carries on
        return None, e
    finally:
        micropython.kbd_intr(-1)
    return None, None


def _run_raw(source, scope):
    """Raw and raw-paste execution: output, EOF, error output, EOF."""
    try:
        action, err = _execute(source, scope)
    finally:
        _out(b"\x04")
    if err is not None:
        sys.print_exception(err)
    _out(b"\x04")
    return action


def _raw_paste(inp, scope):
    _out(b"R\x01" + bytes((_PASTE_WINDOW & 0xFF, _PASTE_WINDOW >> 8, 0x01)))
    buf = bytearray()
    remain = _PASTE_WINDOW
    while True:
        c = inp.getch()
        if c in (0x03, 0x04):  # end of code (Ctrl-C: abandon it)
            _out(b"\x04")
            if c == 0x03:
                _write("KeyboardInterrupt:\r\n")
                _out(b"\x04\x04")
                return None
            return _run_raw(bytes(buf).decode(), scope)
        buf.append(c)
        remain -= 1
        if remain == 0:
            _out(b"\x01")  # another window may be sent
            remain = _PASTE_WINDOW


def _raw(inp, scope):
    """Raw mode until Ctrl-B (returns None) or a soft reboot."""
    global mode
    mode = RAW
    _out(_RAW_BANNER + b">")
    buf = bytearray()
    while True:
        c = inp.getch()
        if c == 0x01:
            if len(buf) == 2 and buf[0] == 0x05:
                if buf[1] == ord("A"):
                    action = _raw_paste(inp, scope)
                    if action is not None:
                        return action
                else:
                    _out(b"R\x00")  # unknown paste command
            else:
                _out(_RAW_BANNER)
            buf = bytearray()
            _out(b">")
        elif c == 0x02:
            mode = FRIENDLY
            return None
        elif c == 0x03:
            buf = bytearray()
        elif c == 0x04:
            _out(b"OK")
            if not buf:
                _out(b"\r\n")
                return SOFT_RESET
            src = bytes(buf).decode()
            buf = bytearray()
            if _run_raw(src, scope) == SOFT_RESET:
                return SOFT_RESET
            _out(b">")
        else:
            buf.append(c)


def _friendly(inp, scope, world):
    global mode
    mode = FRIENDLY
    _write("\r\n" + _BANNER % world.board_name + ">>> ")
    line = bytearray()
    while True:
        c = inp.getch()
        if c == 0x03:
            line = bytearray()
            _write("\r\nKeyboardInterrupt\r\n>>> ")
        elif c == 0x04 and not line:
            _write("\r\n")
            return SOFT_RESET
        elif c == 0x01:
            _write("\r\n")
            action = _raw(inp, scope)
            if action is not None:
                return action
            _write("\r\n" + _BANNER % world.board_name + ">>> ")
        elif c in (0x0D, 0x0A):
            _write("\r\n")
            if line:
                action, err = _execute(bytes(line).decode(), scope, single=True)
                if err is not None:
                    sys.print_exception(err)
                if action is not None:
                    return action
                line = bytearray()
            _write(">>> ")
        elif c in (0x08, 0x7F):
            if line:
                line = line[:-1]
                _write("\x08 \x08")
        elif 0x20 <= c < 0x7F:
            line.append(c)
            _write(chr(c))


def run(world):
    """The REPL until a soft reboot (returns SOFT_RESET); a hard reset
    (machine.reset(), watchdog) or the end of the simulation propagates."""
    micropython.kbd_intr(-1)  # Ctrl-C is a byte the REPL reads (see _execute)
    inp = _Input(world)
    scope = {"__name__": "__main__"}
    view = View()
    view.enter(scope)
    host_time = sys.modules.get("time")
    sys.modules["time"] = sys.modules["utime"] = devicetime  # the board's time for the user's code
    try:
        if mode == RAW:
            action = _raw(inp, scope)
            if action is not None:
                return action
        return _friendly(inp, scope, world)
    finally:
        sys.modules.pop("utime", None)
        if host_time is None:
            sys.modules.pop("time", None)
        else:
            sys.modules["time"] = host_time
        view.leave()
        micropython.kbd_intr(3)  # booting: interruptible, as a board is
