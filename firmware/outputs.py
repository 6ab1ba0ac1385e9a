# Pump and vent outputs: the only code that drives the actuators.
#
# Vent is expressed as *opening* (0 = closed, 65535 = fully open) whatever the
# valve type; the board says whether the valve is normally open, and the coil
# drive is derived here. The safe state is pump off, vent open. It is applied
# on construction, so the outputs are safe from the first instant the firmware
# owns them (before that, the hardware holds them safe: gate pull-down on the
# pump MOSFET, normally-open valve unpowered). On a laser applicator board the
# safe state also has the laser and the rollers off (auxout.AuxOutputs, set
# as `aux` by channels.make_outputs), and safe() turns those off first.
from micropython import const

FULL = const(65535)


def _pwm(machine, pin, freq, duty, invert):
    # `invert` only when asked: the ESP32 port's PWM does not accept it.
    if invert:
        return machine.PWM(machine.Pin(pin), freq=freq, duty_u16=duty, invert=True)
    return machine.PWM(machine.Pin(pin), freq=freq, duty_u16=duty)


class Outputs:
    aux = None  # auxout.AuxOutputs of a laser applicator board
    # Vent linearisation from commissioning (set_vent_curve): an opening
    # between shut and fully open is driven at a duty past the valve's dead
    # zone, so the controller's opening means what it says. Default: none.
    _vent_lin = False
    _vent_dead = 0
    _vent_span16 = 4095

    def __init__(self, board, machine):
        self._no = board.VENT_NORMALLY_OPEN
        self._pump = _pwm(machine, board.PUMP_PIN, board.PUMP_FREQ, 0, board.PUMP_INVERT)
        coil = 0 if self._no else FULL
        self._vent = _pwm(machine, board.VENT_PIN, board.VENT_FREQ, coil, board.VENT_INVERT)
        self.pump_u16 = 0
        self.vent_u16 = FULL
        self.safe()

    def set(self, pump_u16, vent_u16):
        # Clamped here as a last line of defence; callers already clamp.
        if pump_u16 < 0:
            pump_u16 = 0
        elif pump_u16 > FULL:
            pump_u16 = FULL
        if vent_u16 < 0:
            vent_u16 = 0
        elif vent_u16 > FULL:
            vent_u16 = FULL
        d = vent_u16
        if self._vent_lin and 0 < d < FULL:  # (opening 0 and FULL stay shut and fully open)
            d = self._vent_dead + ((d >> 4) * self._vent_span16 >> 8)
        self._pump.duty_u16(pump_u16)
        self._vent.duty_u16(FULL - d if self._no else d)
        self.pump_u16 = pump_u16
        self.vent_u16 = vent_u16

    def set_vent_curve(self, dead_pm, full_pm):
        """The valve shut below dead_pm and fully open from full_pm (duty,
        permille); (0, 1000) = duty in proportion to the opening."""
        dead = FULL * dead_pm // 1000
        span = FULL * full_pm // 1000 - dead
        if span < 4096:  # a record this narrow is refused at commit; never divide the opening into nothing
            dead, span = 0, FULL
        self._vent_lin = dead != 0 or span != FULL
        self._vent_dead = dead
        self._vent_span16 = span >> 4

    def safe(self):
        """Laser and rollers off first (if any), then pump off, then vent
        open. Never raises."""
        if self.aux is not None:
            self.aux.safe()  # never raises
        try:
            self._pump.duty_u16(0)
        except Exception:  # noqa: BLE001 - the vent must still open
            pass
        try:
            self._vent.duty_u16(0 if self._no else FULL)
        except Exception:  # noqa: BLE001
            pass
        self.pump_u16 = 0
        self.vent_u16 = FULL

    def is_safe(self):
        return self.pump_u16 == 0 and self.vent_u16 == FULL and (self.aux is None or self.aux.is_safe())
