"""The host tool's own version and the protocol it speaks (docs/protocol.md).

A device reports ``protocol=N`` in its ``version`` reply and boot banner. The
tool drives only devices whose protocol *major* (the number before any dot)
equals :data:`PROTOCOL_MAJOR`: a different major may mean different commands,
units or framing, and guessing is not acceptable on a device that can injure.
"""
from __future__ import annotations

from .errors import UserError

TOOL_VERSION = "0.1.0"
PROTOCOL_MAJOR = 1


def protocol_major(text: str) -> int | None:
    """``'1'`` or ``'1.3'`` -> 1; anything else -> None."""
    head = text.split(".", 1)[0]
    return int(head) if head.isdigit() else None


def check_protocol(fields: dict[str, int | str], port: str = "the device") -> None:
    """Refuse a device that speaks another protocol major, with a sentence saying what to do."""
    reported = fields.get("protocol")
    if reported is None:
        raise UserError(
            "%s answered but did not report a protocol version: it is not running this firmware "
            "(vacuumfw); deploy it (see README 'With a real board')" % port)
    major = protocol_major(str(reported))
    if major != PROTOCOL_MAJOR:
        newer = major is not None and major > PROTOCOL_MAJOR
        raise UserError(
            "%s speaks protocol %s but this vacuumctl %s speaks protocol %d: %s" % (
                port, reported, TOOL_VERSION, PROTOCOL_MAJOR,
                "update vacuumctl (pip install -e host_tools from the firmware's checkout)" if newer
                else "update the firmware on the device to one made for this vacuumctl"))


def describe(fields: dict[str, int | str]) -> list[str]:
    """Lines for ``vacuumctl version``: firmware, protocol, board and the rest."""
    lines = [
        "firmware  vacuumfw %s" % fields.get("firmware", "?"),
        "protocol  %s" % fields.get("protocol", "?"),
        "board     %s" % fields.get("board", "?"),
    ]
    for key, value in fields.items():
        if key not in ("firmware", "protocol", "board"):
            lines.append("%-9s %s" % (key, value))
    return lines
