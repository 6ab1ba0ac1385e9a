# Board definition as the firmware sees it on the simulated board.
#
# Re-exports the real board definition the scenario names (pins, bus, sensor,
# limits are exactly those of that board) and supplies the virtual clock in
# place of the hardware timers. The one other substitution: the sensor is the
# one the scenario wires to the bus (a board variant with another part), so
# SENSOR/SENSOR_ADDR name the emulated part.
import simworld

_world = simworld.current()
_base = _world.board_module
for _name in dir(_base):
    if _name[:1] != "_" and _name.isupper():
        globals()[_name] = getattr(_base, _name)
SENSOR = _world.sensor_kind
SENSOR_ADDR = _world.sensor.address


def make_clock():
    return _world.clock
