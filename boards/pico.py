# Raspberry Pi Pico (RP2040) board definition.
#
# Deployed to the device as /board.py. Declarative: the firmware reads these
# names and never asks which board it is on. Wiring: docs/wiring.md.
from micropython import const

NAME = "pico"
MCU = "rp2040"
# Usable MicroPython heap: gc.mem_free() after boot at the REPL of an
# official RP2040 build, 209 936 B (MicroPython 1.20, micropython issue
# #12557); a 1.29 rp2 build without the TLS stack has a 233 792 B GC heap
# (issue 14). The smaller, documented figure.
HEAP_BYTES = const(209_936)

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
CONTROL_HZ = const(100)
WDT_TIMEOUT_MS = const(1_000)


def make_clock():
    from hwclock import HardwareClock

    return HardwareClock()
