# Board definition as the firmware sees it on the simulated board.
#
# Re-exports the real board definition the scenario names (pins, bus, sensor,
# limits are exactly those of that board) and supplies the virtual clock in
# place of the hardware timers and the data directory on the simulated flash
# (see below). The other substitutions: the sensor is the
# one the scenario wires to the bus (a board variant with another part), so
# SENSOR/SENSOR_ADDR name the emulated part; and a scenario's
# "declared_pump" replaces the pump's declaration (a variant with another
# pump).
#
# The pump's figures (PUMP_FREE_FLOW_ML_MIN, PUMP_MAX_VACUUM_PA) are the
# board file's declaration, a datasheet's, never the scenario's plant: the
# simulated pump, like a real one, does not do what its datasheet says, and
# the firmware must not learn the truth from anywhere a real board could not.
import simworld

_world = simworld.current()
_base = _world.board_module
for _name in dir(_base):
    if _name[:1] != "_" and _name.isupper():
        globals()[_name] = getattr(_base, _name)
SENSOR = _world.sensor_kind
SENSOR_ADDR = _world.sensor.address
# A board variant with another pump (scenario "declared_pump"): its
# datasheet's figures, as that variant's board file would declare them.
_dp = _world.scenario.get("declared_pump")
if _dp:
    PUMP_FREE_FLOW_ML_MIN = _dp["free_flow_ml_min"]
    PUMP_MAX_VACUUM_PA = _dp["max_vacuum_pa"]

# The simulated flash is mounted at /flash (the host's filesystem stays at /,
# where the firmware's modules are); the real board's data directory is
# placed inside it.
DATA_DIR = "/flash" + getattr(_base, "DATA_DIR", "/data")


def make_clock():
    return _world.clock
