# Three-chamber board for vacuum gradient therapy (one cup or chamber per
# channel, each at its own level): a Raspberry Pi Pico driving three pumps,
# three vent valves and three XGZP6897D sensors. The sensor's I2C address is
# fixed, so each sits on a bus of its own: I2C0, I2C1 and a bit-banged
# SoftI2C. Channel 1 uses the pico board's pins; limits, signals and data
# are the pico's, imported (only the control rate is its own). The
# simulated board offers it ("board": "sim_multi"); it is a plausible
# wiring, not a built one.
#
# Deployed to the device as /board.py, with boards/pico.py beside it as
# /pico.py (tools/deploy/mpy_build.py builds both).
from micropython import const

from pico import *  # noqa: F401,F403 - pins, bus, sensor, pump, vent, signals, data, factory code, limits, clock

NAME = "sim_multi"

# (pump pin, vent pin, I2C bus (-1 = SoftI2C), SDA pin, SCL pin) per
# channel; the first is the pico's PUMP_PIN/VENT_PIN/I2C_* channel. An
# RP2040 PWM slice (GPIO 2n, 2n+1) has one frequency: the pumps (20 kHz)
# share slices 7 and 1, the vents (2 kHz) slices 6 and 5, the buzzer has
# slice 0.
CHANNELS = (
    (15, 13, 0, 4, 5),
    (14, 12, 1, 6, 7),
    (18, 11, -1, 8, 9),
)

# Three channels' tick and a collection exceed the pico's 10 ms period.
CONTROL_HZ = const(50)
