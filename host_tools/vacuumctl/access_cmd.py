"""``vacuumctl unlock``, ``lock`` and ``passcode``: the device's service role
(docs/safety.md, "Roles and access"). The role lives on the device: it lasts
until ``lock``, 10 min without a service command, or a reset. A '--port sim'
board starts locked at every call: use a background board ('vacuumctl sim
--detach', then --port sim@NAME) or $VACUUMCTL_SERVICE_CODE there."""
from __future__ import annotations

import argparse
import getpass
import os
import sys

from . import words
from .cmdline import add_command
from .errors import FRESH_SIM_HINT, SERVICE_CODE_ENV, ServiceRoleNeeded, UserError
from .link import DeviceLink
from .telemetry import parse_fields


def register(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    s = add_command(sub, "unlock", description="Enter the device's service role: set, config set/commit/reset/load, tune auto/commit, "
                                "selftest, log clear, passcode. The code comes from --code, else $%s, else a "
                                "prompt that does not echo. Three wrong codes lock attempts out for 30 s, doubling "
                                "per further wrong code up to 15 min." % SERVICE_CODE_ENV,
                    examples="""examples:
  vacuumctl --port /dev/ttyACM0 unlock                 # asks for the code (not echoed); prints role=service timeout_s=600
  VACUUMCTL_SERVICE_CODE=... vacuumctl --port /dev/ttyACM0 config set leak_delay 3min   # unlocks by itself
The role lives on the device: until 'vacuumctl lock', 10 min without a service command, or a reset.
Three wrong codes lock attempts out for 30 s, doubling per further wrong code up to 15 min.
exit status: 0 unlocked; 1 wrong code or locked out (the sentence says how long)""")
    s.add_argument("--code", help="the service code (visible in the shell's history: prefer the prompt or $%s)" % SERVICE_CODE_ENV)
    s.set_defaults(func=cmd_unlock)
    s = add_command(sub, "lock", examples="""examples:
  vacuumctl --port /dev/ttyACM0 lock                   # back to the therapist role
exit status: 0""")
    s.set_defaults(func=cmd_lock)
    s = add_command(sub, "passcode", description="Store a new service code on the device (a salted hash, written to flash and "
                                "read back; the old code stops working; audited). Asks for the new code twice "
                                "without echo, or takes it from $%s. Needs the service role: 'vacuumctl unlock' "
                                "first, or $%s with the current code. Change the factory code (246810) at "
                                "commissioning." % (NEW_CODE_ENV, SERVICE_CODE_ENV),
                    examples="""examples:
  vacuumctl --port /dev/ttyACM0 unlock                 # the current code (factory: 246810)
  vacuumctl --port /dev/ttyACM0 passcode               # asks for the new code twice, not echoed
exit status: 0 changed; 1 refused (no service role, a code that is not 6..32 letters or digits, flash error)""")
    s.set_defaults(func=cmd_passcode)


def code_from(args: argparse.Namespace) -> str:
    code = args.code or os.environ.get(SERVICE_CODE_ENV)
    if not code:
        try:
            code = getpass.getpass("service code: ")
        except EOFError:
            code = ""
    if not code:
        raise UserError("no service code given (--code, $%s or the prompt)" % SERVICE_CODE_ENV)
    return code


def cmd_unlock(args: argparse.Namespace) -> int:
    code = code_from(args)
    with DeviceLink.open(args.port, speed="max") as link:
        print(words.role(link.unlock(code)))
        _fresh_sim_note(link)
    return 0


def cmd_lock(args: argparse.Namespace) -> int:
    with DeviceLink.open(args.port, speed="max") as link:
        print(words.role(link.request("lock")))
        _fresh_sim_note(link)
    return 0


NEW_CODE_ENV = "VACUUMCTL_NEW_CODE"


def new_code() -> str:
    code = os.environ.get(NEW_CODE_ENV)
    if not code:
        try:
            code = getpass.getpass("new service code (6..32 letters or digits): ")
            again = getpass.getpass("the same again: ")
        except EOFError:
            raise UserError("no new code given (the prompt, or $%s)" % NEW_CODE_ENV) from None
        if code != again:
            raise UserError("the two codes differ; nothing changed")
    if not 6 <= len(code) <= 32 or not code.isascii() or not code.isalnum():
        raise UserError("a service code is 6..32 letters or digits; nothing changed")
    return code


def cmd_passcode(args: argparse.Namespace) -> int:
    with DeviceLink.open(args.port, speed="max") as link:
        # The role first: nobody types a new code twice to be told that.
        if parse_fields(link.request("status")).get("role") != "service" and not link.service_code:
            raise ServiceRoleNeeded("E_ACCESS", "passcode needs the service role", fresh_sim=link.sim is not None)
        code = new_code()
        link.request("passcode " + code)
        print("service code changed: stored on the device as a salted hash; the old code no longer works")
        _fresh_sim_note(link)
    return 0


def _fresh_sim_note(link: DeviceLink) -> None:
    if link.sim is not None:
        print("vacuumctl: note: that board was started for this command and is powered off now, role and all. %s."
              % FRESH_SIM_HINT, file=sys.stderr)
