# A multi-channel board's outputs (multichannel.ChannelOutputs), in
# MicroPython with a recording PWM: safe() and the commissioned vent curve
# reach every channel, not only channel 0.
from multichannel import ChannelOutputs
from outputs import FULL


class _PWM:
    def __init__(self, pin, freq=0, duty_u16=0, invert=False):
        self.d = duty_u16

    def duty_u16(self, d=None):
        if d is not None:
            self.d = d
        return self.d


class _Machine:
    PWM = _PWM

    @staticmethod
    def Pin(p):
        return p


class _Board:
    PUMP_PIN, VENT_PIN = 2, 3
    PUMP_FREQ = VENT_FREQ = 1000
    PUMP_INVERT = VENT_INVERT = False
    VENT_NORMALLY_OPEN = False
    CHANNELS = ((2, 3, 0, 4, 5), (6, 7, 1, 8, 9), (10, 11, -1, 12, 13))


def _all(out):
    return (out,) + out.extra


def test_the_vent_curve_reaches_every_channel():
    out = ChannelOutputs(_Board, _Machine)
    out.set_vent_curve(300, 800)  # commissioning's record of the board's one vent part
    dead = FULL * 300 // 1000
    for o in _all(out):
        o.set(0, 5_000)  # a small opening: driven past the dead zone
        assert o._vent.d == dead + ((5_000 >> 4) * ((FULL * 800 // 1000 - dead) >> 4) >> 8), o._vent.d
        o.set(0, FULL)
        assert o._vent.d == FULL
    out.set_vent_curve(0, 1000)  # back to duty in proportion to the opening
    for o in _all(out):
        o.set(0, 5_000)
        assert o._vent.d == 5_000


def test_safe_covers_every_channel():
    out = ChannelOutputs(_Board, _Machine)
    for o in _all(out):
        o.set(FULL, 0)
    out.safe()
    for o in _all(out):
        assert o._pump.d == 0 and o._vent.d == FULL
