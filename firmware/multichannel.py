# The extra pump/vent/sensor channels of a multi-channel board (imported by
# channels.py only for a board that has them).
#
# A board with several chambers declares board.CHANNELS: one tuple
# (pump pin, vent pin, I2C bus, SDA pin, SCL pin) per channel, the first
# being the board's PUMP_PIN/VENT_PIN/I2C_* channel the device already runs.
# I2C bus -1 is a bit-banged machine.SoftI2C on those pins (a sensor with a
# fixed address needs a bus of its own). A board without CHANNELS has one
# channel and none of this runs.
#
# Each extra channel has its own sensor, calibration, controller, supervisor
# and outputs; every tick it is sampled and checked like the first channel,
# and driven to the level the session names for it (Session.channel_level).
# Any channel's stopping alarm makes every channel safe (the device's
# outputs are a ChannelOutputs whose safe() covers all of them).
# check()/drive() run in the heap-locked tick: small frames, no allocation.
from micropython import const

import safety
import sensor as sensor_mod
from drivers import make_sensor
from controller import MODE_REGULATE, Controller
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


def _bus(board, machine, spec):
    _, _, bus, sda, scl = spec
    if bus < 0:
        return machine.SoftI2C(scl=machine.Pin(scl), sda=machine.Pin(sda), freq=board.I2C_FREQ, timeout=board.I2C_TIMEOUT_US)
    return machine.I2C(bus, scl=machine.Pin(scl), sda=machine.Pin(sda), freq=board.I2C_FREQ, timeout=board.I2C_TIMEOUT_US)


class Channel:
    def __init__(self, board, machine, index, out, period_ms):
        self.index = index
        spec = board.CHANNELS[index]
        self.sensor = make_sensor(board.SENSOR, _bus(board, machine, spec), board.SENSOR_ADDR, getattr(board, "SENSOR_K", 64))
        self._tracks_ambient = hasattr(self.sensor, "track_ambient")
        self.cal = sensor_mod.Calibration()
        self.cal.set(getattr(board, "CAL_OFFSET_PA", 0), getattr(board, "CAL_GAIN_PPM", 1_000_000))
        self.sup = safety.Supervisor(board.MAX_VACUUM_PA, period_ms)
        self.ctl = Controller(period_ms)
        self.out = out
        self.vacuum_pa = 0
        self.status = sensor_mod.BUS_ERROR
        self.level = _VENTED
        try:
            self.sensor.begin()
        except OSError:
            pass  # the supervisor reports it within the first ticks

    def check(self, idle):
        """Sample and check this channel; its alarm bits."""
        st = self.sensor.sample()
        self.status = st
        if st == sensor_mod.OK:
            self.vacuum_pa = self.cal.apply(-self.sensor.gauge_pa)
            if self._tracks_ambient:
                self.sensor.track_ambient(idle and self.out.is_safe())
        ctl = self.ctl
        return self.sup.check(st, self.vacuum_pa, ctl.setpoint_pa, ctl.mode == MODE_REGULATE, self.out.pump_u16, self.out.vent_u16)

    def drive(self, level):
        ctl = self.ctl
        v = self.vacuum_pa
        if level < 0:
            if self.level >= 0:
                ctl.off()
                self.level = _VENTED
        elif level != self.level:
            if self.level < 0:
                self.sup.phase_start()  # a fresh pull-down is not a leak
            ctl.set_target(level, 0, v)
            self.level = level
        ctl.update(v)
        pump = ctl.pump_u16
        if v >= self.sup.trip_pa:  # the trip level holds even if the controller is wrong
            pump = 0
        self.out.set(pump, ctl.vent_u16)


class Channels:
    """Every channel after the first."""

    def __init__(self, board, machine, outputs, period_ms):
        self.all = tuple(Channel(board, machine, i, outputs.extra[i - 1], period_ms) for i in range(1, len(board.CHANNELS)))

    # ---- between ticks --------------------------------------------------
    def start(self, program):
        for ch in self.all:
            ch.sup.session_start()
            ch.sup.set_program(program)  # the host heartbeat is the first channel's

    def clear(self):
        for ch in self.all:
            ch.sup.clear()

    def alarm_text(self, names):
        """'2:none,3:sensor': which extra channel raised what (the device's
        alarms include them)."""
        return ",".join("%d:%s" % (ch.index + 1, names(ch.sup.alarms)) for ch in self.all)

    def status_text(self, vacuum_pa, setpoint_pa):
        """Every channel's vacuum and setpoint, the first channel's given."""
        return "ch_vacuum_pa=%d,%s ch_setpoint_pa=%d,%s" % (
            vacuum_pa, ",".join(str(ch.vacuum_pa) for ch in self.all), setpoint_pa, ",".join(str(ch.ctl.setpoint_pa) for ch in self.all))

    # ---- the control tick -----------------------------------------------
    def check(self, idle):
        """OR of every extra channel's alarm bits."""
        a = 0
        for ch in self.all:
            a |= ch.check(idle)
        return a

    def drive(self, session):
        for ch in self.all:
            ch.drive(session.channel_level(ch.index))

    def put_tel(self, t, vacuum_pa):
        """Every channel's vacuum (the first channel's given), no allocation."""
        t.put(b" ch_vacuum_pa=")
        t.put_int(vacuum_pa)
        for ch in self.all:
            t.put(b",")
            t.put_int(ch.vacuum_pa)
