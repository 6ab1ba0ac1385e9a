# Espressif ESP32-DevKitC (ESP32-WROOM-32, no PSRAM) board definition, with a
# Honeywell MPRLS.
#
# Deployed to the device as /board.py. GPIO numbers are the ESP32's. Pins
# chosen to avoid the strapping pins (0, 2, 5, 12, 15), the flash pins (6-11)
# and the input-only pins (34-39). The ESP32 port's PWM has no `invert`
# argument: keep PUMP_INVERT/VENT_INVERT False (the firmware only passes
# invert when a board asks for it). The DevKitC has no user LED.
# Wiring: docs/wiring.md.
from micropython import const

NAME = "esp32_devkitc"
MCU = "esp32"
# Usable MicroPython heap on an ESP32 without PSRAM: 111 936 B. Since
# MicroPython 1.22 the esp32 port starts with one 64 KB heap area
# (gc.mem_free() after boot shows only that) and adds one more from the
# ESP-IDF heap on the first allocation that needs it: "after the heap is
# grown one time the size is 111936 bytes, with about 40k left for the IDF"
# (micropython PR #13219). 1.13 gave 111 168 B in one area (issue #7043).
HEAP_BYTES = const(111_936)

# I2C bus to the pressure sensor (the MPRLS breakout has 10 kOhm pull-ups;
# add 4.7 kOhm to 3V3 for a bare part).
I2C_ID = const(0)
I2C_SDA = const(21)
I2C_SCL = const(22)
I2C_FREQ = const(400_000)
I2C_TIMEOUT_US = const(2_000)

SENSOR = "mprls"
SENSOR_ADDR = const(0x18)

PUMP_PIN = const(25)
PUMP_FREQ = const(20_000)
PUMP_INVERT = False
VENT_PIN = const(26)
VENT_FREQ = const(2_000)
VENT_INVERT = False
VENT_NORMALLY_OPEN = True

BUZZER_PIN = const(27)  # optional

MAX_VACUUM_PA = const(70_000)
CONTROL_HZ = const(100)
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
