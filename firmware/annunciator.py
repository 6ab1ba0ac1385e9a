# Local alarm signals: a buzzer and an alarm LED, if the board declares them
# (BUZZER_PIN, BUZZER_FREQ, ALARM_LED_PIN). Patterns by priority, in the
# spirit of IEC 60601-1-8: high = 10 pulses (3+2, 3+2) per 3.2 s and a fast
# flashing LED (2.5 Hz); medium = 3 pulses per 3.2 s and a slow flash
# (0.625 Hz); low = LED steady, no sound. Driven from the background loop
# (never the control tick) by uptime, in 100 ms slots of a 32-slot cycle.
from micropython import const

_SLOT_MS = const(100)
_SLOTS = const(32)
_HALF = const(32768)
# bit k = slot k on; index = priority (0 none, 1 low, 2 medium, 3 high)
BUZZER_PATTERNS = (0, 0, 0b10101, (0b1010010101 << 16) | 0b1010010101)
LED_PATTERNS = (0, 0xFFFFFFFF, 0x00FF00FF, 0x33333333)


def slot_on(pattern, t_ms):
    return (pattern >> ((t_ms // _SLOT_MS) % _SLOTS)) & 1


class Annunciator:
    def __init__(self, board, machine):
        pin = getattr(board, "BUZZER_PIN", None)
        self._buzzer = None if pin is None else machine.PWM(machine.Pin(pin), freq=getattr(board, "BUZZER_FREQ", 2_700), duty_u16=0)
        pin = getattr(board, "ALARM_LED_PIN", None)
        self._led = None if pin is None else machine.Pin(pin, machine.Pin.OUT, value=0)
        self.buzzer_on = 0
        self.led_on = 0

    def update(self, t_ms, audible_priority, visual_priority):
        b = slot_on(BUZZER_PATTERNS[audible_priority], t_ms)
        led = slot_on(LED_PATTERNS[visual_priority], t_ms)
        if b != self.buzzer_on:
            self.buzzer_on = b
            if self._buzzer is not None:
                self._buzzer.duty_u16(_HALF if b else 0)
        if led != self.led_on:
            self.led_on = led
            if self._led is not None:
                self._led.value(led)
