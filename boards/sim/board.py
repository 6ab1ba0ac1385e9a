# Board definition as the firmware sees it on the simulated board.
#
# Re-exports the real board definition the scenario names (pins, bus, sensor,
# limits are exactly those of that board) and supplies the virtual clock in
# place of the hardware timers. This is the only substitution the firmware gets.
import simworld

_world = simworld.current()
_base = _world.board_module
for _name in dir(_base):
    if _name[:1] != "_" and _name.isupper():
        globals()[_name] = getattr(_base, _name)


def make_clock():
    return _world.clock
