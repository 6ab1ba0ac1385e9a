# The programs of a laser applicator board: vacuum with rollers and a
# low-power laser (docs/programs.md, "Vacuum laser therapy"). Imported by
# channels.make_applicator only on a board with rollers or a laser, which
# adds them to programs.PROGRAMS; other boards refuse them by name
# (programs.LASER_NAMES) and never hold this table.
#
# vacuum_laser is the generic program (wide ranges, for the technician);
# roller_laser the technique of seeds/000 ("vacuum laser therapy": a suction
# applicator with rollers and heat from a low-power laser, for lipodystrophy)
# with the article's figures as defaults and its limits as ranges: vacuum
# 0.1-0.5 atm (the article's sliding massage goes to 0.7 atm; rollers draw a
# skin fold, so we stop at 0.5), sessions of 10-15 min.
from micropython import const

from programs import MS, PA, PCT, VACUUM_LASER, Param, Program
from safety import ABS_MAX_VACUUM_PA

_S = const(1_000)
_MIN = const(60_000)
_HOUR = const(3_600_000)
_ATM_01 = const(10_133)
_ATM_05 = const(50_663)

_SPEED = Param("speed", PCT, 20, 100, 50)  # roller speed, % of the motor's full speed

PROGRAMS = (
    Program(
        "vacuum_laser",
        VACUUM_LASER,
        ABS_MAX_VACUUM_PA,
        (
            Param("target", PA, _ATM_01, ABS_MAX_VACUUM_PA, None),
            Param("contact", PA, 5_000, ABS_MAX_VACUUM_PA, 10_000),
            Param("prove", MS, 500, 10 * _S, _S),
            _SPEED,
            Param("power", PCT, 1, 100, 50),
            Param("laser_time", MS, _S, 60 * _MIN, 15 * _MIN),
            Param("ramp", MS, 0, 2 * _MIN, 5 * _S),
            Param("duration", MS, _S, 2 * _HOUR, 15 * _MIN),
        ),
        max_session_ms=2 * _HOUR,
    ),
    Program(
        "roller_laser",
        VACUUM_LASER,
        _ATM_05,
        (
            Param("target", PA, _ATM_01, _ATM_05, 20_000),
            Param("contact", PA, 5_000, 40_000, 10_000),
            Param("prove", MS, 500, 3 * _S, _S),
            _SPEED,
            Param("power", PCT, 10, 100, 50),
            Param("laser_time", MS, 10 * _S, 15 * _MIN, 10 * _MIN),
            Param("ramp", MS, 0, _MIN, 5 * _S),
            Param("duration", MS, _S, 15 * _MIN, 10 * _MIN),
        ),
        preset_of="vacuum_laser",
        max_session_ms=15 * _MIN,
    ),
)
