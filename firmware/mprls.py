"""Driver for the Honeywell MicroPressure MPR series (MPRLS) on I2C.

Datasheet facts used (MPRLS0025PA00001A: 0..25 psi absolute, transfer
function A, 24-bit, I2C address 0x18):
  Command        write 0xAA 0x00 0x00: start one pressure conversion.
  Read 4 bytes   status, then output counts MSB..LSB (24-bit unsigned).
  Status byte    bit 6 power indication (1 = powered), bit 5 busy (1 = a
                 conversion is running; data not valid), bit 2 memory
                 integrity test failed (checksum error at power-up), bit 0
                 internal math saturation. Bits 7, 4, 3, 1 are always 0.
  Transfer       counts = 10 % of 2**24 + 80 % of 2**24 x (P - Pmin) /
                 (Pmax - Pmin), i.e. 1 677 722 counts at Pmin and
                 15 099 494 at Pmax.
  Conversion     about 5 ms (datasheet: data ready ~5 ms after the command;
                 EOC pin or the busy bit says when).

Usage: begin() once (probe; raises OSError if the part does not answer),
then sample() once per control tick. sample() is pipelined like the
XGZP6897D driver: it reads the conversion started by an earlier call (one
4-byte read; if the busy bit is set it returns BUSY and reads again next
tick) and starts the next (one 3-byte write). With a 5 ms conversion and a
5 ms control period a fresh value arrives every second tick. There is no
busy-wait; each transfer is one bounded I2C call (the caller creates the bus
with a timeout). Integer-only, allocation-free: safe under heap_lock.

Results: absolute_pa (int Pa), gauge_pa = absolute_pa - ambient (see
sensor.AmbientReference: zeroed from the first fresh samples at boot, when
the firmware holds the vent open), raw_counts, status_byte (last status
read). They change only on OK. A status with the power bit clear, the
integrity or saturation bit set, or counts outside 5..95 % of 2**24 is
IMPLAUSIBLE; errors counts BUS_ERROR and IMPLAUSIBLE results.
"""
from micropython import const

from fixmath import mulshr
from sensor import BUS_ERROR, BUSY, IMPLAUSIBLE, OK, AmbientReference

DEFAULT_ADDRESS = const(0x18)
FULL_SCALE_PA = const(172_369)  # 25 psi x 6894.757 Pa/psi

STATUS_POWER = const(0x40)
STATUS_BUSY = const(0x20)
STATUS_INTEGRITY = const(0x04)
STATUS_SATURATION = const(0x01)
_STATUS_ERRORS = const(0x05)

OUTPUT_MIN = const(1_677_722)  # 10 % of 2**24
OUTPUT_MAX = const(15_099_494)  # 90 % of 2**24
_SPAN = const(13_421_772)
_PLAUSIBLE_MIN = const(838_861)  # 5 % of 2**24
_PLAUSIBLE_MAX = const(15_938_355)  # 95 % of 2**24
_SCALE_SHIFT = const(24)
_MAX_RANGE_PA = const(200_000)
_MEASURE = b"\xaa\x00\x00"


class MPRLS:
    def __init__(self, i2c, address=DEFAULT_ADDRESS, full_scale_pa=None, min_pa=0):
        if full_scale_pa is None:
            full_scale_pa = FULL_SCALE_PA
        if not 0 <= min_pa < full_scale_pa <= min_pa + _MAX_RANGE_PA:
            raise ValueError("MPRLS range must satisfy 0 <= min_pa < full_scale_pa <= min_pa + 200 kPa")
        self._i2c = i2c
        self.address = address
        self.min_pa = min_pa
        self.full_scale_pa = full_scale_pa
        # Pa per count as a Q24 fraction: (Pmax - Pmin) / span x 2**24 (215 466
        # for 172 369 Pa, <= 250 000 for a 200 kPa range). counts x scale goes
        # through mulshr() split at 12 bits: 4096 x 250 000 and
        # (2**24 >> 12) x 250 000 both stay below 2**30. Rounding the scale
        # costs < 0.5 Pa over the whole span.
        self._scale = ((full_scale_pa - min_pa) << _SCALE_SHIFT) // _SPAN
        self._buf = bytearray(4)
        self._pending = False
        self.ref = AmbientReference()
        self.absolute_pa = 0
        self.gauge_pa = 0
        self.raw_counts = 0
        self.status_byte = 0
        self.errors = 0

    def begin(self):
        """Probe: one status read. Raises OSError if the part does not answer."""
        self._pending = False
        self._i2c.readfrom_into(self.address, self._buf)

    def sample(self):
        """One control tick: returns OK, BUSY, BUS_ERROR or IMPLAUSIBLE."""
        status = BUSY
        try:
            if self._pending:
                self._i2c.readfrom_into(self.address, self._buf)
                if self._buf[0] & STATUS_BUSY:
                    return BUSY
                self._pending = False
                status = self._decode()
            self._i2c.writeto(self.address, _MEASURE)
            self._pending = True
        except OSError:
            self._pending = False
            self.errors += 1
            return BUS_ERROR
        if status == IMPLAUSIBLE:
            self.errors += 1
        return status

    def counts_to_pa(self, counts):
        """Absolute Pa for output counts (transfer function, rounded)."""
        return self.min_pa + ((mulshr(counts - OUTPUT_MIN, self._scale, _SCALE_SHIFT - 1, 12) + 1) >> 1)

    def _decode(self):
        b = self._buf
        st = b[0]
        self.status_byte = st
        counts = (b[1] << 16) | (b[2] << 8) | b[3]
        if not st & STATUS_POWER or st & _STATUS_ERRORS:
            return IMPLAUSIBLE
        if counts < _PLAUSIBLE_MIN or counts > _PLAUSIBLE_MAX:
            return IMPLAUSIBLE
        pa = self.counts_to_pa(counts)
        g = self.ref.feed(pa)
        if g is None:
            return IMPLAUSIBLE
        self.raw_counts = counts
        self.absolute_pa = pa
        self.gauge_pa = g
        return OK

    def track_ambient(self, vented=True):
        """After a fresh sample: let the ambient reference follow slow drift
        while the firmware is idle and vented (sensor.AmbientReference)."""
        self.ref.track(self.absolute_pa, vented)
