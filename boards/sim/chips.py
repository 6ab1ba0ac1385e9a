# What the MCUs the boards use can do with their pins, as MicroPython's
# ports drive them: the emulated `machine` (machine.py) refuses what a chip
# cannot do, and check_board() reads a board definition against the same
# facts (hil_tests/test_boards.py runs it on every boards/*.py). Runs under
# MicroPython and CPython.
#
# Sources (MicroPython 1.29, read, not copied): ports/rp2/machine_pwm.c and
# machine_i2c.c, ports/esp32/machine_pwm.c, machine_i2c.c and machine_pin.c;
# the RP2040 and ESP32 datasheets for the pin maps.

# ---- RP2040 / RP2350 (QFN-60, GPIO 0..29): same PWM and I2C maps ----------
RP2_GPIOS = tuple(range(30))


def rp2_pwm_slice(pin):
    """GPIO 2n and 2n+1 are channels A and B of slice n mod 8: one counter,
    so one frequency for both (pwm_gpio_to_slice_num)."""
    return (pin >> 1) & 7


def rp2_i2c_pin_ok(bus, pin, sda):
    """I2C0/I2C1 alternate in pairs of pins: SDA even, SCL odd, bus = bit 1
    of the pin number (IS_VALID_SDA/IS_VALID_SCL in machine_i2c.c)."""
    return bus in (0, 1) and 0 <= pin <= 29 and (pin & 1) == (0 if sda else 1) and ((pin & 2) >> 1) == bus


# ---- ESP32 (ESP32-WROOM-32: GPIO 0..39) -------------------------------------
ESP32_GPIOS = tuple(p for p in range(40) if p not in (20, 24, 28, 29, 30, 31))
ESP32_INPUT_ONLY = (34, 35, 36, 37, 38, 39)
ESP32_FLASH = (6, 7, 8, 9, 10, 11)  # the module's SPI flash: never usable
ESP32_STRAPPING = (0, 2, 5, 12, 15)  # sampled at reset: an output there can stop the boot
ESP32_CONSOLE = (1, 3)  # UART0 TX/RX: the REPL and the serial protocol on a DevKitC
# LEDC: two speed modes of 8 channels and 4 timers each; one timer per
# frequency; the duty resolution a timer gets is the largest that divides its
# 80 MHz APB clock (capped at the 16 bits of duty_u16); 1 Hz .. 40 MHz.
ESP32_LEDC_MODES = 2
ESP32_LEDC_CHANNELS = 8
ESP32_LEDC_TIMERS = 4
ESP32_LEDC_CLOCK_HZ = 80_000_000
ESP32_PWM_MAX_HZ = 40_000_000


def esp32_duty_bits(freq):
    """Duty resolution of an LEDC timer at freq (ledc_find_suitable_duty_resolution)."""
    div = (ESP32_LEDC_CLOCK_HZ + freq // 2) // freq
    bits = 0
    while div > 1:
        div >>= 1
        bits += 1
    return 16 if bits > 16 else (bits if bits > 0 else 1)


def rp2_pwm_top(freq, sys_hz=125_000_000):
    """The slice's wrap value at freq with divider 1 (most resolution), or
    None if the divider must be > 1 (low frequencies: top 65534)."""
    top = (sys_hz + freq // 2) // freq - 1
    return top if top < 65534 else 65534


# ---- per MCU, for the emulated machine --------------------------------------
# (output pins usable for PWM, PWM frequency range, PWM takes `invert`)
MCUS = {
    "rp2040": {"pwm_pins": RP2_GPIOS, "pwm_hz": (8, 62_500_000), "invert": True, "cpu_hz": 125_000_000, "gpios": RP2_GPIOS},
    "rp2350": {"pwm_pins": RP2_GPIOS, "pwm_hz": (8, 75_000_000), "invert": True, "cpu_hz": 150_000_000, "gpios": RP2_GPIOS},
    # The ESP32 port's PWM has no `invert` before MicroPython 1.25 (micropython issue #16824).
    "esp32": {"pwm_pins": tuple(p for p in ESP32_GPIOS if p not in ESP32_INPUT_ONLY and p not in ESP32_FLASH),
              "pwm_hz": (1, ESP32_PWM_MAX_HZ), "invert": False, "cpu_hz": 160_000_000, "gpios": ESP32_GPIOS},
}


def is_rp2(mcu):
    return mcu in ("rp2040", "rp2350")


# ---- board check ------------------------------------------------------------
def _get(b, name, default=None):
    return b.get(name, default) if isinstance(b, dict) else getattr(b, name, default)


def check_board(b):
    """Problems of a board definition (a module or a dict of its names)
    against its MCU: pins that do not exist or cannot drive an output, I2C
    pins the bus cannot use, two PWM frequencies on one RP2040 slice, more
    LEDC timers or channels than an ESP32 has. [] if none."""
    problems = []
    mcu = _get(b, "MCU")
    chip = MCUS.get(mcu)
    if chip is None:
        return ["MCU %r is not one of %s" % (mcu, ", ".join(sorted(MCUS)))]
    name = _get(b, "NAME", "?")
    # Every PWM output with its frequency: pump, vent, buzzer, each channel's.
    pwms = []
    for role, pin_name, freq_name in (("pump", "PUMP_PIN", "PUMP_FREQ"), ("vent", "VENT_PIN", "VENT_FREQ"), ("buzzer", "BUZZER_PIN", "BUZZER_FREQ")):
        pin = _get(b, pin_name)
        if pin is not None:
            pwms.append((role, pin, _get(b, freq_name, 2_700 if role == "buzzer" else None)))
    buses = [(_get(b, "I2C_ID"), _get(b, "I2C_SDA"), _get(b, "I2C_SCL"), "sensor")]
    for i, ch in enumerate(_get(b, "CHANNELS", ())[1:]):
        pump, vent, bus, sda, scl = ch
        pwms.append(("channel %d pump" % (i + 2), pump, _get(b, "PUMP_FREQ")))
        pwms.append(("channel %d vent" % (i + 2), vent, _get(b, "VENT_FREQ")))
        buses.append((bus, sda, scl, "channel %d" % (i + 2)))
    outputs = [(role, pin) for role, pin, _ in pwms]
    led = _get(b, "ALARM_LED_PIN")
    if led is not None:
        outputs.append(("alarm LED", led))
    used = {}
    bus_pins = [("I2C%s SDA" % (b if b is None or b >= 0 else "(soft)"), s) for b, s, _, _ in buses]
    bus_pins += [("I2C%s SCL" % (b if b is None or b >= 0 else "(soft)"), c) for b, _, c, _ in buses]
    for role, pin in outputs + bus_pins:  # a bus's pins may serve several sensors
        if pin in used and used[pin] != role:
            problems.append("%s: GPIO %d is both %s and %s" % (name, pin, used[pin], role))
        used[pin] = role
    for role, pin in outputs:
        if pin not in chip["gpios"]:
            problems.append("%s: %s on GPIO %d, which the %s does not have" % (name, role, pin, mcu))
        elif mcu == "esp32" and pin in ESP32_INPUT_ONLY:
            problems.append("%s: %s on GPIO %d, an input-only pin of the ESP32" % (name, role, pin))
        elif mcu == "esp32" and pin in ESP32_FLASH:
            problems.append("%s: %s on GPIO %d, wired to the module's flash" % (name, role, pin))
        elif mcu == "esp32" and pin in ESP32_CONSOLE:
            problems.append("%s: %s on GPIO %d, the console UART's pin" % (name, role, pin))
        elif mcu == "esp32" and pin in ESP32_STRAPPING:
            problems.append("%s: %s on GPIO %d, a strapping pin (the boot mode depends on its level)" % (name, role, pin))
    lo, hi = chip["pwm_hz"]
    for role, pin, freq in pwms:
        if freq is None or not lo <= freq <= hi:
            problems.append("%s: %s PWM at %r Hz, outside %d..%d Hz" % (name, role, freq, lo, hi))
    if is_rp2(mcu):
        slices = {}
        for role, pin, freq in pwms:
            sl = rp2_pwm_slice(pin)
            if sl in slices and slices[sl][1] != freq:
                other, f = slices[sl]
                problems.append("%s: %s (GPIO %d, %d Hz) and %s (%d Hz) share PWM slice %d, which has one frequency" % (
                    name, role, pin, freq, other, f, sl))
            slices.setdefault(sl, (role, freq))
        for bus, sda, scl, what in buses:
            if bus is None or bus < 0:
                continue  # SoftI2C: any two GPIOs
            if not rp2_i2c_pin_ok(bus, sda, True):
                problems.append("%s: %s SDA on GPIO %s is not an SDA pin of I2C%s" % (name, what, sda, bus))
            if not rp2_i2c_pin_ok(bus, scl, False):
                problems.append("%s: %s SCL on GPIO %s is not an SCL pin of I2C%s" % (name, what, scl, bus))
    elif mcu == "esp32":
        freqs = []
        for _, _, f in pwms:
            if f not in freqs:
                freqs.append(f)
        if len(freqs) > ESP32_LEDC_MODES * ESP32_LEDC_TIMERS:
            problems.append("%s: %d PWM frequencies, the ESP32 has %d LEDC timers" % (name, len(freqs), ESP32_LEDC_MODES * ESP32_LEDC_TIMERS))
        if len(pwms) > ESP32_LEDC_MODES * ESP32_LEDC_CHANNELS:
            problems.append("%s: %d PWM outputs, the ESP32 has %d LEDC channels" % (name, len(pwms), ESP32_LEDC_MODES * ESP32_LEDC_CHANNELS))
        for bus, sda, scl, what in buses:
            if bus not in (0, 1) and not (bus is not None and bus < 0):
                problems.append("%s: %s on I2C%s, the ESP32 has I2C0 and I2C1" % (name, what, bus))
            for role, pin in (("SDA", sda), ("SCL", scl)):
                if pin not in chip["pwm_pins"]:
                    problems.append("%s: %s %s on GPIO %s, which cannot drive an open-drain output" % (name, what, role, pin))
    return problems
