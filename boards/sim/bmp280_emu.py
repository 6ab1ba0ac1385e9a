"""Byte-level emulation of the Bosch BMP280 (I2C, absolute pressure).

Register map (datasheet):
  0x88..0x9F  trimming parameters dig_T1..dig_P9, little-endian (read-only)
  0xD0        chip id 0x58
  0xE0        reset: writing 0xB6 resets (trimming survives: it is NVM)
  0xF3        status: bit 3 measuring (a conversion runs), bit 0 im_update (0)
  0xF4        ctrl_meas: osrs_t [7:5], osrs_p [4:2], mode [1:0]
  0xF5        config: t_sb [7:5], filter [4:2] (stored, not modelled), spi3w_en
  0xF7..0xFC  press msb/lsb/xlsb[7:4], temp msb/lsb/xlsb[7:4]; reset value
              0x80 0x00 0x00 0x80 0x00 0x00 (0x80000: not measured)
The pointer auto-increments, so 0xF7..0xFC is one 6-byte burst (atomic).

Modes: forced (01, 10) runs one conversion and returns mode to 00; normal
(11) converts back-to-back with t_sb standby between; sleep (00) stops.
Conversion time (datasheet, typical): 1 ms + 2 ms x temperature samples +
(2 ms x pressure samples + 0.5 ms if pressure is measured); osrs 0 skips the
measurement (its registers read 0x80000), 1..5 = 1, 2, 4, 8, 16 samples.

Measurement: the true absolute pressure at the port (ambient_pa + gauge,
interpolated at the end of the conversion) plus Gaussian noise noise_pa
plus offset_pa is turned into the 20-bit adc_P that the datasheet's
compensation maps back onto it, using this part's trimming parameters (found
by Newton steps on the exact integer formula). So the firmware's
compensation is exercised for real, with 20-bit quantisation. Temperature:
temperature_c (25 degC) with noise 0.02 degC, likewise through adc_T.

Fault controls: connected, hold_bus, stuck (data registers frozen; measuring
still toggles), offset_pa, ambient_pa, forced_adc_p / forced_adc_t (latched
instead of the measurement), chip_id, power_on_reset(). compensate_t_fine()
and compensate_p() are the datasheet's formulas with unbounded integers, the
reference the firmware's 31-bit version is tested against.
"""
from i2c_emu import ConvertingEmu
from noise import Gauss

CHIP_ID = 0x58
# The datasheet's worked example of trimming parameters (dig_T1..dig_P9).
DATASHEET_TRIMMING = (27504, 26435, -1000, 36477, -10685, 3024, 2855, 140, -7, 15500, -14600, 6000)
_SAMPLES = (0, 1, 2, 4, 8, 16, 16, 16)
_T_SB_US = (500, 62500, 125000, 250000, 500000, 1000000, 2000000, 4000000)
_REG_STATUS = 0xF3
_REG_CTRL = 0xF4
_REG_DATA = 0xF7
_RESET_DATA = (0x80, 0, 0, 0x80, 0, 0)


def compensate_t_fine(cal, adc_t):
    """Datasheet bmp280_compensate_T_int32, returning t_fine (unbounded ints)."""
    t1, t2, t3 = cal[0], cal[1], cal[2]
    var1 = (((adc_t >> 3) - (t1 << 1)) * t2) >> 11
    var2 = (((((adc_t >> 4) - t1) * ((adc_t >> 4) - t1)) >> 12) * t3) >> 14
    return var1 + var2


def compensate_p(cal, adc_p, t_fine):
    """Datasheet bmp280_compensate_P_int32 (Pa), unbounded ints; 0 where the
    datasheet returns 0 (division by zero)."""
    p1, p2, p3, p4, p5, p6, p7, p8, p9 = cal[3:12]
    var1 = (t_fine >> 1) - 64000
    var2 = (((var1 >> 2) * (var1 >> 2)) >> 11) * p6
    var2 = var2 + ((var1 * p5) << 1)
    var2 = (var2 >> 2) + (p4 << 16)
    var1 = (((p3 * (((var1 >> 2) * (var1 >> 2)) >> 13)) >> 3) + ((p2 * var1) >> 1)) >> 18
    var1 = ((32768 + var1) * p1) >> 15
    if var1 == 0:
        return 0
    p = ((1048576 - adc_p) - (var2 >> 12)) * 3125
    if p < 0x80000000:
        p = (p << 1) // var1
    else:
        p = (p // var1) * 2
    var1 = (p9 * (((p >> 3) * (p >> 3)) >> 13)) >> 12
    var2 = ((p >> 2) * p8) >> 13
    return p + ((var1 + var2 + p7) >> 4)


def trimming_bytes(cal):
    out = bytearray(24)
    for i, v in enumerate(cal):
        v &= 0xFFFF
        out[2 * i] = v & 0xFF
        out[2 * i + 1] = v >> 8
    return out


def conversion_us(ctrl_meas):
    nt = _SAMPLES[(ctrl_meas >> 5) & 7]
    np_ = _SAMPLES[(ctrl_meas >> 2) & 7]
    return 1000 + 2000 * nt + (2000 * np_ + 500 if np_ else 0)


class Bmp280Emu(ConvertingEmu):
    def __init__(self, seed, noise_pa=20.0, address=0x76, ambient_pa=101325.0, trimming=DATASHEET_TRIMMING):
        ConvertingEmu.__init__(self, address)
        self.cal = tuple(trimming)
        self.noise_pa = float(noise_pa)
        self.ambient_pa = float(ambient_pa)
        self.temperature_c = 25.0
        self.temperature_noise_c = 0.02
        self.chip_id = CHIP_ID
        self.stuck = False
        self.offset_pa = 0.0
        self.forced_adc_p = None
        self.forced_adc_t = None
        self._noise = Gauss(seed, 0x76)
        self._t_us = None
        self._gauge_pa = 0.0
        self._calibrate_inverse()
        self.conversions = 0
        self.power_on_reset()

    def power_on_reset(self):
        regs = self.regs
        for i in range(256):
            regs[i] = 0
        cal = trimming_bytes(self.cal)
        for i in range(24):
            regs[0x88 + i] = cal[i]
        regs[0xD0] = self.chip_id
        for i in range(6):
            regs[_REG_DATA + i] = _RESET_DATA[i]
        self.pointer = 0
        self._busy = False
        self._normal = False
        self._end_us = 0
        self._period_us = 0
        self._next = self._measure(self._gauge_pa)

    # ---- inverse compensation (simulator side, may allocate) -----------------
    def _solve(self, f, target, x, slope):
        """Integer x in 0..2**20-1 with f(x) closest to target, by Newton steps
        from the previous solution (f is monotonic and nearly linear; slope
        is its typical value per count, refined locally when a step
        overshoots), then a look at the neighbours."""
        hi = (1 << 20) - 1
        for i in range(8):
            dx = int((target - f(x)) / slope)
            if -1 <= dx <= 1:
                break
            x = 0 if x + dx < 0 else hi if x + dx > hi else x + dx
            if i >= 1:
                lo_ = x - 64 if x >= 64 else 0
                s = (f(lo_ + 128) - f(lo_)) / 128.0
                if s:
                    slope = s
        best = x
        eb = abs(f(x) - target)
        for c in (x - 2, x - 1, x + 1, x + 2):
            if 0 <= c <= hi:
                e = abs(f(c) - target)
                if e < eb:
                    best, eb = c, e
        return best

    def _calibrate_inverse(self):
        # Slopes of the compensation at 25 degC / 100 kPa: the Newton steps'
        # denominators (the part is linear to a few percent over its range).
        cal = self.cal
        f = lambda a: compensate_t_fine(cal, a)
        self._t_slope = (f(540000) - f(500000)) / 40000.0  # t_fine per count
        self._adc_t_guess = self._solve(f, 25.0 * 5120, 1 << 19, self._t_slope)
        tf = f(self._adc_t_guess)
        g = lambda a: compensate_p(cal, a, tf)
        self._p_slope = (g(420000) - g(400000)) / 20000.0  # Pa per count (< 0)
        self._adc_p_guess = self._solve(g, 100000.0, 1 << 18, self._p_slope)

    def adc_t_for(self, temp_c):
        cal = self.cal
        x = self._solve(lambda a: compensate_t_fine(cal, a), temp_c * 5120.0, self._adc_t_guess, self._t_slope)
        self._adc_t_guess = x
        return x

    def adc_p_for(self, absolute_pa, t_fine):
        cal = self.cal
        x = self._solve(lambda a: compensate_p(cal, a, t_fine), absolute_pa, self._adc_p_guess, self._p_slope)
        self._adc_p_guess = x
        return x

    def _measure(self, gauge_pa):
        n = self._noise
        adc_t = self.adc_t_for(self.temperature_c + self.temperature_noise_c * n.normal())
        t_fine = compensate_t_fine(self.cal, adc_t)
        pa = self.ambient_pa + gauge_pa + self.offset_pa + self.noise_pa * n.normal()
        return adc_t, self.adc_p_for(pa, t_fine)

    def advance(self, now_us, gauge_pa):
        self._note(now_us, gauge_pa)
        if self._busy and now_us >= self._end_us:
            end = self._end_us
            if self._normal:
                end += ((now_us - end) // self._period_us) * self._period_us
            self._finish(self._measure(self._gauge_at(end)), now_us)
        if self._busy and now_us + 1000 >= self._end_us:
            # Only needed if the firmware reads after the end but before the
            # next advance(): computed in the last step before the end.
            self._next = self._measure(gauge_pa)

    # ---- bus side: integers only ---------------------------------------------
    def _finish(self, result, now_us):
        regs = self.regs
        self.conversions += 1
        if not self.stuck:
            adc_t, adc_p = result
            if self.forced_adc_p is not None:
                adc_p = self.forced_adc_p
            if self.forced_adc_t is not None:
                adc_t = self.forced_adc_t
            ctrl = regs[_REG_CTRL]
            if not (ctrl >> 2) & 7:
                adc_p = 0x80000
            if not (ctrl >> 5) & 7:
                adc_t = 0x80000
            regs[0xF7] = (adc_p >> 12) & 0xFF
            regs[0xF8] = (adc_p >> 4) & 0xFF
            regs[0xF9] = (adc_p << 4) & 0xF0
            regs[0xFA] = (adc_t >> 12) & 0xFF
            regs[0xFB] = (adc_t >> 4) & 0xFF
            regs[0xFC] = (adc_t << 4) & 0xF0
        if self._normal:
            p = self._period_us
            self._end_us += ((now_us - self._end_us) // p + 1) * p
        else:
            self._busy = False
            regs[_REG_CTRL] &= 0xFC  # forced mode: back to sleep

    def _start(self, ctrl, now_us):
        mode = ctrl & 3
        if mode == 0:
            self._busy = False
            self._normal = False
            return
        t = conversion_us(ctrl)
        self._normal = mode == 3
        if self._normal:
            self._period_us = t + _T_SB_US[self.regs[0xF5] >> 5]
        self._busy = True
        self._end_us = now_us + t

    def on_access(self, now_us):
        if self._busy and now_us >= self._end_us:
            self._finish(self._next, now_us)

    def on_read(self, reg, now_us):
        if reg == _REG_STATUS:
            return 0x08 if self._busy else 0
        return self.regs[reg]

    def on_write(self, reg, value, now_us):
        if reg == 0xE0:
            if value == 0xB6:
                self.power_on_reset()
            return
        if reg == _REG_CTRL or reg == 0xF5:
            self.regs[reg] = value
            if reg == _REG_CTRL:
                self._start(value, now_us)
