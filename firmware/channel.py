# One chamber: its sensor (on its own bus), calibration, supervisor,
# controller and outputs, built the same way for every channel of a board,
# channel 0 included (channels.make_channels; docs/architecture.md). Channel 0
# runs the session and its supervisor holds the device's alarms; on a
# multi-channel board the others' are ORed into it (multichannel.Channels).
#
# Each tick: check() samples the sensor and runs the supervisor; then
# regulate() (channel 0: the session gave its controller a target; channels
# 1..n: multichannel.Follower.drive(), the level the session names for them)
# or, while commissioning drives the outputs, set_outputs(). Both end in the
# supervisor's trip level: it holds even if the controller is wrong.
# check(), regulate() and set_outputs() run in the heap-locked tick:
# integers only, no allocation, small frames.
import safety
import sensor as sensor_mod
from drivers import make_sensor
from controller import MODE_REGULATE, Controller


def _bus(board, machine, index):
    """Channel `index`'s I2C bus: channel 0 on the board's I2C_* pins, the
    others as board.CHANNELS says; bus -1 is a bit-banged SoftI2C (a sensor
    with a fixed address needs a bus of its own)."""
    if index:
        _, _, bus, sda, scl = board.CHANNELS[index]
    else:
        bus, sda, scl = board.I2C_ID, board.I2C_SDA, board.I2C_SCL
    if bus < 0:
        return machine.SoftI2C(scl=machine.Pin(scl), sda=machine.Pin(sda), freq=board.I2C_FREQ, timeout=board.I2C_TIMEOUT_US)
    return machine.I2C(bus, scl=machine.Pin(scl), sda=machine.Pin(sda), freq=board.I2C_FREQ, timeout=board.I2C_TIMEOUT_US)


class Channel:
    def __init__(self, board, machine, index, out, period_ms):
        self.index = index
        self.sensor = make_sensor(board.SENSOR, _bus(board, machine, index), board.SENSOR_ADDR, getattr(board, "SENSOR_K", 64))
        # Absolute sensors zero themselves at boot (outputs safe = vented)
        # and follow drift only while idle and vented (sensor.AmbientReference).
        self._tracks_ambient = hasattr(self.sensor, "track_ambient")
        self.cal = sensor_mod.Calibration()
        self.cal.set(getattr(board, "CAL_OFFSET_PA", 0), getattr(board, "CAL_GAIN_PPM", 1_000_000))
        self.sup = safety.Supervisor(board.MAX_VACUUM_PA, period_ms)
        self.ctl = Controller(period_ms)
        self.out = out
        self.vacuum_pa = 0
        self.status = sensor_mod.BUS_ERROR
        self.failed_boot = False

    def begin(self):
        """Power-on self-test of the sensor; False if it does not answer
        (its supervisor reports it within the first ticks)."""
        try:
            self.sensor.begin()
        except OSError:
            self.failed_boot = True
        return not self.failed_boot

    # ---- the control tick -----------------------------------------------
    def check(self, idle):
        """Sample and check this channel; its supervisor's alarm bits."""
        st = self.sensor.sample()
        self.status = st
        if st == sensor_mod.OK:
            self.vacuum_pa = self.cal.apply(-self.sensor.gauge_pa)
            if self._tracks_ambient:
                self.sensor.track_ambient(idle and self.out.is_safe())
        ctl = self.ctl
        # Regulating = the controller holds a setpoint (not release, fault or
        # a vented off phase); the supervisor's regulation checks follow it.
        return self.sup.check(st, self.vacuum_pa, ctl.setpoint_pa, ctl.mode == MODE_REGULATE, self.out.pump_u16, self.out.vent_u16)

    def set_outputs(self, pump, vent):
        if self.vacuum_pa >= self.sup.trip_pa:  # the trip level holds even if the controller is wrong
            pump = 0
        self.out.set(pump, vent)

    def follow_now(self):
        """The controller's last outputs, between ticks (after it was turned
        off by a command): the trip level still applies."""
        self.set_outputs(self.ctl.pump_u16, self.ctl.vent_u16)

    def regulate(self):
        """The controller's step on this tick's vacuum, to the outputs
        (set_outputs() written out: one call less in every tick)."""
        ctl = self.ctl
        v = self.vacuum_pa
        ctl.update(v)
        pump = ctl.pump_u16
        if v >= self.sup.trip_pa:
            pump = 0
        self.out.set(pump, ctl.vent_u16)
