# Pressure sensor status codes shared by every driver, the ambient reference of absolute sensors and the two-point calibration.
#
# A driver's sample() returns one of these once per control tick:
#   OK          a fresh value (a conversion finished since the last sample)
#   BUSY        no new conversion since the last sample; the value is stale
#   BUS_ERROR   the I2C transfer failed (NACK, timeout: an OSError)
#   IMPLAUSIBLE the data is impossible (raw outside the part's rated span, a
#               status error bit, or similar); the value attributes keep
#               their last good reading
# Every driver exposes gauge_pa (int Pa, negative below ambient) and errors.
# Absolute drivers (MPRLS, BMP280) also expose absolute_pa and derive
# gauge_pa from an AmbientReference (below).
from micropython import const

OK = const(0)
BUSY = const(1)
BUS_ERROR = const(2)
IMPLAUSIBLE = const(3)

STATUS_NAMES = ("OK", "BUSY", "BUS_ERROR", "IMPLAUSIBLE")

class Pipelined:
    """sample() of a part addressed by register that converts on its own
    (BMP280, XGZP6897D): it reads the conversion the previous call started,
    once the status register's busy bits have cleared, and starts the next;
    after a bus error the next call first re-applies the configuration (the
    part may have been power-cycled). No allocation, no busy-wait.

    A driver sets _STATUS_REG, _BUSY_BITS and _DATA_REG in its class; _i2c,
    address, errors, _pending, _need_config and the buffers _scratch (1 byte),
    _data and _go ([register, value] that starts a conversion) in __init__;
    and has _configure() and _decode() (OK or IMPLAUSIBLE)."""

    def sample(self):
        """One control tick: returns OK, BUSY, BUS_ERROR or IMPLAUSIBLE."""
        i2c = self._i2c
        addr = self.address
        status = BUSY
        try:
            if self._need_config:
                self._configure()
            if self._pending:
                i2c.readfrom_mem_into(addr, self._STATUS_REG, self._scratch)
                if self._scratch[0] & self._BUSY_BITS:
                    return BUSY  # still converting: read it next tick
                i2c.readfrom_mem_into(addr, self._DATA_REG, self._data)
                self._pending = False
                status = self._decode()
            i2c.writeto(addr, self._go)
            self._pending = True
        except OSError:
            self._pending = False
            self._need_config = True
            self.errors += 1
            return BUS_ERROR
        if status == IMPLAUSIBLE:
            self.errors += 1
        return status


# Ambient reference of an absolute sensor.
ZERO_SAMPLES = const(16)  # boot zero: mean of this many fresh samples (80 ms at 200 Hz)
DRIFT_STEP_PA = const(1)  # idle tracking moves the reference at most this per sample
DRIFT_LIMIT_PA = const(2_000)  # and never further than this from the boot zero
# Tracking starts after this many consecutive fresh vented samples (3 s at
# 100 Hz fresh data): a released cup has vented to ambient by then.
SETTLE_SAMPLES = const(300)
AMBIENT_MIN_PA = const(50_000)  # a plausible ambient (about 5500 m altitude)
AMBIENT_MAX_PA = const(110_000)


class AmbientReference:
    """Ambient pressure for an absolute sensor: gauge = absolute - ambient.

    Zeroed at boot from the first ZERO_SAMPLES fresh readings, which the
    firmware takes with the outputs in their safe state (pump off, vent open:
    the chamber is at ambient). Until then gauge() is 0, which is what the
    vented chamber really is. During long sessions the barometric pressure
    and the sensor's offset drift; track() follows them, but only after
    SETTLE_SAMPLES consecutive fresh samples taken idle and vented, by at
    most DRIFT_STEP_PA per sample and never more than DRIFT_LIMIT_PA from
    the boot zero, so a wrong call cannot hide a real vacuum. Integers only, no allocation.
    An implausible boot ambient (a vacuum held through a reset, a broken part)
    is refused: zeroed stays False and the owner reports IMPLAUSIBLE."""

    def __init__(self):
        self.ambient_pa = 0
        self.boot_pa = 0
        self.zeroed = False
        self._n = 0
        self._sum = 0  # <= 16 x 110 000: a small int
        self._settle = 0

    def restart(self):
        self.zeroed = False
        self._n = 0
        self._sum = 0

    def feed(self, absolute_pa):
        """One fresh sample: returns the gauge pressure (0 while zeroing), or
        None if the boot zero came out implausible."""
        if self.zeroed:
            return absolute_pa - self.ambient_pa
        self._sum += absolute_pa
        self._n += 1
        if self._n >= ZERO_SAMPLES:
            a = (self._sum + ZERO_SAMPLES // 2) // ZERO_SAMPLES
            if a < AMBIENT_MIN_PA or a > AMBIENT_MAX_PA:
                self.restart()
                return None
            self.ambient_pa = a
            self.boot_pa = a
            self.zeroed = True
        return 0

    def set(self, ambient_pa):
        """An external reference (second sensor on the ambient side)."""
        self.ambient_pa = ambient_pa
        self.boot_pa = ambient_pa
        self.zeroed = True

    def track(self, absolute_pa, vented=True):
        """One fresh sample; vented: the firmware is idle with the pump off
        and the vent open. Follows drift by one bounded step once settled."""
        if not vented or not self.zeroed:
            self._settle = 0
            return
        if self._settle < SETTLE_SAMPLES:
            self._settle += 1
            return
        a = self.ambient_pa
        if absolute_pa > a:
            a += DRIFT_STEP_PA
        elif absolute_pa < a:
            a -= DRIFT_STEP_PA
        lo = self.boot_pa - DRIFT_LIMIT_PA
        hi = self.boot_pa + DRIFT_LIMIT_PA
        self.ambient_pa = lo if a < lo else hi if a > hi else a


# Two-point calibration of the measured vacuum, applied in the control tick.
CAL_MAX_OFFSET_PA = const(5_000)
CAL_GAIN_MIN_PPM = const(900_000)  # 0.9 .. 1.1: a larger error is a wrong part
CAL_GAIN_MAX_PPM = const(1_100_000)


class Calibration:
    """true = measured + offset + measured x gain_delta / 65536.

    Set from two reference points (e.g. 0 Pa with the port open and a
    reference gauge at 50 kPa) with set_two_point(), or directly with
    set(offset_pa, gain_ppm). The gain is held as a Q16 correction bounded to
    +-10 %, so measured x gain_delta stays < 2**30 for |measured| < 160 kPa:
    apply() is integer-only and allocation-free."""

    def __init__(self):
        self.offset_pa = 0
        self.gain_delta_q16 = 0

    def set(self, offset_pa, gain_ppm=1_000_000):
        if not isinstance(offset_pa, int) or not isinstance(gain_ppm, int):
            raise ValueError("calibration offset_pa and gain_ppm must be integers")
        if not -CAL_MAX_OFFSET_PA <= offset_pa <= CAL_MAX_OFFSET_PA:
            raise ValueError("calibration offset %d Pa is outside +-%d Pa" % (offset_pa, CAL_MAX_OFFSET_PA))
        if not CAL_GAIN_MIN_PPM <= gain_ppm <= CAL_GAIN_MAX_PPM:
            raise ValueError("calibration gain %d ppm is outside %d..%d ppm" % (gain_ppm, CAL_GAIN_MIN_PPM, CAL_GAIN_MAX_PPM))
        self.offset_pa = offset_pa
        # (gain - 1) x 65536, rounded; |delta| <= 6554
        self.gain_delta_q16 = ((gain_ppm - 1_000_000) * 65536 + 500_000) // 1_000_000

    def set_two_point(self, measured_a, true_a, measured_b, true_b):
        """Vacuum (Pa) the sensor reported vs the reference, at two points."""
        if measured_a == measured_b:
            raise ValueError("calibration points need two different measured values")
        gain_ppm = (true_b - true_a) * 1_000_000 // (measured_b - measured_a)
        offset = true_a - measured_a - (measured_a * (gain_ppm - 1_000_000)) // 1_000_000
        self.set(int(offset), int(gain_ppm))

    def gain_ppm(self):
        return 1_000_000 + self.gain_delta_q16 * 1_000_000 // 65536

    def apply(self, measured_pa):
        return measured_pa + self.offset_pa + ((measured_pa * self.gain_delta_q16) >> 16)
