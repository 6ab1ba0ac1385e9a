"""Errors a technician can act on; the CLI prints them as one sentence."""
from __future__ import annotations

import re

_PA = re.compile(r"(?<!\w)(?<!\d\.)(-?\d+)Pa\b")
_MS = re.compile(r"(?<!\w)(?<!\d\.)(\d+)ms\b")
_PCT = re.compile(r"(?<!\w)(?<!\d\.)(\d+)pct\b")


class UserError(Exception):
    """Something the user can fix (port busy, value out of range, ...)."""


class DeviceError(UserError):
    """The device answered ``err CODE message``; the sentence shows its
    pressures in kPa and its durations in seconds (the device speaks Pa, ms).
    hint: what to do instead, when the tool knows better than the device."""

    def __init__(self, code: str, message: str, hint: str = ""):
        super().__init__("device refused: %s (%s)%s" % (readable(message), code, ". " + hint if hint else ""))
        self.code = code
        self.message = message


SERVICE_CODE_ENV = "VACUUMCTL_SERVICE_CODE"

# A '--port sim' board is powered up for one command and off after it.
FRESH_SIM_HINT = ("Each '--port sim' command starts a fresh simulated board that forgets what earlier commands did: "
                  "for steps that build on each other, start one that stays with 'vacuumctl sim --detach' and give "
                  "its '--port sim@NAME' to every command")


class ServiceRoleNeeded(DeviceError):
    """``err E_ACCESS ... needs the service role``: says how to get it.
    form: the command as the user knows it (default: the device's)."""

    def __init__(self, code: str, message: str, fresh_sim: bool = False, form: str = ""):
        super().__init__(code, message)
        form = form or message.split(" needs ", 1)[0]
        if fresh_sim:
            self.args = ("device refused: '%s' needs the service role, and a '--port sim' board starts locked for "
                         "every command (an earlier 'vacuumctl unlock' was on another board). Start a simulated "
                         "board that stays with 'vacuumctl sim --detach', then 'vacuumctl --port sim@NAME unlock' "
                         "and give --port sim@NAME to every command; or set %s to unlock automatically (%s)" % (
                             form, SERVICE_CODE_ENV, code),)
        else:
            self.args = ("device refused: '%s' needs the service role. Run 'vacuumctl unlock' first (it asks for the "
                         "code; the role lasts until 'vacuumctl lock' or 10 min without a service command), or set %s "
                         "to unlock automatically (%s)" % (form, SERVICE_CODE_ENV, code),)


class DeviceReset(UserError):
    """The device rebooted while we were talking to it."""


class DeviceLost(UserError):
    """The serial port stopped working mid-session (unplugged, vanished)."""


def readable(message: str) -> str:
    """``target 90000Pa is out of range 1000Pa..70000Pa`` ->
    ``target 90kPa is out of range 1kPa..70kPa``; ``1200000ms`` -> ``1200s``;
    ``5pct`` -> ``5%``."""
    message = _PA.sub(lambda m: _thousandths(m.group(1)) + "kPa", message)
    message = _PCT.sub(lambda m: m.group(1) + "%", message)
    return _MS.sub(lambda m: _thousandths(m.group(1)) + "s", message)


def _thousandths(digits: str) -> str:
    """``'16665'`` -> ``'16.665'``, ``'70000'`` -> ``'70'`` (exact, no float)."""
    v = int(digits)
    whole, frac = divmod(abs(v), 1000)
    return ("-" if v < 0 else "") + ("%d.%03d" % (whole, frac)).rstrip("0").rstrip(".")
