# Error raised by command handlers: a code a program can test and a sentence
# a person can act on. The console turns it into "err CODE message".
E_UNKNOWN = "E_UNKNOWN"  # no such command or parameter
E_ARG = "E_ARG"  # missing, extra or malformed argument
E_RANGE = "E_RANGE"  # value outside its valid range
E_UNIT = "E_UNIT"  # missing or unknown unit
E_STATE = "E_STATE"  # not allowed in the current state (e.g. alarm active)
E_FRAME = "E_FRAME"  # machine mode: bad frame or checksum
E_LONG = "E_LONG"  # line longer than the buffer
E_CHAR = "E_CHAR"  # bytes a terminal cannot type
E_INTERNAL = "E_INTERNAL"  # firmware error while executing; nothing changed
E_READONLY = "E_READONLY"  # parameter cannot be set
E_STORAGE = "E_STORAGE"  # flash write failed (full, I/O); nothing changed
E_ACCESS = "E_ACCESS"  # needs the service role, or a wrong unlock code
E_LOCKED = "E_LOCKED"  # unlock refused unchecked: too many wrong codes, wait


class CmdError(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message
