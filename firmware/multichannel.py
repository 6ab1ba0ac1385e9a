# What only a multi-channel board does with its extra pump/vent/sensor
# channels (imported by channels.py only for a board that has them).
#
# A board with several chambers declares board.CHANNELS: one tuple
# (pump pin, vent pin, I2C bus, SDA pin, SCL pin) per channel, the first
# being the board's PUMP_PIN/VENT_PIN/I2C_* channel the device already runs.
# I2C bus -1 is a bit-banged machine.SoftI2C on those pins (a sensor with a
# fixed address needs a bus of its own). A board without CHANNELS has one
# channel and none of this runs.
#
# Each channel, the first included, is a channel.Channel with its own sensor,
# calibration, controller, supervisor and outputs; every tick each extra one
# is sampled and checked like the first channel, and driven to the level the
# session names for it (Session.channel_level).
# Any channel's stopping alarm makes every channel safe (the device's
# outputs are a ChannelOutputs whose safe() covers all of them).
# check()/drive() run in the heap-locked tick: small frames, no allocation.
from micropython import const

from channel import Channel
from outputs import Outputs

_VENTED = const(-1)


class _Pins:
    """One channel's pins, shaped like the board attributes Outputs reads."""

    def __init__(self, board, spec):
        self.PUMP_PIN = spec[0]
        self.VENT_PIN = spec[1]
        self.PUMP_FREQ = board.PUMP_FREQ
        self.PUMP_INVERT = board.PUMP_INVERT
        self.VENT_FREQ = board.VENT_FREQ
        self.VENT_INVERT = board.VENT_INVERT
        self.VENT_NORMALLY_OPEN = board.VENT_NORMALLY_OPEN


class ChannelOutputs(Outputs):
    """The first channel's outputs; safe() makes every channel safe."""

    def __init__(self, board, machine):
        # The extra channels first: Outputs.__init__ calls safe().
        self.extra = tuple(Outputs(_Pins(board, spec), machine) for spec in board.CHANNELS[1:])
        Outputs.__init__(self, board, machine)

    def safe(self):
        Outputs.safe(self)
        for o in self.extra:
            o.safe()

    def set_vent_curve(self, dead_pm, full_pm):
        # Every channel's valve is the same part (the board declares one vent
        # frequency and polarity for all): commissioning measures channel
        # 0's, and its dead zone is every channel's (uncorrected, a blocked
        # line behind a dead-zone vent reads as a stuck pump).
        Outputs.set_vent_curve(self, dead_pm, full_pm)
        for o in self.extra:
            o.set_vent_curve(dead_pm, full_pm)


class Follower(Channel):
    """Channel 1..n: follows the level the session names for it."""

    def __init__(self, board, machine, index, out, period_ms):
        Channel.__init__(self, board, machine, index, out, period_ms)
        self.level = _VENTED  # the level last given to the controller

    def drive(self, level):
        """Follow `level` (Pa, or -1: pump off, vent open): a new target only
        when it changes, then regulate()."""
        if level < 0:
            self._vent()
        elif level != self.level:
            if self.level < 0:
                self.sup.phase_start()  # a fresh pull-down is not a leak
            self.ctl.set_target(level, 0, self.vacuum_pa)
            self.level = level
        self.regulate()

    def vent_now(self):
        """Pump off and vent open now, between ticks (the trip level still
        applies); the next drive() finds the level already vented."""
        self._vent()
        self.follow_now()

    def _vent(self):
        if self.level >= 0:
            self.ctl.off()
            self.level = _VENTED


class Channels:
    """The channels of a multi-channel board (channel.Channel each, channel
    0 first): what the device does with them beyond channel 0."""

    def __init__(self, channels):
        self.all = channels
        self.extra = channels[1:]

    # ---- between ticks --------------------------------------------------
    def start(self, program):
        for ch in self.extra:
            ch.sup.session_start()
            ch.sup.set_program(program)  # the host heartbeat is the first channel's

    def clear(self):
        for ch in self.extra:
            ch.sup.clear()

    def alarm_text(self, names):
        """'2:none,3:sensor': which extra channel raised what (the device's
        alarms include them)."""
        return ",".join("%d:%s" % (ch.index + 1, names(ch.sup.alarms)) for ch in self.extra)

    def status_text(self):
        """Every channel's vacuum and setpoint."""
        return "ch_vacuum_pa=%s ch_setpoint_pa=%s" % (",".join(str(ch.vacuum_pa) for ch in self.all), ",".join(str(ch.ctl.setpoint_pa) for ch in self.all))

    # ---- the control tick -----------------------------------------------
    def check(self, idle):
        """OR of every extra channel's alarm bits."""
        a = 0
        for ch in self.extra:
            a |= ch.check(idle)
        return a

    def drive(self, session):
        for ch in self.extra:
            ch.drive(session.channel_level(ch.index))

    def follow_now(self, session):
        """Between ticks, after a pause or a stop: every extra channel the
        session now vents stops pumping in this pass, as channel 0 does
        (Channel.follow_now), not a period later."""
        for ch in self.extra:
            if session.channel_level(ch.index) < 0:
                ch.vent_now()

    def put_tel(self, t):
        """Every channel's vacuum, no allocation."""
        t.put(b" ch_vacuum_pa=")
        sep = False
        for ch in self.all:
            if sep:
                t.put(b",")
            t.put_int(ch.vacuum_pa)
            sep = True
