# Leak-rate estimate from the pump duty needed to hold a steady vacuum.
#
# At a steady vacuum v the gas the pump removes equals the air that leaks in:
#   p_atm * Q_leak = p * Q_pump,  Q_pump = duty * Q_free * (1 - v / v_max)
# (domain.md, "A simple physical model"), with the pump's free flow Q_free and
# maximum vacuum v_max declared by the board. The duty is averaged while the
# session holds a steady level with the vent shut; the estimate is as good as
# the board's pump figures and the pump's linearity in duty.
# update() runs in the heap-locked control tick: integers only.
from micropython import const

_P_ATM_PA = const(101_325)
_AVG_SHIFT = const(7)  # moving average over ~128 ticks (0.64 s at 200 Hz)
STEADY_MS = const(2_000)  # steady this long before an estimate is trusted


class LeakEstimator:
    def __init__(self, pump_free_ml_min, pump_max_vacuum_pa):
        self.free_ml_min = pump_free_ml_min  # 0 = pump not characterised
        self.max_pa = pump_max_vacuum_pa
        self.reset()

    def reset(self):
        self.duty_u16 = 0  # averaged pump duty while steady
        self.vacuum_pa = 0  # averaged vacuum while steady
        self.steady_ms = 0

    def update(self, steady, pump_u16, vacuum_pa, dt_ms):
        if not steady:
            self.steady_ms = 0
            return
        if self.steady_ms == 0:
            self.duty_u16 = pump_u16
            self.vacuum_pa = vacuum_pa
        else:
            self.duty_u16 += (pump_u16 - self.duty_u16) >> _AVG_SHIFT
            self.vacuum_pa += (vacuum_pa - self.vacuum_pa) >> _AVG_SHIFT
        if self.steady_ms < STEADY_MS:
            self.steady_ms += dt_ms

    def valid(self):
        return self.free_ml_min > 0 and self.steady_ms >= STEADY_MS

    def ml_min(self):
        """Leak inflow at ambient conditions, mL/min; -1 if unknown."""
        if not self.valid():
            return -1
        v = self.vacuum_pa
        if v < 0:
            v = 0
        if v >= self.max_pa:
            return -1
        # Permille factors keep every product below 2**30.
        q = self.free_ml_min * (self.duty_u16 >> 6) // 1024
        q = q * ((self.max_pa - v) * 1000 // self.max_pa) // 1000
        return q * ((_P_ATM_PA - v) * 1000 // _P_ATM_PA) // 1000
