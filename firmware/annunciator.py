# Local alarm signals: a buzzer and an alarm LED, if the board declares them
# (BUZZER_PIN, BUZZER_FREQ, ALARM_LED_PIN). Patterns by priority, in the
# spirit of IEC 60601-1-8: high = 10 pulses (3+2, 3+2) per 3.2 s and a fast
# flashing LED (2.5 Hz); medium = 3 pulses per 3.2 s and a slow flash
# (0.625 Hz); low = LED steady, no sound. Driven from the background loop
# (never the control tick) by uptime, in 100 ms slots of a 32-slot cycle.
#
# Cheap on every pass: a pattern is 32 bytes (one per slot; a 32-bit word
# would be a heap-allocated long int on a port with 31-bit small ints), and
# nothing is looked up unless the slot or a priority changed.
from micropython import const

_SLOT_MS = const(100)
_SLOTS = const(32)
_HALF = const(32768)


def _slots(spec):
    """Pattern bytes from a string of 32 '#' (on) and '.' (off)."""
    assert len(spec) == _SLOTS
    return bytes(1 if c == "#" else 0 for c in spec)


# index = priority (0 none, 1 low, 2 medium, 3 high)
_OFF = bytes(_SLOTS)
BUZZER_PATTERNS = (
    _OFF,
    _OFF,
    _slots("#.#.#..........................."),
    _slots("#.#.#..#.#......#.#.#..#.#......"),
)
LED_PATTERNS = (
    _OFF,
    _slots("################################"),
    _slots("########........########........"),
    _slots("##..##..##..##..##..##..##..##.."),
)


def slot_of(t_ms):
    return (t_ms // _SLOT_MS) % _SLOTS


class Annunciator:
    def __init__(self, board, machine):
        pin = getattr(board, "BUZZER_PIN", None)
        self._buzzer = None if pin is None else machine.PWM(machine.Pin(pin), freq=getattr(board, "BUZZER_FREQ", 2_700), duty_u16=0)
        pin = getattr(board, "ALARM_LED_PIN", None)
        self._led = None if pin is None else machine.Pin(pin, machine.Pin.OUT, value=0)
        self.buzzer_on = 0
        self.led_on = 0
        self._key = -1  # slot and priorities of the last update

    def update(self, t_ms, audible_priority, visual_priority):
        slot = slot_of(t_ms)
        key = (slot << 4) | (audible_priority << 2) | visual_priority
        if key == self._key:
            return
        self._key = key
        b = BUZZER_PATTERNS[audible_priority][slot]
        led = LED_PATTERNS[visual_priority][slot]
        if b != self.buzzer_on:
            self.buzzer_on = b
            if self._buzzer is not None:
                self._buzzer.duty_u16(_HALF if b else 0)
        if led != self.led_on:
            self.led_on = led
            if self._led is not None:
                self._led.value(led)
