# Therapy programs as data: each names its parameters with unit kind, valid
# range and default, and its own ceiling and session limits. Parameters are
# validated here, on the device, against the program's own ranges.
from micropython import const

PA = const(0)
MS = const(1)

# Program kinds: how Session.step drives the controller.
CONTINUOUS = const(0)  # hold one target
INTERMITTENT = const(1)  # alternate target (on) and floor (off)

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
    def __init__(self, name, kind, ceiling_pa, params, help):
        self.name = name
        self.kind = kind
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
        CONTINUOUS,
        71_000,
        (
            Param("target", PA, 1_000, 71_000, None, "vacuum to hold"),
            Param("ramp", MS, 0, 10 * _MIN, 0, "time to reach the target (0 = no slew limit)"),
            Param("duration", MS, 1_000, 7 * 24 * _HOUR, 15 * _MIN, "session length"),
        ),
        "hold a target: sliding massage, static cupping, NPWT continuous",
    ),
    Program(
        "intermittent",
        INTERMITTENT,
        71_000,
        (
            Param("target", PA, 1_000, 71_000, None, "vacuum in the on phase"),
            Param("floor", PA, 0, 71_000, 0, "vacuum in the off phase, below target (0 = vent to ambient)"),
            Param("on", MS, 1_000, 60 * _MIN, 5 * _MIN, "length of the on phase"),
            Param("off", MS, 1_000, 60 * _MIN, 2 * _MIN, "length of the off phase"),
            Param("ramp", MS, 0, 10 * _MIN, 0, "time for each change between floor and target (0 = as fast as safe)"),
            Param("duration", MS, 1_000, 7 * 24 * _HOUR, 15 * _MIN, "session length"),
        ),
        "alternate target and floor: NPWT intermittent, interval vacuum therapy",
    ),
)


def find(name):
    for p in PROGRAMS:
        if p.name == name:
            return p
    return None


def names():
    return " ".join(p.name for p in PROGRAMS)
