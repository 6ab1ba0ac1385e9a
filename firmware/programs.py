# Therapy programs as data: each names its parameters with unit kind, valid
# range and default, and its own ceiling and session limits. Parameters are
# validated here, on the device, against the program's own ranges.
#
# Generic programs (continuous, intermittent, dynamic, dotted, pulse) take
# wide ranges; presets are programs of the same kinds whose defaults are the
# figures of the source articles and whose ranges are that technique's limits
# (docs/programs.md names the source of every figure).
from collections import namedtuple

from micropython import const

from safety import ABS_MAX_VACUUM_PA  # the compiled-in ceiling: body massage maximum

# Parameter unit kinds.
PA = const(0)
MS = const(1)
MHZ = const(2)  # rate in mHz
PCT = const(3)  # whole percent (roller speed, laser power)
UNITS = ("Pa", "ms", "mHz", "pct")  # by kind, as replies and help texts write them

# Program kinds: how Session.step drives the controller.
CONTINUOUS = const(0)  # hold one target
INTERMITTENT = const(1)  # alternate target (on) and floor (off)
DYNAMIC = const(2)  # ramp smoothly floor -> target -> floor, never to zero
DOTTED = const(3)  # build, hold, release fully, wait for the operator, repeat
PULSE = const(4)  # suction and release at a set rate
GRADIENT = const(5)  # one level per channel of a multi-channel board, stepping down
VACUUM_LASER = const(6)  # hold a target; rollers turn; the laser only while contact is proven (laser.py)
KIND_NAMES = ("continuous", "intermittent", "dynamic", "dotted", "pulse", "gradient", "vacuum_laser")

_S = const(1_000)
_MIN = const(60_000)
_HOUR = const(3_600_000)
_DAY = const(86_400_000)

# Pressures of the articles and standards (domain.md), in Pa.
_MMHG_25 = const(3_333)  # NPWT floor of dynamic mode; lowest NPWT setting
_MMHG_40 = const(5_333)  # interval vacuum therapy, FlowOx trial
_MMHG_125 = const(16_665)  # NPWT default
_MMHG_200 = const(26_664)  # NPWT highest setting
_ATM_01 = const(10_133)  # dotted face massage, lowest
_ATM_05 = const(50_663)  # dotted face massage, highest
_GRADIENT_MIN_PA = const(1_000)  # lowest level of a gradient channel


# A tuple per parameter (about 75 of them): a third of a class instance's
# RAM. default None = required. What each one is for is in program_help.py,
# loaded only when a human asks.
Param = namedtuple("Param", ("name", "kind", "lo", "hi", "default"))


# Default session limits: the generic programs also serve NPWT, which runs
# for days, so their limits are the longest duration a session may have.
# Programs for one technique set tighter ones (domain.md: cupping minutes per
# site, massage 10-15 min). The supervisor enforces them; nothing in the
# serial protocol can change them.
MAX_SESSION_MS = const(7 * 24 * _HOUR)
HOLD_ABOVE_PA = const(2_000)  # vacuum above which time counts as holding


# A program is a namedtuple too (~100 B less each than a class instance,
# 64-bit); max_hold_ms is the continuous time above hold_above_pa.
_Program = namedtuple("Program", ("name", "kind", "ceiling_pa", "params", "wound", "preset_of", "max_hold_ms", "max_session_ms", "hold_above_pa"))


def Program(name, kind, ceiling_pa, params, wound=False, preset_of=None, *, max_hold_ms=MAX_SESSION_MS, max_session_ms=MAX_SESSION_MS, hold_above_pa=HOLD_ABOVE_PA):
    """A program. kind: one of the kinds above. wound: wound therapy (seal
    check, hours of therapy per day, therapy-inactive reminder). preset_of:
    for a preset, the generic program it specialises. max_hold_ms,
    max_session_ms, hold_above_pa: limits the supervisor enforces (keyword
    only). Its description is in program_help.py."""
    return _Program(name, kind, ceiling_pa, params, wound, preset_of, max_hold_ms, max_session_ms, hold_above_pa)


def param(program, name):
    """The program's parameter called name, or None."""
    for p in program.params:
        if p.name == name:
            return p
    return None


# ---- parameters shared by every program ------------------------------------
def _ramp(default=0, hi=10 * _MIN):
    return Param("ramp", MS, 0, hi, default)


def _duration(default, hi, lo=_S):
    return Param("duration", MS, lo, hi, default)


def _target(lo, hi, default=None):
    return Param("target", PA, lo, hi, default)


def _shared(progs):
    """progs with every repeated parameter one object: 27 of the 84 are
    repeats (the same ramp, duration or target range in several programs)."""
    seen = {}
    return tuple(_Program(p.name, p.kind, p.ceiling_pa, tuple(seen.setdefault(x, x) for x in p.params), *p[4:]) for p in progs)


PROGRAMS = _shared((
    # ---- generic programs --------------------------------------------------
    Program(
        "continuous",
        CONTINUOUS,
        ABS_MAX_VACUUM_PA,
        (_target(1_000, ABS_MAX_VACUUM_PA), _ramp(), _duration(15 * _MIN, 7 * _DAY)),
    ),
    Program(
        "intermittent",
        INTERMITTENT,
        ABS_MAX_VACUUM_PA,
        (
            _target(1_000, ABS_MAX_VACUUM_PA),
            Param("floor", PA, 0, ABS_MAX_VACUUM_PA, 0),
            Param("on", MS, _S, 60 * _MIN, 5 * _MIN),
            Param("off", MS, _S, 60 * _MIN, 2 * _MIN),
            Param("slew", MS, 0, 10 * _MIN, 0),
            _ramp(),
            _duration(15 * _MIN, 7 * _DAY),
        ),
    ),
    Program(
        "dynamic",
        DYNAMIC,
        ABS_MAX_VACUUM_PA,
        (
            _target(1_000, ABS_MAX_VACUUM_PA),
            Param("floor", PA, 1_000, ABS_MAX_VACUUM_PA, _MMHG_25),
            Param("rise", MS, _S, 60 * _MIN, _MIN),
            Param("fall", MS, _S, 60 * _MIN, _MIN),
            _ramp(),
            _duration(15 * _MIN, 7 * _DAY),
        ),
    ),
    Program(
        "dotted",
        DOTTED,
        _ATM_05,
        (
            _target(1_000, _ATM_05),
            Param("hold", MS, _S, 30 * _S, 4 * _S),
            Param("wait", MS, 0, 60 * _S, 0),
            _ramp(),
            _duration(15 * _MIN, 60 * _MIN),
        ),
    ),
    Program(
        "pulse",
        PULSE,
        ABS_MAX_VACUUM_PA,
        (
            _target(1_000, ABS_MAX_VACUUM_PA),
            Param("floor", PA, 0, ABS_MAX_VACUUM_PA, 0),
            Param("freq", MHZ, 100, 5_000, 1_000),
            _ramp(),
            _duration(15 * _MIN, 2 * _HOUR),
        ),
    ),
    Program(
        "gradient",
        GRADIENT,
        ABS_MAX_VACUUM_PA,
        (
            _target(1_000, ABS_MAX_VACUUM_PA),
            Param("step", PA, 0, ABS_MAX_VACUUM_PA, 5_000),
            _ramp(),
            _duration(15 * _MIN, 2 * _HOUR),
        ),
    ),
    # ---- presets: the techniques of the articles -------------------------
    Program(
        "face_dotted",
        DOTTED,
        _ATM_05,
        (
            _target(_ATM_01, _ATM_05, 20_000),
            Param("hold", MS, 3 * _S, 5 * _S, 4 * _S),
            Param("wait", MS, 0, 60 * _S, 0),
            _ramp(0, _MIN),
            _duration(10 * _MIN, 15 * _MIN),
        ),
        preset_of="dotted",
    ),
    Program(
        "body_sliding",
        CONTINUOUS,
        ABS_MAX_VACUUM_PA,
        (
            _target(_ATM_01, ABS_MAX_VACUUM_PA, 30_000),
            _ramp(10 * _S, 2 * _MIN),
            _duration(15 * _MIN, 15 * _MIN),
        ),
        preset_of="continuous",
    ),
    Program(
        "cupping_back",
        CONTINUOUS,
        _ATM_05,
        (
            _target(5_000, _ATM_05, 20_000),
            _ramp(10 * _S, 2 * _MIN),
            _duration(5 * _MIN, 10 * _MIN),
        ),
        preset_of="continuous",
    ),
    Program(
        "decompression",
        PULSE,
        _ATM_05,
        (
            _target(5_000, _ATM_05, 20_000),
            Param("floor", PA, 0, 0, 0),
            Param("freq", MHZ, 500, 5_000, 1_000),
            _ramp(_MIN, 5 * _MIN),
            _duration(15 * _MIN, 30 * _MIN),
        ),
        preset_of="pulse",
    ),
    Program(
        "interval_legs",
        INTERMITTENT,
        7_000,
        (
            _target(2_000, 7_000, _MMHG_40),
            Param("floor", PA, 0, 0, 0),
            Param("on", MS, 5 * _S, 60 * _S, 10 * _S),
            Param("off", MS, 5 * _S, 60 * _S, 7 * _S),
            Param("slew", MS, 0, 5 * _S, 0),
            _ramp(0, 5 * _MIN),
            _duration(30 * _MIN, 40 * _MIN),
        ),
        preset_of="intermittent",
    ),
    Program(
        "npwt_continuous",
        CONTINUOUS,
        _MMHG_200,
        (
            _target(_MMHG_25, _MMHG_200, _MMHG_125),
            _ramp(0, 10 * _MIN),
            _duration(3 * _DAY, 7 * _DAY),
        ),
        wound=True,
        preset_of="continuous",
    ),
    Program(
        "npwt_intermittent",
        INTERMITTENT,
        _MMHG_200,
        (
            _target(_MMHG_25, _MMHG_200, _MMHG_125),
            Param("floor", PA, 0, _MMHG_200, 0),
            Param("on", MS, _MIN, 60 * _MIN, 5 * _MIN),
            Param("off", MS, _MIN, 60 * _MIN, 2 * _MIN),
            Param("slew", MS, 0, 5 * _MIN, 0),
            _ramp(0, 10 * _MIN),
            _duration(3 * _DAY, 7 * _DAY),
        ),
        wound=True,
        preset_of="intermittent",
    ),
    Program(
        "npwt_dynamic",
        DYNAMIC,
        _MMHG_200,
        (
            _target(_MMHG_25, _MMHG_200, _MMHG_125),
            Param("floor", PA, _MMHG_25, _MMHG_200, _MMHG_25),
            Param("rise", MS, 10 * _S, 30 * _MIN, 3 * _MIN),
            Param("fall", MS, 10 * _S, 30 * _MIN, 3 * _MIN),
            _ramp(0, 10 * _MIN),
            _duration(3 * _DAY, 7 * _DAY),
        ),
        wound=True,
        preset_of="dynamic",
    ),
))


# The programs of a laser applicator board (laser_programs.py) join the
# table only on such a board (channels.make_applicator): another board's RAM
# never holds them, and it refuses them by name with a clear error.
LASER_NAMES = ("vacuum_laser", "roller_laser")


def extend(more):
    global PROGRAMS
    PROGRAMS = PROGRAMS + more


def find(name):
    for p in PROGRAMS:
        if p.name == name:
            return p
    return None


def names():
    return " ".join(p.name for p in PROGRAMS)


def relation_error(prog, values, channels=1):
    """Checks between parameters (each is already within its own range) and
    against the board's number of channels: a message, or None when the
    combination is valid."""
    floor = values.get("floor", 0)
    target = values["target"]
    if prog.kind == GRADIENT:
        if channels < 2:
            return "%s needs a board with several pump/vent/sensor channels; this one has %d" % (prog.name, channels)
        low = target - values.get("step", 0) * (channels - 1)
        if low < _GRADIENT_MIN_PA:
            return "the last of %d channels would get %dPa (target %dPa - %d x step %dPa); every level must be >= %dPa" % (
                channels, low, target, channels - 1, values.get("step", 0), _GRADIENT_MIN_PA)
    if floor >= target and (floor > 0 or prog.kind == DYNAMIC):
        return "floor %dPa must be below target %dPa%s" % (floor, target, "" if prog.kind == DYNAMIC else " (floor=0 vents to ambient)")
    return None
