# Pressure sensor status codes shared by every driver, and the driver factory.
#
# A driver's sample() returns one of these once per control tick:
#   OK          a fresh value (a conversion finished since the last sample)
#   BUSY        no new conversion since the last sample; the value is stale
#   BUS_ERROR   the I2C transfer failed (NACK, timeout: an OSError)
#   IMPLAUSIBLE the data is impossible (raw outside the part's rated span, or
#               similar); the value attributes keep their last good reading
from micropython import const

OK = const(0)
BUSY = const(1)
BUS_ERROR = const(2)
IMPLAUSIBLE = const(3)

STATUS_NAMES = ("OK", "BUSY", "BUS_ERROR", "IMPLAUSIBLE")
KINDS = ("xgzp6897d",)


def make_sensor(kind, i2c, address, k, full_scale_pa=None):
    """Driver object for sensor `kind` on bus `i2c` (created by the caller
    with a timeout). address None means the part's default address; k is the
    part's pressure scale factor (counts per Pa)."""
    if kind == "xgzp6897d":
        from xgzp6897d import XGZP6897D, DEFAULT_ADDRESS

        return XGZP6897D(i2c, DEFAULT_ADDRESS if address is None else address, k, full_scale_pa)
    raise ValueError("unknown pressure sensor kind %r (supported: %s)" % (kind, ", ".join(KINDS)))
