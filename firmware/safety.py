# Safety supervisor: hard limits and fault detection, independent of the
# controller. It sees the measured vacuum and the outputs the controller
# proposes, and may only make them safer. Allocation-free (control tick).
from micropython import const

# Compiled-in absolute ceiling: 0.7 atm below ambient (domain.md). No board,
# command or configuration can raise it; a board may only lower it.
ABS_MAX_VACUUM_PA = const(71_000)
# Trip margin above the highest setpoint of the session.
_TRIP_MARGIN_MIN_PA = const(3_000)
_TRIP_MARGIN_DIV = const(5)  # 20 % of setpoint
# Sensor: consecutive failed samples before the fault (tick count).
_SENSOR_FAULT_TICKS = const(4)

# Alarm bits.
A_OVERVAC = const(1)  # vacuum above the trip level
A_SENSOR = const(2)  # sensor bus error, stale or implausible
A_INTERNAL = const(4)  # firmware exception in the control path

ALARM_NAMES = ((A_OVERVAC, "overvacuum"), (A_SENSOR, "sensor"), (A_INTERNAL, "internal"))


class Supervisor:
    def __init__(self, board_max_pa):
        self.ceiling_pa = board_max_pa if board_max_pa < ABS_MAX_VACUUM_PA else ABS_MAX_VACUUM_PA
        self.alarms = 0  # latched until cleared by command
        self.trip_pa = self.ceiling_pa
        self._sensor_bad = 0
        self._peak_sp = 0

    def session_start(self):
        self._peak_sp = 0

    def trip_level(self, setpoint_pa):
        """Vacuum above which the pump is cut and the vent opened at once."""
        if setpoint_pa > self._peak_sp:
            self._peak_sp = setpoint_pa
        sp = self._peak_sp
        m = sp // _TRIP_MARGIN_DIV
        if m < _TRIP_MARGIN_MIN_PA:
            m = _TRIP_MARGIN_MIN_PA
        t = sp + m
        return t if t < self.ceiling_pa else self.ceiling_pa

    def check(self, sensor_status, vacuum_pa, setpoint_pa, regulating):
        """Returns the latched alarm bits after this tick's checks."""
        if sensor_status == 0 or sensor_status == 1:
            # OK, or BUSY (conversion still running: one stale tick is fine).
            if sensor_status == 0:
                self._sensor_bad = 0
            else:
                self._sensor_bad += 1
        else:
            self._sensor_bad += 2
        if self._sensor_bad >= 2 * _SENSOR_FAULT_TICKS:
            self.alarms |= A_SENSOR
        self.trip_pa = self.trip_level(setpoint_pa) if regulating else self.ceiling_pa
        if vacuum_pa > self.trip_pa:
            self.alarms |= A_OVERVAC
        return self.alarms

    def clear(self):
        self.alarms = 0
        self._sensor_bad = 0
        self._peak_sp = 0
