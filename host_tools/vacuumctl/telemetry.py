"""Parsing of the device's ``key=value`` lines (telemetry, status, events)."""
from __future__ import annotations

from dataclasses import dataclass, field

CSV_COLUMNS = ("t_ms", "vacuum_pa", "setpoint_pa", "pump_duty", "valve_duty", "state", "alarms", "remaining_ms",
               "phase", "leak_ml_min", "swing_pa")
# Added by a laser applicator board (its status has laser=): docs/protocol.md.
LASER_CSV_COLUMNS = ("laser", "roller_hz", "contact")


def parse_fields(text: str) -> dict[str, int | str]:
    """``a=1 b=x`` -> {'a': 1, 'b': 'x'}; words without '=' are skipped."""
    out: dict[str, int | str] = {}
    for word in text.split():
        key, eq, value = word.partition("=")
        if not eq:
            continue
        try:
            out[key] = int(value)
        except ValueError:
            out[key] = value
    return out


@dataclass
class Message:
    """An unsolicited line from the device: ``kind`` is the first word
    (``tel``, ``alarm``, ``event``, ``boot``, or ``text`` for anything else)."""

    kind: str
    text: str
    fields: dict[str, int | str] = field(default_factory=dict)
    arrived: float = 0.0  # time.monotonic() when the host read it (0: not from a link)

    @classmethod
    def from_text(cls, text: str, arrived: float = 0.0) -> "Message":
        first = text.split(" ", 1)[0]
        kind = first if first in ("tel", "alarm", "event", "boot") else "text"
        return cls(kind, text, parse_fields(text), arrived)
