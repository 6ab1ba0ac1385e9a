# The REPL of the simulated board, entered when the firmware stops.
#
# Friendly mode for a person, raw mode (Ctrl-A) for tools such as mpremote, and
# Ctrl-D soft reboot, with the virtual clock and physics running on while it
# waits, as they do on a real board.
import sys
import select

_IDLE_US = 10_000
_BANNER = "MicroPython simulated board (%s); Type \"help()\" for more information.\r\n"


class _Input:
    def __init__(self, world):
        self._world = world
        self._poll = select.poll()
        self._poll.register(sys.stdin, select.POLLIN)
        self._buf = bytearray(1)

    def getch(self):
        """Next input byte; the world keeps running while none arrives."""
        clock = self._world.clock
        while True:
            for _ in self._poll.ipoll(0):
                if sys.stdin.buffer.readinto(self._buf) == 1:
                    return self._buf[0]
                raise SystemExit(0)  # serial closed: the simulation ends
            clock.sleep_until_us(clock.ticks_add(clock.ticks_us(), _IDLE_US))


def _write(s):
    sys.stdout.write(s)


def _exec(source, scope):
    try:
        try:
            code = compile(source, "<stdin>", "eval")
        except SyntaxError:
            exec(compile(source, "<stdin>", "exec"), scope)
        else:
            r = eval(code, scope)
            if r is not None:
                _write(repr(r) + "\r\n")
    except Exception as e:  # noqa: BLE001 - a REPL reports and carries on
        sys.print_exception(e)


def _raw(inp, scope):
    _write("raw REPL; CTRL-B to exit\r\n>")
    buf = bytearray()
    while True:
        c = inp.getch()
        if c == 0x02:  # Ctrl-B: back to friendly
            _write("\r\n")
            return None
        if c == 0x03:
            buf = bytearray()
            continue
        if c == 0x04:
            if not buf:
                _write("\r\n")
                return "soft_reset"
            _write("OK")
            src = bytes(buf).decode()
            buf = bytearray()
            try:
                exec(compile(src, "<stdin>", "exec"), scope)
                _write("\x04")
            except Exception as e:  # noqa: BLE001
                _write("\x04")
                sys.print_exception(e, sys.stdout)
            _write("\x04>")
            continue
        if c == 0x05 and not buf:  # raw-paste request: not offered, as on old firmware
            _write("R\x00")
            continue
        buf.append(c)


def run(world):
    inp = _Input(world)
    scope = {"__name__": "__main__"}
    _write(_BANNER % world.board_name)
    _write(">>> ")
    line = bytearray()
    while True:
        try:
            c = inp.getch()
        except KeyboardInterrupt:
            c = 0x03
        if c == 0x03:
            line = bytearray()
            _write("\r\nKeyboardInterrupt\r\n>>> ")
        elif c == 0x04 and not line:
            _write("\r\nMPY: soft reboot\r\n")
            return "soft_reset"
        elif c == 0x01:
            if _raw(inp, scope) == "soft_reset":
                return "soft_reset"
            _write(">>> ")
        elif c in (0x0D, 0x0A):
            _write("\r\n")
            if line:
                _exec(bytes(line).decode(), scope)
                line = bytearray()
            _write(">>> ")
        elif c in (0x08, 0x7F):
            if line:
                line = line[:-1]
                _write("\x08 \x08")
        elif 0x20 <= c < 0x7F:
            line.append(c)
            _write(chr(c))
