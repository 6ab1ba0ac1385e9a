"""Driver for the Bosch BMP280 absolute barometric pressure sensor on I2C.

Datasheet facts used (address 0x76 with SDO low, 0x77 with SDO high):
  0x88..0x9F  trimming parameters, little-endian: dig_T1 (u16), dig_T2,
              dig_T3 (s16), dig_P1 (u16), dig_P2 .. dig_P9 (s16)
  0xD0 id     chip id 0x58
  0xE0 reset  write 0xB6: power-on reset
  0xF3 status bit 3 measuring (a conversion runs), bit 0 im_update (NVM copy)
  0xF4 ctrl_meas  osrs_t [7:5], osrs_p [4:2], mode [1:0] (00 sleep,
              01/10 forced: one conversion, then back to sleep, 11 normal)
  0xF5 config t_sb [7:5], filter [4:2], spi3w_en [0]
  0xF7..0xFC  press_msb, press_lsb, press_xlsb[7:4], temp_msb, temp_lsb,
              temp_xlsb[7:4]: 20-bit raw values, read as one burst (the part
              shadows them so a burst is consistent); 0x80000 = not measured
  Measurement time (typical) 1 ms + 2 ms per temperature sample + 2 ms per
              pressure sample + 0.5 ms; max about 15 % more.
  Compensation: the datasheet's 32-bit integer formulas (temperature in
              0.01 degC with t_fine, pressure in Pa).

Settings: forced mode, temperature x1, pressure x2, IIR filter off (a filter
adds lag the controller must not see): 7.5 ms typical, 8.7 ms max, so with
the pipelined sample() below a fresh value arrives every second 5 ms tick.

Integer width. MicroPython on the RP2040/ESP32 keeps ints in -2**30..2**30-1
without allocating; the datasheet's formulas form products up to 2**34 (and
an unsigned 32-bit p). The compensation here computes *exactly* the same
numbers as the datasheet's 32-bit code (tests compare it with a big-int
reference, and check every intermediate stays below 2**30 for any trimming
values with temperature in -40..85 degC) by splitting each wide product
(fixmath.mulshr) and carrying the low bits of sums by hand. Temperature is
checked before pressure is computed, which bounds t_fine.

Usage: begin() once (chip id, trimming parameters, config; raises OSError if
the part is absent, answers with another id, or holds implausible trimming),
then sample() once per control tick: read status (1 byte); if a conversion
we started is done, read the 6 data bytes, compensate, start the next
(1-byte write of ctrl_meas). No busy-wait, bounded transfers, no allocation:
register writes go out with writeto() from a pre-built [register, value]
buffer (writeto_mem() allocates on the rp2 port; see xgzp6897d.py).

Results: absolute_pa, gauge_pa (via sensor.AmbientReference, zeroed at boot
with the vent open), temperature_cx100, raw_p, raw_t; errors.
"""
from micropython import const

from fixmath import mulshr
from sensor import IMPLAUSIBLE, OK, AmbientReference, Pipelined

DEFAULT_ADDRESS = const(0x76)
CHIP_ID = const(0x58)

_REG_CALIB = const(0x88)
_REG_ID = const(0xD0)
_REG_STATUS = const(0xF3)
_REG_CTRL_MEAS = const(0xF4)
_REG_CONFIG = const(0xF5)
_REG_DATA = const(0xF7)
_MEASURING = const(0x08)
# osrs_t 001 (x1), osrs_p 010 (x2), mode 01 (forced)
CTRL_FORCED = const(0x29)
CONFIG = const(0x00)  # t_sb 0.5 ms, filter off, I2C

_T_MIN_CX100 = const(-4000)
_T_MAX_CX100 = const(8500)
_P_MIN_PA = const(20_000)  # rated 30..110 kPa; a margin either side
_P_MAX_PA = const(130_000)
_SKIPPED = const(0x80000)

# buffer layout: [0:24] trimming, [24:30] data, [30] status/scratch,
# [31:33] write ctrl_meas (register, value), [33:35] write config
_CAL_LEN = const(24)
_DATA = const(24)
_SCRATCH = const(30)
_CTRL = const(31)
_CONF = const(33)
_BUF_LEN = const(35)


def _u16(b, i):
    return b[i] | (b[i + 1] << 8)


def _s16(b, i):
    v = b[i] | (b[i + 1] << 8)
    return v - 65536 if v & 0x8000 else v


class BMP280(Pipelined):
    _STATUS_REG = _REG_STATUS
    _BUSY_BITS = _MEASURING
    _DATA_REG = _REG_DATA

    def __init__(self, i2c, address=DEFAULT_ADDRESS):
        self._i2c = i2c
        self.address = address
        buf = bytearray(_BUF_LEN)
        buf[_CTRL] = _REG_CTRL_MEAS
        buf[_CTRL + 1] = CTRL_FORCED
        buf[_CONF] = _REG_CONFIG
        buf[_CONF + 1] = CONFIG
        mv = memoryview(buf)
        self._buf = buf
        self._cal = mv[0:_CAL_LEN]
        self._data = mv[_DATA : _DATA + 6]
        self._scratch = mv[_SCRATCH : _SCRATCH + 1]
        self._go = mv[_CTRL : _CTRL + 2]  # ctrl_meas: forced mode starts a conversion
        self._conf = mv[_CONF : _CONF + 2]
        self.t1 = self.t2 = self.t3 = 0
        self.p1 = self.p2 = self.p3 = self.p4 = self.p5 = 0
        self.p6 = self.p7 = self.p8 = self.p9 = 0
        self._pending = False
        self._need_config = True
        self.ref = AmbientReference()
        self.absolute_pa = 0
        self.gauge_pa = 0
        self.temperature_cx100 = 0
        self.t_fine = 0
        self.raw_p = 0
        self.raw_t = 0
        self.errors = 0

    # ---- set-up (may allocate: not in the tick) ---------------------------
    def begin(self):
        """Check the chip id, read the trimming parameters, write config."""
        i2c = self._i2c
        s = self._scratch
        i2c.readfrom_mem_into(self.address, _REG_ID, s)
        if self._buf[_SCRATCH] != CHIP_ID:
            raise OSError(19)  # ENODEV: something else answers at this address
        i2c.readfrom_mem_into(self.address, _REG_CALIB, self._cal)
        self.set_trimming(self._buf)
        self._pending = False
        self._configure()

    def set_trimming(self, b):
        """Trimming parameters from the 24 bytes at 0x88 (also used by tests)."""
        t1 = _u16(b, 0)
        p1 = _u16(b, 6)
        if t1 == 0 or p1 == 0:
            # Erased NVM (all 0) would divide by zero; a real part never has it.
            raise OSError(5)
        self.t1, self.t2, self.t3 = t1, _s16(b, 2), _s16(b, 4)
        self.p1, self.p2, self.p3 = p1, _s16(b, 8), _s16(b, 10)
        self.p4, self.p5, self.p6 = _s16(b, 12), _s16(b, 14), _s16(b, 16)
        self.p7, self.p8, self.p9 = _s16(b, 18), _s16(b, 20), _s16(b, 22)

    def _configure(self):
        # After a power cycle of the part config is back to 0; ctrl_meas is
        # written with every conversion anyway.
        self._i2c.writeto(self.address, self._conf)
        self._need_config = False

    # ---- control tick: sample() is sensor.Pipelined's ------------------------
    def _decode(self):
        b = self._buf
        adc_p = (b[_DATA] << 12) | (b[_DATA + 1] << 4) | (b[_DATA + 2] >> 4)
        adc_t = (b[_DATA + 3] << 12) | (b[_DATA + 4] << 4) | (b[_DATA + 5] >> 4)
        if adc_p == _SKIPPED or adc_t == _SKIPPED:
            return IMPLAUSIBLE
        t_fine = self.compensate_t_fine(adc_t)
        t = (t_fine * 5 + 128) >> 8
        if t < _T_MIN_CX100 or t > _T_MAX_CX100:
            return IMPLAUSIBLE
        p = self.compensate_p(adc_p, t_fine)
        if p < _P_MIN_PA or p > _P_MAX_PA:
            return IMPLAUSIBLE
        g = self.ref.feed(p)
        if g is None:
            return IMPLAUSIBLE
        self.raw_p = adc_p
        self.raw_t = adc_t
        self.t_fine = t_fine
        self.temperature_cx100 = t
        self.absolute_pa = p
        self.gauge_pa = g
        return OK

    def track_ambient(self, vented=True):
        """After a fresh sample: let the ambient reference follow slow drift
        while the firmware is idle and vented (sensor.AmbientReference)."""
        self.ref.track(self.absolute_pa, vented)

    # ---- compensation: the datasheet's 32-bit integer formulas, exact ------
    def compensate_t_fine(self, adc_t):
        """t_fine for a 20-bit adc_T. Bounds: |a| < 2**18, |b| < 2**17,
        c < 2**22, so every mulshr() below meets its precondition."""
        t1 = self.t1
        a = (adc_t >> 3) - (t1 << 1)
        b = (adc_t >> 4) - t1
        c = mulshr(b, b, 12)
        return mulshr(a, self.t2, 11) + mulshr(c, self.t3, 14)

    def compensate_p(self, adc_p, t_fine):
        """Pressure in Pa (as the datasheet's bmp280_compensate_P_int32), or
        0 where that formula divides by zero or the result is out of range.
        Needs t_fine of a temperature in -40..85 degC (|var1| < 2**18)."""
        var1 = (t_fine >> 1) - 64000
        den = self._p_denominator(var1)
        if den <= 0:
            return 0
        n = 1048576 - adc_p - self._p_offset(var1)
        if n <= 0:
            return 0
        # p = n x 3125 x 2 / den (or (n x 3125 / den) x 2 when n x 3125 does
        # not fit 31 bits unsigned), via quotient and remainder: r < den <
        # 2**17, so r x 6250 < 2**30.
        q = n // den
        if q > 40:
            return 0  # > 256 kPa: far outside the part's range
        r = n - q * den
        if n < 687195:  # n x 3125 < 2**31
            p = q * 6250 + (r * 6250) // den
        else:
            p = (q * 3125 + (r * 3125) // den) * 2
        return self._p_nonlinear(p)

    def _p_offset(self, var1):
        """The datasheet's final var2 >> 12 (var2 = ((v*v >> 11) * P6 +
        (var1*P5 << 1)) >> 2) + (P4 << 16)), split so nothing exceeds 2**30:
        floor((A + 2B) / 2**14) + 16 x P4 with A = (v*v >> 11) * P6 and
        B = var1 * P5, the low 14 bits of A and 2B carried by hand."""
        v = var1 >> 2
        sq = mulshr(v, v, 11)  # < 2**20
        p5 = self.p5
        p6 = self.p6
        lo = ((((sq & 0x3FFF) * p6) & 0x3FFF) + ((((var1 & 0x1FFF) * p5) & 0x1FFF) << 1)) >> 14
        return mulshr(sq, p6, 14) + mulshr(var1, p5, 13) + lo + (self.p4 << 4)

    def _p_denominator(self, var1):
        """The datasheet's ((32768 + var1') * P1) >> 15 with var1' =
        ((P3 * (v*v >> 13) >> 3) + (P2 * var1 >> 1)) >> 18, computed as
        floor((2 t1 + P2 var1) / 2**19) with var1 split at 14 bits."""
        v = var1 >> 2
        t1 = mulshr(mulshr(v, v, 13), self.p3, 3)  # |t1| < 2**30
        p2 = self.p2
        low = ((t1 & 0x1FFF) << 1) + p2 * (var1 & 0x3FFF)  # < 2**30
        d = ((t1 >> 13) + p2 * (var1 >> 14) + (low >> 14)) >> 5
        return mulshr(32768 + d, self.p1, 15)

    def _p_nonlinear(self, p):
        """p + ((P9 * ((p>>3)^2 >> 13) >> 12) + (P8 * (p>>2) >> 13) + P7) >> 4.
        p < 2**18 here, so (p >> 3)^2 < 2**30."""
        s = ((p >> 3) * (p >> 3)) >> 13
        return p + ((mulshr(s, self.p9, 12) + mulshr(p >> 2, self.p8, 13) + self.p7) >> 4)
