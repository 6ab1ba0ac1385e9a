"""Byte-level emulation of the Honeywell MPRLS (MPR series, I2C, absolute).

Protocol (datasheet): the part has no register map. A 3-byte write
0xAA 0x00 0x00 starts one conversion; any read returns the status byte
followed by the 24-bit output counts (MSB first), as many bytes as asked,
then 0x00.
  Status: bit 6 power indication (1: powered), bit 5 busy, bit 2 memory
  integrity test failed, bit 0 math saturation.
  Transfer function A: counts = 1 677 722 + 13 421 772 x (P - Pmin) /
  (Pmax - Pmin) (10 % .. 90 % of 2**24); MPRLS0025PA: 0 .. 172 369 Pa.

Model:
  * Conversion time conversion_us (default 5000 us, the datasheet's figure);
    busy reads 1 meanwhile. A command while busy restarts the conversion.
    Other writes (not 0xAA) are ignored. Power-on: status 0x40, counts 0.
  * The result is the absolute pressure at the port (ambient_pa + gauge, the
    gauge linearly interpolated at the end of the conversion) plus Gaussian
    noise noise_pa, plus offset_pa, converted to counts (quantisation
    ~0.013 Pa) and clipped to 0..2**24-1. Outside Pmin..Pmax the math
    saturation bit is set (the output keeps following, as the part's
    internal maths saturates only past the 24-bit range).
  * Bus-side methods are integer-only: the next result is precomputed in
    advance().

Fault controls: connected (False: NACK), hold_bus, stuck (output counts
frozen, status still toggles busy), offset_pa, integrity_error (sets bit 2),
unpowered_status (power bit reads 0), forced_counts (int latched instead of
the measurement), ambient_pa (barometric pressure; change it to emulate
drift), power_on_reset().
"""
from i2c_emu import ConvertingEmu
from noise import Gauss

STATUS_POWER = 0x40
STATUS_BUSY = 0x20
STATUS_INTEGRITY = 0x04
STATUS_SATURATION = 0x01
OUTPUT_MIN = 1677722
SPAN = 13421772
_MAX = (1 << 24) - 1


class MprlsEmu(ConvertingEmu):
    def __init__(self, seed, noise_pa=20.0, address=0x18, ambient_pa=101325.0, min_pa=0, full_scale_pa=172369, conversion_us=5000):
        ConvertingEmu.__init__(self, address)
        self.noise_pa = float(noise_pa)
        self.ambient_pa = float(ambient_pa)
        self.min_pa = min_pa
        self.full_scale_pa = full_scale_pa
        self.conversion_us = conversion_us
        self.stuck = False
        self.offset_pa = 0.0
        self.integrity_error = False
        self.unpowered_status = False
        self.forced_counts = None
        self._noise = Gauss(seed, 0x18)
        self._t_us = None
        self._gauge_pa = 0.0
        self.conversions = 0
        self.power_on_reset()

    def power_on_reset(self):
        self._busy = False
        self._end_us = 0
        self._counts = 0
        self._sat = False
        self._next = self._measure(self._gauge_pa)

    # ---- simulator side ----------------------------------------------------
    def counts_for(self, absolute_pa):
        """(counts, saturated) for an absolute pressure (no noise)."""
        c = round(OUTPUT_MIN + SPAN * (absolute_pa - self.min_pa) / (self.full_scale_pa - self.min_pa))
        sat = absolute_pa < self.min_pa or absolute_pa > self.full_scale_pa
        return (0 if c < 0 else _MAX if c > _MAX else c), sat

    def _measure(self, gauge_pa):
        return self.counts_for(self.ambient_pa + gauge_pa + self.offset_pa + self.noise_pa * self._noise.normal())

    def advance(self, now_us, gauge_pa):
        self._note(now_us, gauge_pa)
        if self._busy and now_us >= self._end_us:
            self._finish(self._measure(self._gauge_at(self._end_us)))
        if self._busy:
            self._next = self._measure(gauge_pa)

    # ---- bus side: integers only -------------------------------------------
    def _finish(self, result):
        self._busy = False
        self.conversions += 1
        if self.stuck:
            return
        c, sat = result
        if self.forced_counts is not None:
            c = self.forced_counts
        self._counts = c
        self._sat = sat

    def _status(self):
        s = 0 if self.unpowered_status else STATUS_POWER
        if self._busy:
            s |= STATUS_BUSY
        if self.integrity_error:
            s |= STATUS_INTEGRITY
        if self._sat:
            s |= STATUS_SATURATION
        return s

    def on_access(self, now_us):
        if self._busy and now_us >= self._end_us:
            self._finish(self._next)

    def write_raw(self, buf, now_us):
        self.on_access(now_us)
        if len(buf) >= 1 and buf[0] == 0xAA:
            self._busy = True
            self._end_us = now_us + self.conversion_us

    def read_raw_into(self, buf, now_us):
        self.on_access(now_us)
        c = self._counts
        n = len(buf)
        for i in range(n):
            if i == 0:
                buf[0] = self._status()
            elif i < 4:
                buf[i] = (c >> (8 * (3 - i))) & 0xFF
            else:
                buf[i] = 0

    def write_reg(self, reg, buf, now_us):
        # writeto_mem sends reg as the first byte: the command byte.
        self.on_access(now_us)
        if reg == 0xAA:
            self._busy = True
            self._end_us = now_us + self.conversion_us

    def read_reg_into(self, reg, buf, now_us):
        # A register read starts with a write of reg (ignored), then reads.
        self.read_raw_into(buf, now_us)
