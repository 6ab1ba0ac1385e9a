# The pressure sensor drivers by name (board.SENSOR): the one module that
# knows them all. Apart from sensor.py, which every driver imports for its
# status codes, so that the imports run one way (docs/architecture.md).
KINDS = ("xgzp6897d", "mprls", "bmp280")


def make_sensor(kind, i2c, address, k=64, full_scale_pa=None):
    """Driver object for sensor `kind` on bus `i2c` (created by the caller
    with a timeout). address None means the part's default address; k is the
    XGZP6897D's pressure scale factor (counts per Pa); full_scale_pa the
    part's rated span (None: the driver's default part)."""
    if kind == "xgzp6897d":
        from xgzp6897d import XGZP6897D, DEFAULT_ADDRESS

        return XGZP6897D(i2c, DEFAULT_ADDRESS if address is None else address, k, full_scale_pa)
    if kind == "mprls":
        from mprls import MPRLS, DEFAULT_ADDRESS

        return MPRLS(i2c, DEFAULT_ADDRESS if address is None else address, full_scale_pa)
    if kind == "bmp280":
        from bmp280 import BMP280, DEFAULT_ADDRESS

        return BMP280(i2c, DEFAULT_ADDRESS if address is None else address)
    raise ValueError("unknown pressure sensor kind %r (supported: %s)" % (kind, ", ".join(KINDS)))
