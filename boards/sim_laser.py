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
# Deployed to the device as /board.py, self-contained like every board file.
from micropython import const

NAME = "sim_laser"
MCU = "rp2040"
HEAP_BYTES = const(209_936)  # usable MicroPython heap: as boards/pico.py

# I2C bus to the pressure sensor (external 4.7 kOhm pull-ups to 3V3).
I2C_ID = const(0)
I2C_SDA = const(4)
I2C_SCL = const(5)
I2C_FREQ = const(400_000)
I2C_TIMEOUT_US = const(2_000)  # bounded wait for every transfer

SENSOR = "xgzp6897d"
SENSOR_ADDR = const(0x6D)
SENSOR_K = const(64)  # -100..100 kPa part

# Pump: logic-level N-MOSFET low-side switch with flyback diode.
PUMP_PIN = const(15)
PUMP_FREQ = const(20_000)  # above hearing
PUMP_INVERT = False
# The fitted pump's free flow and maximum vacuum (its datasheet; here a
# typical small 12 V diaphragm pump): the leak-rate estimate scales by them.
PUMP_FREE_FLOW_ML_MIN = const(2_000)
PUMP_MAX_VACUUM_PA = const(80_000)
# Vent: normally-open solenoid valve (vents when unpowered = fail-safe),
# driven through its own MOSFET; coil PWM gives a proportional bleed.
VENT_PIN = const(13)  # PWM slice 6 (GP12/13); the pump's GP15 is slice 7: own frequencies
VENT_FREQ = const(2_000)
VENT_INVERT = False
VENT_NORMALLY_OPEN = True

LED_PIN = const(25)
# Alarm signals (firmware/annunciator.py): the on-board LED and a passive
# piezo buzzer on GP16 through a transistor.
ALARM_LED_PIN = LED_PIN
BUZZER_PIN = const(16)
BUZZER_FREQ = const(2_700)  # near a piezo's resonance

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

# Where the firmware keeps configuration and logs on the board's littlefs
# filesystem (the rp2 port mounts it at /; firmware modules live there too).
DATA_DIR = "/data"

# Factory unlock code for the service role, as salt and SHA-256(salt + code)
# (firmware/access.py): the code is 246810 on every board; change it at
# commissioning with 'passcode NEW' (then only its salted hash is on flash).
SERVICE_CODE_SALT = "5e1c0a7e3b9d2f41"
SERVICE_CODE_SHA256 = "7a536213c23027bb35377ddb1f04216653e0c710dd38ba729db31b23d246da32"

# Device limits. The firmware's compiled-in absolute ceiling (71 kPa, 0.7 atm)
# still applies; a board may only lower it.
MAX_VACUUM_PA = const(70_000)
CONTROL_HZ = const(100)  # as boards/pico.py: a collection must fit a period
WDT_TIMEOUT_MS = const(1_000)


def make_clock():
    from hwclock import HardwareClock

    return HardwareClock()
