"""Driver for the CFSensor XGZP6897D I2C gauge pressure sensor.

Datasheet facts used (address 0x6D):
  CMD 0x30       write 0x0A = Sco (bit 3) | Measurement_ctrl 010: one combined
                 pressure + temperature conversion. Sco reads 1 while the
                 conversion runs and clears when it is done.
  0x06..0x08     pressure, 24-bit two's complement, MSB first; Pa = raw / K
  0x09..0x0A     temperature, 16-bit two's complement, MSB first; degC = raw/256
  P_CONFIG 0xA6  bits [2:0] OSR_P, pressure oversampling (100 = 256x,
                 101 = 512x, 000 = 1024x, 001 = 2048x, ...); the other bits are
                 factory settings and are preserved (read-modify-write).
  The register pointer auto-increments: 0x06..0x0A are one 5-byte read.

Timing assumption: the datasheet gives no conversion time per OSR. We assume
t = 0.25 ms + 2 us x OSR for pressure plus 0.75 ms for temperature (the model
in boards/sim/xgzp6897d_emu.py), and use OSR_P = 512x: ~2.0 ms, well inside
the 5 ms control period even if the real part is twice as slow. If it is
slower still, sample() returns BUSY and the result arrives a tick later.

Usage: begin() once (probe and configure; raises OSError if the part does not
answer), then sample() once per control tick. sample() is pipelined: it reads
the conversion started by the previous call (if Sco says it is done) and
starts the next, so each OK value is one control period old at most. It makes
at most three short transfers (read CMD 1 byte, read data 5 bytes, write CMD
1 byte; ~0.35 ms at 400 kHz); after a bus error the next call first re-applies
the OSR setting (the part may have been power-cycled). Every transfer is a
single bounded I2C call (the caller creates the bus with a timeout); there is
no busy-wait. sample() allocates nothing, so it may run under
micropython.heap_lock(), and uses integer arithmetic only. Register writes go
out with writeto() from a pre-built [register, value] buffer, never
writeto_mem(): on the rp2 port writeto_mem() joins address and data in a
heap buffer (extmod/machine_i2c.c, mp_machine_i2c_transfer_adaptor), which
raises MemoryError under heap_lock(). readfrom_mem_into() does not allocate.

Results: gauge_pa (int Pa, rounded half away from zero), temperature_cx100
(int, 0.01 degC), raw_pressure (int counts); they change only on OK.
errors counts BUS_ERROR and IMPLAUSIBLE results.

Plausibility: raw pressure outside +/-(full scale + 5 %) x K, or temperature
outside -40..+125 degC (beyond the rating of any part in the family) is
IMPLAUSIBLE. full_scale_pa defaults to 6 400 000 // K Pa (100 kPa for K = 64,
50 kPa for K = 128, ...), which lies inside the range bracket the datasheet's
K table gives for every K; pass full_scale_pa for a part rated otherwise.
"""
from micropython import const

from sensor import IMPLAUSIBLE, OK, Pipelined

DEFAULT_ADDRESS = const(0x6D)

_REG_DATA = const(0x06)
_REG_CMD = const(0x30)
_REG_P_CONFIG = const(0xA6)
_CMD_START_COMBINED = const(0x0A)  # Sco | Measurement_ctrl 010
_SCO = const(0x08)
_OSR_MASK = const(0x07)
_OSR_512X = const(0x05)
_NOMINAL_FS_COUNTS = const(6_400_000)
_T_MIN_RAW = const(-40 * 256)
_T_MAX_RAW = const(125 * 256)
_EIO = const(5)

# layout of the driver's single buffer
_DATA_LEN = const(5)  # [0:5]   pressure MSB..LSB, temperature MSB, LSB
_SCRATCH = const(5)  # [5]     CMD / P_CONFIG reads
_START = const(6)  # [6:8]   write: CMD register, start command
_CONFIG = const(8)  # [8:10]  write: P_CONFIG register, new value
_BUF_LEN = const(10)


class XGZP6897D(Pipelined):
    _STATUS_REG = _REG_CMD
    _BUSY_BITS = _SCO
    _DATA_REG = _REG_DATA

    def __init__(self, i2c, address=DEFAULT_ADDRESS, k=64, full_scale_pa=None):
        if k <= 0:
            raise ValueError("k must be positive")
        if full_scale_pa is None:
            full_scale_pa = _NOMINAL_FS_COUNTS // k
        self._i2c = i2c
        self.address = address
        self.k = k
        self.full_scale_pa = full_scale_pa
        self._limit_raw = full_scale_pa * k * 105 // 100
        self._half_k = k // 2
        buf = bytearray(_BUF_LEN)
        buf[_START] = _REG_CMD
        buf[_START + 1] = _CMD_START_COMBINED
        buf[_CONFIG] = _REG_P_CONFIG
        mv = memoryview(buf)
        self._buf = buf
        self._data = mv[0:_DATA_LEN]
        self._scratch = mv[_SCRATCH : _SCRATCH + 1]
        self._go = mv[_START : _START + 2]
        self._config = mv[_CONFIG : _CONFIG + 2]
        self._pending = False  # a conversion we started has not been read yet
        self._need_config = True
        self.gauge_pa = 0
        self.temperature_cx100 = 0
        self.raw_pressure = 0
        self.errors = 0

    def begin(self):
        """Probe the part and set OSR_P; raises OSError if it is absent or the
        setting does not stick."""
        self._pending = False
        self._configure()
        self._i2c.readfrom_mem_into(self.address, _REG_P_CONFIG, self._scratch)
        if (self._buf[_SCRATCH] & _OSR_MASK) != _OSR_512X:
            raise OSError(_EIO)

    def _configure(self):
        i2c = self._i2c
        s = self._scratch
        i2c.readfrom_mem_into(self.address, _REG_P_CONFIG, s)
        v = self._buf[_SCRATCH]
        if (v & _OSR_MASK) != _OSR_512X:
            self._buf[_CONFIG + 1] = (v & ~_OSR_MASK & 0xFF) | _OSR_512X
            i2c.writeto(self.address, self._config)
        self._need_config = False

    # sample(): sensor.Pipelined's.

    def _decode(self):
        b = self._buf
        raw = (b[0] << 16) | (b[1] << 8) | b[2]
        if raw & 0x800000:
            raw -= 0x1000000
        t = (b[3] << 8) | b[4]
        if t & 0x8000:
            t -= 0x10000
        lim = self._limit_raw
        if raw > lim or raw < -lim or t < _T_MIN_RAW or t > _T_MAX_RAW:
            return IMPLAUSIBLE
        self.raw_pressure = raw
        h = self._half_k
        k = self.k
        if raw >= 0:
            self.gauge_pa = (raw + h) // k
        else:
            self.gauge_pa = -((h - raw) // k)
        t *= 100
        if t >= 0:
            self.temperature_cx100 = (t + 128) >> 8
        else:
            self.temperature_cx100 = -((128 - t) >> 8)
        return OK
