# Therapy programs as data: each names its parameters with unit kind, valid
# range and default, and its own ceiling and session limits. Parameters are
# validated here, on the device, against the program's own ranges.
from micropython import const

PA = const(0)
MS = const(1)

_MIN = const(60_000)
_HOUR = const(3_600_000)


class Param:
    def __init__(self, name, kind, lo, hi, default, help):
        self.name = name
        self.kind = kind
        self.lo = lo
        self.hi = hi
        self.default = default  # None = required
        self.help = help


class Program:
    def __init__(self, name, ceiling_pa, params, help):
        self.name = name
        self.ceiling_pa = ceiling_pa
        self.params = params
        self.help = help

    def param(self, name):
        for p in self.params:
            if p.name == name:
                return p
        return None


PROGRAMS = (
    Program(
        "continuous",
        71_000,
        (
            Param("target", PA, 1_000, 71_000, None, "vacuum to hold"),
            Param("ramp", MS, 0, 10 * _MIN, 0, "time to reach the target (0 = as fast as safe)"),
            Param("duration", MS, 1_000, 7 * 24 * _HOUR, 15 * _MIN, "session length"),
        ),
        "hold a target: sliding massage, static cupping, NPWT continuous",
    ),
)


def find(name):
    for p in PROGRAMS:
        if p.name == name:
            return p
    return None


def names():
    return " ".join(p.name for p in PROGRAMS)
