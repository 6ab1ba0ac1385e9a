# Three-chamber board for vacuum gradient therapy (one cup or chamber per
# channel, each at its own level): a Raspberry Pi Pico driving three pumps,
# three vent valves and three XGZP6897D sensors. The sensor's I2C address is
# fixed, so each sits on a bus of its own: I2C0, I2C1 and a bit-banged
# SoftI2C. Channel 1 uses the pico board's pins; limits, signals and data
# are the pico's. The simulated board offers it ("board": "sim_multi"); it
# is a plausible wiring, not a built one.
#
# Deployed to the device as /board.py, self-contained like every board file.
from micropython import const

NAME = "sim_multi"
MCU = "rp2040"
HEAP_BYTES = const(209_936)  # as boards/pico.py (the same RP2040)

# I2C bus to the pressure sensor (external 4.7 kOhm pull-ups to 3V3).
I2C_ID = const(0)
I2C_SDA = const(4)
I2C_SCL = const(5)
I2C_FREQ = const(400_000)
I2C_TIMEOUT_US = const(2_000)  # bounded wait for every transfer

SENSOR = "xgzp6897d"
SENSOR_ADDR = const(0x6D)
SENSOR_K = const(64)  # -100..100 kPa part

# (pump pin, vent pin, I2C bus (-1 = SoftI2C), SDA pin, SCL pin) per
# channel; the first is the PUMP_PIN/VENT_PIN/I2C_* channel below. An
# RP2040 PWM slice (GPIO 2n, 2n+1) has one frequency: the pumps (20 kHz)
# share slices 7 and 1, the vents (2 kHz) slices 6 and 5, the buzzer has
# slice 0.
CHANNELS = (
    (15, 13, 0, 4, 5),
    (14, 12, 1, 6, 7),
    (18, 11, -1, 8, 9),
)

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
VENT_PIN = const(13)
VENT_FREQ = const(2_000)
VENT_INVERT = False
VENT_NORMALLY_OPEN = True

LED_PIN = const(25)
# Alarm signals (firmware/annunciator.py): the on-board LED and a passive
# piezo buzzer on GP16 through a transistor.
ALARM_LED_PIN = LED_PIN
BUZZER_PIN = const(16)
BUZZER_FREQ = const(2_700)  # near a piezo's resonance

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
CONTROL_HZ = const(50)
WDT_TIMEOUT_MS = const(1_000)


def make_clock():
    from hwclock import HardwareClock

    return HardwareClock()
