# Emulated roller motor, laser source and applicator of a laser applicator
# board (boards/sim_laser.py), stepped by the world in lockstep with the
# vacuum physics (world.py calls step() every physics step).
#
# What the firmware sees is only what a real board shows it, at its pins:
# * roller motor: PWM drive -> speed with a dead band and a first-order
#   spin-up (a small geared DC motor); its Hall tachometer gives
#   TACH_HZ_FULL pulses per second at full speed as rising edges on
#   ROLLER_TACH_PIN (the handler of Pin.irq() is called per pulse, like a
#   soft IRQ between ticks);
# * laser: emits power = LASER_PWM_PIN's level while its supply switch
#   (LASER_SUPPLY_PIN) is on and its enable is high and, with a keep-alive
#   enable (LASER_EN_KEEPALIVE_MS), has seen a rising edge within that time
#   (a retriggerable monostable on the board); the emission monitor
#   (LASER_SENSE_PIN) reads 1 while it emits;
# * applicator: on the skin or lifted; its normally-open contact switch
#   (LASER_INTERLOCK_PIN, pulled up, closed = LASER_INTERLOCK_CLOSED) closes
#   on the skin. A lift opens the cup to the air: an extra leak on the plant
#   (Plant.extra_leak_l_min_at_10kpa), removed when it is put back.
#
# The switch is wired to the MCU only: the hardware interlock a real
# applicator also needs (the switch in series with the laser driver,
# docs/safety.md) is not modelled, so the tests judge the firmware's own
# interlock. Faults (scenario events): roller_stall (the rollers jam: no
# motion, no pulses), laser_stuck_on (the driver emits at full power
# whatever its enable and power input, while its supply is on: a shorted
# output stage), contact_lost (lift; value = the opening, L/min at 10 kPa;
# 0 = back on the skin), contact_switch_stuck (the switch reads closed
# whatever).
TACH_HZ_FULL = 200.0  # pulses/s at full duty (2 per revolution of a 6000 rpm motor before its gearbox)
DEAD_BAND = 0.08  # drive below which the motor does not turn
TAU_S = 0.06  # spin-up time constant
LIFT_L_MIN_AT_10KPA = 300.0  # a lifted applicator: its 60 mL cup vents in a few ms

FAULTS = ("roller_stall", "laser_stuck_on", "contact_lost", "contact_switch_stuck")
_FLAGS = {"roller_stall": "stalled", "laser_stuck_on": "laser_stuck", "contact_switch_stuck": "switch_stuck"}  # set/clear faults: their attribute
COLUMNS = ",roller_duty,roller_speed_pct,roller_tach,laser,laser_supply,contact_switch,skin_contact"


class AuxEmu:
    FAULTS = FAULTS
    COLUMNS = COLUMNS  # truth columns after the channels' (world.py)

    def __init__(self, world, board):
        self._world = world
        g = getattr
        self._roller_pin = g(board, "ROLLER_PIN", None)
        self._roller_inv = g(board, "ROLLER_INVERT", False)
        self._tach_pin = g(board, "ROLLER_TACH_PIN", None)
        self._en_pin = g(board, "LASER_EN_PIN", None)
        self._keepalive_us = g(board, "LASER_EN_KEEPALIVE_MS", 0) * 1000
        self._pwm_pin = g(board, "LASER_PWM_PIN", None)
        self._supply_pin = g(board, "LASER_SUPPLY_PIN", None)
        self._sense_pin = g(board, "LASER_SENSE_PIN", None)
        self._switch_pin = g(board, "LASER_INTERLOCK_PIN", None)
        self._closed_level = g(board, "LASER_INTERLOCK_CLOSED", 0)
        # state
        self.speed = 0.0  # fraction of full speed
        self._tach_acc = 0.0  # fraction of the next pulse
        self.pulses = 0
        self.roller_level = 0
        self.emitted = 0  # laser power 0..65535
        self.supply = 0
        self.on_skin = True
        self.stalled = False
        self.laser_stuck = False
        self.switch_stuck = False
        self._rises_seen = -1
        self._en_pin_obj = None
        self._last_rise_us = -(1 << 60)
        self._leak_before = 0.0
        self._last_us = 0

    # ---- faults ------------------------------------------------------------
    def apply(self, fault, value, plant):
        """A scenario event; returns True if it sets the fault, False if it clears it."""
        setting = value is None or value != 0
        if fault in _FLAGS:
            setattr(self, _FLAGS[fault], setting)
        elif fault == "contact_lost":
            if setting and self.on_skin:
                self._leak_before = plant.extra_leak_l_min_at_10kpa
                plant.extra_leak_l_min_at_10kpa = self._leak_before + (LIFT_L_MIN_AT_10KPA if value is None else float(value))
            elif not setting and not self.on_skin:
                plant.extra_leak_l_min_at_10kpa = self._leak_before
            self.on_skin = not setting
        self.drive_inputs()
        return setting

    # ---- pins ----------------------------------------------------------------
    def _pin(self, pin_id):
        return None if pin_id is None else self._world._pins.get(pin_id)

    def _level(self, pin_id):
        p = self._world._pwms.get(pin_id)
        return 0 if p is None else p.level()

    def drive_inputs(self):
        """Input pins as the hardware drives them (also right after the
        firmware creates one)."""
        p = self._pin(self._switch_pin)
        if p is not None:
            closed = self.on_skin or self.switch_stuck
            p._value = self._closed_level if closed else 1 - self._closed_level
        p = self._pin(self._sense_pin)
        if p is not None:
            p._value = 1 if self.emitted else 0

    # ---- physics ---------------------------------------------------------------
    def step(self, now_us):
        """At the start of a physics step (now_us): the rollers up to now,
        the laser from now on. Returns True when the emitted power changed
        (the world then writes a truth row at this ms)."""
        dt_s = (now_us - self._last_us) * 1e-6
        self._last_us = now_us
        self._roller(dt_s)
        before = self.emitted
        self._laser(now_us)
        self.drive_inputs()
        return self.emitted != before

    def _roller(self, dt_s):
        lvl = self._level(self._roller_pin)
        self.roller_level = lvl
        u = lvl / 65535.0
        target = 0.0 if self.stalled or u <= DEAD_BAND else (u - DEAD_BAND) / (1.0 - DEAD_BAND)
        if self.stalled:
            self.speed = 0.0
        else:
            k = dt_s / TAU_S
            self.speed += (target - self.speed) * (k if k < 1.0 else 1.0)
        if self._tach_pin is None:
            return
        self._tach_acc += self.speed * TACH_HZ_FULL * dt_s
        p = self._pin(self._tach_pin)
        while self._tach_acc >= 1.0:
            self._tach_acc -= 1.0
            self.pulses += 1
            if p is not None and p._irq_handler is not None and p._irq_trigger & p.IRQ_RISING:
                p._value = 1
                p._irq_handler(p)
                p._value = 0

    def _laser(self, now_us):
        en = self._pin(self._en_pin)
        if en is not self._en_pin_obj:  # created (or forgotten by a reset)
            self._en_pin_obj = en
            self._rises_seen = -1 if en is None else en._rises
        enabled = False
        if en is not None:
            if en._rises != self._rises_seen:
                self._rises_seen = en._rises
                self._last_rise_us = now_us
            enabled = en._value == 1 and (not self._keepalive_us or now_us - self._last_rise_us <= self._keepalive_us)
        sup = self._pin(self._supply_pin)
        self.supply = 1 if self._supply_pin is None else (0 if sup is None else sup._value)
        power = 65535 if self._pwm_pin is None else self._level(self._pwm_pin)
        if self.supply and self.laser_stuck:
            self.emitted = 65535
        elif self.supply and enabled:
            self.emitted = power
        else:
            self.emitted = 0

    # ---- ground truth ----------------------------------------------------------
    def truth(self):
        sw = self._pin(self._switch_pin)
        return ",%d,%d,%d,%d,%d,%d,%d" % (
            self.roller_level, int(self.speed * 100 + 0.5), self.pulses, self.emitted, self.supply,
            -1 if sw is None else (1 if sw._value == self._closed_level else 0), 1 if self.on_skin else 0)
