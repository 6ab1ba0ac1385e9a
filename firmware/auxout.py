# The roller motor and the laser source of a laser applicator board, and the
# inputs that watch them: imported by channels.py only on a board that
# declares them (a board without them never holds this code).
#
# The board definition names (docs/programs.md, "Laser applicator boards"):
#   ROLLER_PIN, ROLLER_FREQ, ROLLER_INVERT      roller motor PWM (MOSFET)
#   ROLLER_TACH_PIN, ROLLER_TACH_HZ             optional tachometer (Hall) input
#                                               and its pulse rate at full duty
#   LASER_EN_PIN                                laser driver enable (high = on)
#   LASER_EN_KEEPALIVE_MS                       optional: the enable passes through
#                                               a retriggerable monostable, so it
#                                               must see a rising edge this often
#   LASER_PWM_PIN, LASER_PWM_FREQ               optional power modulation
#   LASER_SUPPLY_PIN                            optional switch in the driver's
#                                               supply: the second, independent cut
#   LASER_SENSE_PIN                             optional emission monitor (the
#                                               diode's monitor photodiode through
#                                               a comparator; high = emitting)
#   LASER_INTERLOCK_PIN, LASER_INTERLOCK_CLOSED optional applicator contact switch
#                                               and the level it reads when closed
#
# Everything here runs in the heap-locked control tick except the
# constructor: no allocation, integers only. safe() never raises.
from micropython import const

_COUNT_MASK = const(0x3FFFFFFF)  # tachometer count wraps below 2**30


def _pwm(machine, pin, freq, invert):
    if invert:  # (only when asked: the ESP32 port's PWM does not accept it)
        return machine.PWM(machine.Pin(pin), freq=freq, duty_u16=0, invert=True)
    return machine.PWM(machine.Pin(pin), freq=freq, duty_u16=0)


class AuxOutputs:
    def __init__(self, board, machine):
        Pin = machine.Pin
        g = getattr
        # The laser first: supply and enable low before anything else exists.
        pin = g(board, "LASER_SUPPLY_PIN", None)
        self._supply = None if pin is None else Pin(pin, Pin.OUT, value=0)
        pin = g(board, "LASER_EN_PIN", None)
        self._en = None if pin is None else Pin(pin, Pin.OUT, value=0)
        pin = g(board, "LASER_PWM_PIN", None)
        self._power = None if pin is None else _pwm(machine, pin, board.LASER_PWM_FREQ, False)
        pin = g(board, "ROLLER_PIN", None)
        self._roller = None if pin is None else _pwm(machine, pin, board.ROLLER_FREQ, g(board, "ROLLER_INVERT", False))
        self.has_laser = self._en is not None
        self.has_rollers = self._roller is not None
        self.has_power = self._power is not None
        self.keepalive = g(board, "LASER_EN_KEEPALIVE_MS", 0) > 0
        pin = g(board, "LASER_INTERLOCK_PIN", None)
        self._switch = None if pin is None else Pin(pin, Pin.IN, Pin.PULL_UP)
        self._closed_level = g(board, "LASER_INTERLOCK_CLOSED", 0)
        pin = g(board, "LASER_SENSE_PIN", None)
        self._sense = None if pin is None else Pin(pin, Pin.IN, Pin.PULL_DOWN)
        self.has_sense = self._sense is not None
        self.has_switch = self._switch is not None
        # Tachometer: pulses counted by a pin interrupt (a soft IRQ on rp2:
        # one small-int increment, nothing allocated).
        self.pulses = 0
        pin = g(board, "ROLLER_TACH_PIN", None)
        self.tach_hz = g(board, "ROLLER_TACH_HZ", 0) if pin is not None else 0
        self._tach = None
        if pin is not None:
            self._tach = Pin(pin, Pin.IN, Pin.PULL_UP)
            self._tach.irq(handler=self._pulse, trigger=Pin.IRQ_RISING)
        self.laser_u16 = 0  # commanded laser power; 0 = off
        self.armed = False  # laser supply switched on
        self.roller_u16 = 0
        self.safe()

    def applicator(self, period_ms):
        """The interlock that drives these (laser.Applicator); the laser
        programs (laser_programs.py) join the program table with it."""
        import programs
        from laser import Applicator
        from laser_programs import PROGRAMS

        programs.extend(PROGRAMS)
        return Applicator(self, period_ms)

    def _pulse(self, pin):
        self.pulses = (self.pulses + 1) & _COUNT_MASK

    # ---- outputs ----------------------------------------------------------
    def laser_off(self):
        """Enable low first, then the power to zero. Never raises."""
        self.laser_u16 = 0
        try:
            if self._en is not None:
                self._en.value(0)
        except Exception:  # noqa: BLE001 - the power must still go to zero
            pass
        try:
            if self._power is not None:
                self._power.duty_u16(0)
        except Exception:  # noqa: BLE001
            pass

    def laser_on(self, power_u16):
        """Emit at power_u16 (the supply must be armed). With a keep-alive
        enable, each call gives the monostable its rising edge: a loop that
        stops calling (a hang) turns the laser off in LASER_EN_KEEPALIVE_MS."""
        if self._power is not None:
            self._power.duty_u16(power_u16)
        en = self._en
        if self.keepalive:
            en.value(0)
        en.value(1)
        self.laser_u16 = power_u16

    def arm(self, on):
        """Switch the laser driver's supply (the second cut)."""
        self.armed = on
        if self._supply is not None:
            self._supply.value(1 if on else 0)

    def set_roller(self, duty_u16):
        if duty_u16 != self.roller_u16:
            self.roller_u16 = duty_u16
            self._roller.duty_u16(duty_u16)

    def safe(self):
        """Laser off (enable, power, supply), then rollers off. Never raises."""
        self.laser_off()
        self.armed = False
        try:
            if self._supply is not None:
                self._supply.value(0)
        except Exception:  # noqa: BLE001 - the rollers must still stop
            pass
        self.roller_u16 = 0
        try:
            if self._roller is not None:
                self._roller.duty_u16(0)
        except Exception:  # noqa: BLE001
            pass

    def is_safe(self):
        return self.laser_u16 == 0 and not self.armed and self.roller_u16 == 0

    # ---- inputs -----------------------------------------------------------
    def switch_closed(self):
        """The applicator's contact switch reads closed (True without one)."""
        return self._switch is None or self._switch.value() == self._closed_level

    def emitting(self):
        """The emission monitor sees light (False without one)."""
        return self._sense is not None and self._sense.value() == 1
