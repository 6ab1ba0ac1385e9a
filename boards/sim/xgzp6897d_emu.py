"""Byte-level emulation of the CFSensor XGZP6897D I2C gauge pressure sensor.

Register map (datasheet facts, cross-checked against public drivers):
  0x06 0x07 0x08  pressure, 24-bit two's complement, MSB first; Pa = raw / K
                  (K from the part's range: 64 for 65 < P <= 131 kPa, e.g.
                  the -100..100 kPa part; K is chosen by the positive range)
  0x09 0x0A       temperature, 16-bit two's complement, MSB first; degC = raw/256
  0x30  CMD       bit 3 Sco: write 1 to start; reads 1 while converting, 0 when
                  done (one-shot modes). Bits [2:0] Measurement_ctrl:
                    000 single temperature, 001 single pressure,
                    010 combined pressure + temperature (0x0A = Sco | 010),
                    011 sleep mode: periodic combined conversions, one every
                        sleep_time x 62.5 ms, sleep_time = bits [7:4]
  0xA5  SYS_CONFIG  stored, readable/writable, no modelled effect
  0xA6  P_CONFIG    bits [2:0] OSR_P (pressure oversampling):
                    100 256x, 101 512x, 000 1024x, 001 2048x, 010 4096x,
                    011 8192x, 110 16384x, 111 32768x; other bits are stored
                    (factory gain settings on the real part) but not modelled.
  The pointer auto-increments, so 0x06..0x0A read as one 5-byte transfer.

Documented assumptions (the datasheet gives no conversion times per OSR):
  * Pressure conversion time  t_P = 250 us + 2 us x OSR
      (256x 0.76 ms, 512x 1.27 ms, 1024x 2.30 ms, 2048x 4.35 ms,
       4096x 8.44 ms, 8192x 16.6 ms, 16384x 33.0 ms, 32768x 65.8 ms).
    Temperature conversion time t_T = 750 us (fixed oversampling).
    Combined mode takes t_P + t_T (512x: 2.02 ms, 1024x: 3.05 ms).
  * Power-on defaults: all registers 0 (OSR_P 000 = 1024x, CMD 0x00).
  * Writing CMD with Sco=1 and a one-shot mode (re)starts a conversion even if
    one is running; writing Sco=0 cancels whatever is running. Modes 100..111
    are undefined: the byte is stored, Sco is cleared, nothing converts.
  * In sleep mode Sco keeps reading 1 while the periodic mode runs, and each
    conversion's result latches when it ends; sleep_time 0 means back-to-back.
  * The result is the pressure at the moment the conversion ends (linearly
    interpolated between advance() calls) plus Gaussian noise of noise_pa
    (independent of OSR), plus offset_pa, quantised to 1/K Pa and clipped to
    the rated span [min_pa, full_scale_pa] (min_pa defaults to
    -full_scale_pa): the output saturates at full scale.
  * A multi-byte read is atomic: a conversion ending during a transfer
    updates the registers before or after it, never in the middle.
  * The data registers are read-only (writes are ignored) and read 0 until
    the first conversion completes.

Fault controls (plain attributes, change at any time):
  connected    False => NACK (machine.I2C raises OSError(EIO))
  hold_bus     True  => bus stuck (machine.I2C raises OSError(ETIMEDOUT))
  stuck        True  => output registers keep their last value; Sco still
                        sets and clears as usual
  offset_pa    added to every pressure reading (zero drift)
  forced_raw_p / forced_raw_t
               None, or an int latched as the raw output at every conversion
               end instead of the measurement (corrupted / out-of-span data;
               forced_raw_p is taken modulo 2**24, forced_raw_t modulo 2**16)
  power_on_reset()  registers and conversion state back to power-on values

Noise is deterministic under `seed`. It comes from a per-instance xorshift32
generator instead of the global `random` module: MicroPython's random has a
single global state, so another emulation or test (re)seeding or drawing from
it would change this sensor's noise sequence.
"""
import math

from i2c_emu import I2CTargetEmu
from micropython import const
from noise import xorshift32

_REG_P_MSB = const(0x06)
_REG_P_LSB = const(0x08)
_REG_T_MSB = const(0x09)
_REG_T_LSB = const(0x0A)
_REG_CMD = const(0x30)
_REG_SYS_CONFIG = const(0xA5)
_REG_P_CONFIG = const(0xA6)

_SCO = const(0x08)
_MODE_MASK = const(0x07)
_MODE_T = const(0)
_MODE_P = const(1)
_MODE_COMBINED = const(2)
_MODE_SLEEP = const(3)
_SLEEP_UNIT_US = const(62_500)

# OSR_P code -> oversampling ratio
_OSR = (1024, 2048, 4096, 8192, 256, 512, 16384, 32768)
_T_TEMP_US = const(750)
_T_P_BASE_US = const(250)
_T_P_PER_SAMPLE_US = const(2)

_P_MIN_RAW = -(1 << 23)
_P_MAX_RAW = (1 << 23) - 1
_T_MIN_RAW = -(1 << 15)
_T_MAX_RAW = (1 << 15) - 1
_TWO_PI = 2.0 * math.pi
_sqrt = math.sqrt
_log = math.log
_cos = math.cos
_sin = math.sin


def pressure_conversion_us(osr_code):
    """Assumed pressure conversion time for an OSR_P code (see docstring)."""
    return _T_P_BASE_US + _T_P_PER_SAMPLE_US * _OSR[osr_code & 7]


def conversion_us(mode, osr_code):
    """Assumed duration of one conversion in Measurement_ctrl `mode`."""
    if mode == _MODE_T:
        return _T_TEMP_US
    if mode == _MODE_P:
        return pressure_conversion_us(osr_code)
    return _T_TEMP_US + pressure_conversion_us(osr_code)


_P_US = tuple(pressure_conversion_us(c) for c in range(8))  # by OSR_P code


class Xgzp6897dEmu(I2CTargetEmu):
    def __init__(self, seed, k=64, noise_pa=20.0, address=0x6D, full_scale_pa=100000):
        I2CTargetEmu.__init__(self, address)
        self.k = k
        self.noise_pa = float(noise_pa)
        self.full_scale_pa = full_scale_pa
        self.min_pa = -full_scale_pa
        self.temperature_c = 25.0
        self.temperature_noise_c = 0.02
        # fault controls
        self.stuck = False
        self.offset_pa = 0.0
        self.forced_raw_p = None
        self.forced_raw_t = None
        # deterministic per-instance noise source (xorshift32)
        s = (seed * 2654435761 + 0x9E3779B9) & 0xFFFFFFFF
        self._rng0 = s or 0x6D2B79F5
        self.restart_noise()
        # physical input as last seen by observe() / advance()
        self._t_us = None
        self._gauge_pa = 0.0
        self.conversions = 0  # completed conversions (for tests / diagnostics)
        self.power_on_reset()

    # ---- state -----------------------------------------------------------
    def power_on_reset(self):
        regs = self.regs
        for i in range(256):
            regs[i] = 0
        self.pointer = 0
        self._busy = False  # a conversion (one-shot or periodic) is running
        self._periodic = False
        self._mode = _MODE_COMBINED
        self._conv_end_us = 0
        self._period_us = 0
        self._bus_side_raws()
        self._gauge_raw = round((self._gauge_pa + self.offset_pa) * self.k)

    # A read-out through __getattr__, not @property: in MicroPython a class
    # with a property looks every attribute access up in the class first.
    def __getattr__(self, name):
        if name == "converting":
            return self._busy
        raise AttributeError(name)

    def wake_us(self):
        """When the world must next show this part the physics: the end of
        the running conversion (None: idle, nothing to see until then)."""
        return self._conv_end_us if self._busy else None

    # ---- noise -------------------------------------------------------------
    # One Gaussian pair per conversion (pressure, temperature), drawn ahead
    # for the next conversion: the sequence depends on the conversions made,
    # not on how often the world shows this part the physics.
    def restart_noise(self):
        """Start the noise sequence again from the seed (World does so when
        the pump is first driven, so a session sees the same noise however
        long the board idled before it)."""
        self._rng = self._rng0
        for _ in range(4):
            self._rand_u32()
        self._draw()

    def _rand_u32(self):
        self._rng = x = xorshift32(self._rng)
        return x

    def _gauss_pair(self):
        # Box-Muller: two independent standard normal deviates, from two
        # xorshift32 draws (inlined: this runs once per conversion).
        x = self._rng
        x ^= (x << 13) & 0xFFFFFFFF
        x ^= x >> 17
        x ^= (x << 5) & 0xFFFFFFFF
        y = x
        y ^= (y << 13) & 0xFFFFFFFF
        y ^= y >> 17
        y ^= (y << 5) & 0xFFFFFFFF
        self._rng = y
        r = _sqrt(-2.0 * _log((x + 1) / 4294967296.0))  # u1 in (0, 1]
        a = _TWO_PI * (y / 4294967296.0)  # u2 in [0, 1)
        return r * _cos(a), r * _sin(a)

    def _draw(self):
        """The next conversion's noise, and the integer parts of a result
        the bus side may have to latch before the next look."""
        self._zp, self._zt = self._gauss_pair()
        self._noise_spent = False
        self._bus_side_raws()

    def _bus_side_raws(self):
        # A conversion that ends on the bus side (the firmware reads after
        # its end, before the world shows this part the physics again)
        # latches gauge + noise from these integers: floats allocate, and
        # the bus side may run under micropython.heap_lock(). Within one
        # count (1/k Pa) of what the simulator side computes.
        k = self.k
        self._noise_raw = round(self.noise_pa * self._zp * k)
        self._lo_raw = max(int(self.min_pa * k), _P_MIN_RAW)
        self._hi_raw = min(int(self.full_scale_pa * k), _P_MAX_RAW)
        self._next_raw_t = self._raw_temperature(self._zt)

    # ---- measurement model (simulator side, may allocate) -----------------
    def _raw_pressure(self, gauge_pa, z):
        k = self.k
        raw = round((gauge_pa + self.offset_pa + self.noise_pa * z) * k)
        lo = int(self.min_pa * k)
        hi = int(self.full_scale_pa * k)
        if raw < lo:
            raw = lo
        elif raw > hi:
            raw = hi
        if raw < _P_MIN_RAW:
            raw = _P_MIN_RAW
        elif raw > _P_MAX_RAW:
            raw = _P_MAX_RAW
        return raw

    def _raw_temperature(self, z):
        raw = round((self.temperature_c + self.temperature_noise_c * z) * 256)
        if raw < _T_MIN_RAW:
            raw = _T_MIN_RAW
        elif raw > _T_MAX_RAW:
            raw = _T_MAX_RAW
        return raw

    def observe(self, now_us, gauge_pa):
        """See the physics at now_us: a conversion that has ended latches
        the pressure at its end (interpolated from the previous look)."""
        if self._noise_spent:
            self._draw()  # a conversion that ended on the bus side used the last pair
        if self._busy and now_us >= self._conv_end_us:
            self._latch(now_us, gauge_pa)
        self._t_us = now_us
        self._gauge_pa = gauge_pa

    def _latch(self, now_us, gauge_pa):
        prev_t = self._t_us
        end = self._conv_end_us
        if self._periodic:
            # Only the last conversion ending in this step is visible.
            end += ((now_us - end) // self._period_us) * self._period_us
        if prev_t is None or end <= prev_t or now_us <= prev_t:
            g = gauge_pa
        else:
            prev_g = self._gauge_pa
            g = prev_g + (gauge_pa - prev_g) * (end - prev_t) / (now_us - prev_t)
        self._finish(self._raw_pressure(g, self._zp), self._raw_temperature(self._zt), now_us)
        self._draw()

    def advance(self, now_us, gauge_pa):
        """observe(); the firmware runs next: the gauge part of a result the
        bus side may latch (see _bus_side_raws)."""
        self.observe(now_us, gauge_pa)
        self._gauge_raw = round((gauge_pa + self.offset_pa) * self.k)

    # ---- conversion state machine (bus side: integers only) ---------------
    def _finish(self, raw_p, raw_t, now_us):
        regs = self.regs
        mode = self._mode
        if not self.stuck:
            if mode != _MODE_T:
                if self.forced_raw_p is not None:
                    raw_p = self.forced_raw_p
                regs[_REG_P_MSB] = (raw_p >> 16) & 0xFF
                regs[_REG_P_MSB + 1] = (raw_p >> 8) & 0xFF
                regs[_REG_P_LSB] = raw_p & 0xFF
            if mode != _MODE_P:
                if self.forced_raw_t is not None:
                    raw_t = self.forced_raw_t
                regs[_REG_T_MSB] = (raw_t >> 8) & 0xFF
                regs[_REG_T_LSB] = raw_t & 0xFF
        self.conversions += 1
        if self._periodic:
            period = self._period_us
            self._conv_end_us += ((now_us - self._conv_end_us) // period + 1) * period
        else:
            self._busy = False
            regs[_REG_CMD] &= ~_SCO & 0xFF

    def _start(self, cmd, now_us):
        mode = cmd & _MODE_MASK
        if not cmd & _SCO:
            self._busy = False
            self._periodic = False
            return
        if mode > _MODE_SLEEP:
            self.regs[_REG_CMD] = cmd & ~_SCO & 0xFF
            self._busy = False
            self._periodic = False
            return
        osr = self.regs[_REG_P_CONFIG] & 7
        if mode == _MODE_SLEEP:
            t_conv = _T_TEMP_US + _P_US[osr]  # conversion_us(_MODE_COMBINED, osr)
            self._mode = _MODE_COMBINED
            self._periodic = True
            self._period_us = t_conv + (cmd >> 4) * _SLEEP_UNIT_US
        else:
            # conversion_us(mode, osr), without the calls
            t_conv = _T_TEMP_US if mode == _MODE_T else _P_US[osr] if mode == _MODE_P else _T_TEMP_US + _P_US[osr]
            self._mode = mode
            self._periodic = False
        self._busy = True
        self._conv_end_us = now_us + t_conv

    def on_access(self, now_us):
        if self._busy and now_us >= self._conv_end_us:
            raw = self._gauge_raw + self._noise_raw
            if raw < self._lo_raw:
                raw = self._lo_raw
            elif raw > self._hi_raw:
                raw = self._hi_raw
            self._finish(raw, self._next_raw_t, now_us)
            self._noise_spent = True  # drawn again at the next look (floats)

    def on_write(self, reg, value, now_us):
        if _REG_P_MSB <= reg <= _REG_T_LSB:
            return  # read-only output registers
        self.regs[reg] = value
        if reg == _REG_CMD:
            self._start(value, now_us)
