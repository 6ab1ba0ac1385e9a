# What the sensor-driver tests (test_bmp280.py, test_mprls.py,
# test_xgzp6897d.py) share: a driver begun on a TestBus (testbus.py) that
# holds its byte-level emulation, the control tick, and the ways of driving
# it: one tick, until a fresh reading, until the zero reference is taken,
# heap-locked samples, a begin() that must fail.
import micropython

from sensor import BUS_ERROR, BUSY, OK, ZERO_SAMPLES
from testbus import TestBus

TICK_US = 5000
NOISE = 20.0
AMBIENT = 101325.0


def rig(emu, driver_class):
    """(emu, bus, drv): the driver on a bus holding `emu`, begun."""
    bus = TestBus(emu)
    drv = driver_class(bus)
    drv.begin()
    return emu, bus, drv


def makers(emu_class, driver_class):
    """(make, zeroed) for a driver and its emulation at AMBIENT (unless
    ambient_pa= says otherwise): make(seed, noise, **emu_kw) -> (emu, bus,
    drv) begun; zeroed(...) the same after the boot zero."""

    def make(seed=1, noise=NOISE, **kw):
        kw.setdefault("ambient_pa", AMBIENT)
        return rig(emu_class(seed, noise_pa=noise, **kw), driver_class)

    def zeroed(seed=1, noise=NOISE, **kw):
        return zero(*make(seed, noise, **kw))

    return make, zeroed


def tick(bus, drv, gauge=None):
    """One control tick of time, then one sample: its status."""
    bus.run(TICK_US, gauge)
    return drv.sample()


def fresh(bus, drv, gauge=None, limit=6):
    """Tick until a fresh (non-BUSY) status; returns it."""
    for _ in range(limit):
        st = tick(bus, drv, gauge)
        if st != BUSY:
            return st
    return BUSY


def zero(emu, bus, drv):
    """Fresh readings at gauge 0 until the boot zero is taken (at most
    ZERO_SAMPLES + 2 of them); returns (emu, bus, drv)."""
    for _ in range(ZERO_SAMPLES + 2):
        if drv.ref.zeroed:
            break
        fresh(bus, drv, 0.0)
    assert drv.ref.zeroed
    return emu, bus, drv


def locked_samples(bus, drv, n, dt_us=TICK_US, counts=None):
    """n samples dt_us apart under heap_lock (any allocation raises), their
    statuses counted into `counts` (indexed by status; a new list if None)."""
    if counts is None:
        counts = [0, 0, 0, 0]
    micropython.heap_lock()
    try:
        for _ in range(n):
            bus.now_us += dt_us
            counts[drv.sample()] += 1
    finally:
        micropython.heap_unlock()
    return counts


def assert_begin_raises(emu, driver_class, why):
    """begin() of a driver on a bus holding `emu` raises OSError."""
    try:
        driver_class(TestBus(emu)).begin()
    except OSError:
        pass
    else:
        raise AssertionError(why)


def assert_nacks_keep_reading(emu, bus, drv, n):
    """The part absent (NACK) for n ticks: each a BUS_ERROR counted in
    drv.errors, the last good reading kept; the part is back after."""
    last = drv.gauge_pa
    errors = drv.errors
    emu.connected = False
    for i in range(n):
        assert tick(bus, drv) == BUS_ERROR
        assert drv.errors == errors + i + 1
        assert drv.gauge_pa == last
    emu.connected = True


def assert_stuck_output_frozen(emu, bus, drv, raw):
    """The part's output stuck from gauge -20 kPa: fresh readings at -30 and
    -60 kPa are OK but the driver's raw value (attribute `raw`) stays frozen;
    the part unstuck after."""
    fresh(bus, drv, -20000)
    frozen = getattr(drv, raw)
    emu.stuck = True
    for g in (-30000, -60000):
        assert fresh(bus, drv, g) == OK
        assert getattr(drv, raw) == frozen
    emu.stuck = False


def assert_bus_held(emu, bus, drv, ticks=1):
    """The part holding the bus (a timeout) for ticks: each a BUS_ERROR;
    the bus free after."""
    emu.hold_bus = True
    for _ in range(ticks):
        assert tick(bus, drv) == BUS_ERROR
    emu.hold_bus = False


def assert_reads(drv, gauge, slack):
    """The driver's gauge reading within 5 sigma of the noise + slack of gauge."""
    assert abs(drv.gauge_pa - gauge) <= 5 * NOISE + slack, (gauge, drv.gauge_pa)


def assert_fresh_reading(bus, drv, gauge, slack):
    """The next fresh sample at gauge is OK and reads within 5 sigma + slack."""
    assert fresh(bus, drv, gauge) == OK
    assert_reads(drv, gauge, slack)
