# Laser applicator board for vacuum laser therapy (docs/programs.md,
# "Laser applicator boards"): a Raspberry Pi Pico with the pico board's
# pump, vent valve, sensor and signals, plus an applicator with motorised
# rollers and a low-power laser source. The simulated board offers it
# ("board": "sim_laser"); it is a plausible wiring, not a built one.
#
# The laser: a 650 nm diode module of up to 100 mW behind the applicator's
# window (IEC 60825-1 class 3B: a real build needs the key switch, remote
# interlock connector, emission indicator and labels that class requires;
# docs/safety.md, "Hardware measures software cannot replace").
#
# RP2040 PWM pins 2n and 2n+1 share a slice (one frequency): the roller
# (GP18, slice 1A) and the laser power (GP20, slice 2A) have slices of their
# own, apart from the vent/pump (slice 7) and the buzzer (slice 0).
#
# Deployed to the device as /board.py, with boards/pico.py beside it as
# /pico.py (tools/deploy/mpy_build.py builds both): everything but the name
# and the applicator is the pico's, imported.
from micropython import const

from pico import *  # noqa: F401,F403 - pins, bus, sensor, pump, vent, signals, data, factory code, limits, clock

NAME = "sim_laser"

# ---- applicator: rollers and laser (firmware/auxout.py, firmware/laser.py)
# Roller motor: geared DC motor through a logic-level N-MOSFET (flyback
# diode), PWM above hearing.
ROLLER_PIN = const(18)
ROLLER_FREQ = const(20_000)
ROLLER_INVERT = False
# Its Hall tachometer (open collector, pulled up): pulses per second at full
# duty (2 per revolution of the motor shaft, 6000 rpm before the gearbox).
ROLLER_TACH_PIN = const(19)
ROLLER_TACH_HZ = const(200)
# Laser driver: enable input (high = on) through a retriggerable monostable
# and an AND gate on the board: the enable holds only while the firmware
# gives it a rising edge at least every LASER_EN_KEEPALIVE_MS (each control
# tick does), so a hung loop turns the laser off in 20 ms, long before the
# watchdog (1 s). Pull-down: off while the MCU is in reset.
LASER_EN_PIN = const(21)
LASER_EN_KEEPALIVE_MS = const(20)
# Power: the driver's modulation input.
LASER_PWM_PIN = const(20)
LASER_PWM_FREQ = const(2_000)
# The driver's supply through a high-side switch (pull-down: off in reset):
# the second cut, independent of the driver's own enable and power inputs.
LASER_SUPPLY_PIN = const(22)
# Emission monitor: the diode's monitor photodiode through a comparator
# (peak-held, so modulated light reads as on): 1 = emitting.
LASER_SENSE_PIN = const(26)
# Applicator contact switch: normally open, closed when the applicator sits
# on the skin; to GND with the MCU's pull-up, so closed reads 0. (A real
# applicator also puts it in series with the laser driver's enable.)
LASER_INTERLOCK_PIN = const(27)
LASER_INTERLOCK_CLOSED = const(0)
