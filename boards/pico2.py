# Raspberry Pi Pico 2 (RP2350) board definition, with a Bosch BMP280.
#
# Deployed to the device as /board.py. Same pinout as the Pico (boards/pico.py),
# so the same carrier board fits; this variant uses the cheap BMP280 breakout
# (absolute: zeroed at boot with the vent open, see firmware/sensor.py) and
# has a buzzer. Wiring: docs/wiring.md.
from micropython import const

NAME = "pico2"
MCU = "rp2350"
# 520 KB SRAM; MicroPython leaves roughly this much heap (an estimate: no
# published gc.mem_free() of an RP2350 build was found; check it after boot.
# Not the smallest board, so no budget depends on it).
HEAP_BYTES = const(400_000)

# I2C bus to the pressure sensor (external 4.7 kOhm pull-ups to 3V3).
I2C_ID = const(0)
I2C_SDA = const(4)
I2C_SCL = const(5)
I2C_FREQ = const(400_000)
I2C_TIMEOUT_US = const(2_000)  # bounded wait for every transfer

SENSOR = "bmp280"
SENSOR_ADDR = const(0x76)  # SDO to GND (0x77 with SDO to 3V3)

# Pump: logic-level N-MOSFET low-side switch with flyback diode.
PUMP_PIN = const(15)
PUMP_FREQ = const(20_000)
PUMP_INVERT = False
# Vent: normally-open solenoid valve (vents when unpowered = fail-safe).
VENT_PIN = const(13)  # PWM slice 6 (GP12/13); the pump's GP15 is slice 7: own frequencies
VENT_FREQ = const(2_000)
VENT_INVERT = False
VENT_NORMALLY_OPEN = True

LED_PIN = const(25)
BUZZER_PIN = const(16)  # optional piezo through a transistor

MAX_VACUUM_PA = const(70_000)  # the firmware's 71 kPa ceiling still applies
CONTROL_HZ = const(200)
WDT_TIMEOUT_MS = const(1_000)


def make_clock():
    from hwclock import HardwareClock

    return HardwareClock()

# Configuration and logs on the board's littlefs filesystem (mounted at /).
DATA_DIR = "/data"

# Factory unlock code for the service role, as salt and SHA-256(salt + code)
# (firmware/access.py): the code is 246810 on every board; change it at
# commissioning with 'passcode NEW' (then only its salted hash is on flash).
SERVICE_CODE_SALT = "5e1c0a7e3b9d2f41"
SERVICE_CODE_SHA256 = "7a536213c23027bb35377ddb1f04216653e0c710dd38ba729db31b23d246da32"
