"""Errors a technician can act on; the CLI prints them as one sentence."""


class UserError(Exception):
    """Something the user can fix (port busy, value out of range, ...)."""


class DeviceError(UserError):
    """The device answered ``err CODE message``."""

    def __init__(self, code: str, message: str):
        super().__init__("device refused: %s (%s)" % (message, code))
        self.code = code
        self.message = message


class DeviceReset(UserError):
    """The device rebooted while we were talking to it."""
