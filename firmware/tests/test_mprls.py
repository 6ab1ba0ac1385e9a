# Tests of the MPRLS firmware driver against its byte-level emulation.
#
# Run: .venv/bin/micropython tools/testing/mpy_unittest.py firmware/tests/test_mprls.py
from mprls import MPRLS, OUTPUT_MAX, OUTPUT_MIN
from mprls_emu import MprlsEmu
from sensor import BUS_ERROR, BUSY, DRIFT_LIMIT_PA, IMPLAUSIBLE, OK, SETTLE_SAMPLES, ZERO_SAMPLES
from sensorrig import AMBIENT, NOISE, assert_begin_raises, assert_bus_held, assert_fresh_reading, assert_nacks_keep_reading, assert_stuck_output_frozen, fresh, locked_samples, makers


make, zeroed = makers(MprlsEmu, MPRLS)


def test_transfer_function_end_points():
    emu, bus, drv = make()
    assert drv.counts_to_pa(OUTPUT_MIN) == 0
    assert abs(drv.counts_to_pa(OUTPUT_MAX) - 172369) <= 1
    for pa in (30000, 71000, 101325, 150000):
        c, sat = emu.counts_for(pa)
        assert not sat
        assert abs(drv.counts_to_pa(c) - pa) <= 1, (pa, drv.counts_to_pa(c))


def test_begin_raises_when_absent():
    emu = MprlsEmu(1)
    emu.connected = False
    assert_begin_raises(emu, MPRLS, "begin() must raise when the part NACKs")


def test_boot_zero_then_readings_across_range():
    emu, bus, drv = zeroed(seed=3)
    assert abs(drv.ref.ambient_pa - AMBIENT) <= 3 * NOISE / 4 + 1, drv.ref.ambient_pa
    tol = 5 * NOISE + 2
    for g in (0, -500, -5000, -16700, -30000, -50000, -71000, 2000):
        fresh(bus, drv, g)
        for _ in range(4):
            assert fresh(bus, drv, g) == OK
            assert abs(drv.gauge_pa - g) <= tol, (g, drv.gauge_pa)
            assert abs(drv.absolute_pa - (AMBIENT + g)) <= tol
    assert drv.errors == 0


def test_zeroing_reads_zero_and_refuses_implausible_ambient():
    emu, bus, drv = make()
    st = fresh(bus, drv, 0.0)
    assert st == OK and drv.gauge_pa == 0 and not drv.ref.zeroed
    # A part that reads 20 kPa absolute at boot (vacuum held, broken part):
    emu2, bus2, drv2 = make(ambient_pa=20000.0)
    sts = [fresh(bus2, drv2, 0.0) for _ in range(ZERO_SAMPLES + 2)]
    assert IMPLAUSIBLE in sts and not drv2.ref.zeroed, sts


def test_busy_bit_pipelining():
    emu, bus, drv = make(noise=0.0)
    assert drv.sample() == BUSY  # starts the first conversion
    assert emu.converting
    bus.run(2000)
    assert drv.sample() == BUSY  # busy bit still set
    assert drv.status_byte == 0 or drv.status_byte & 0x40
    bus.run(3000)
    assert drv.sample() == OK


def test_integrity_and_saturation_and_power_bits():
    for attr, value in (("integrity_error", True), ("unpowered_status", True)):
        emu, bus, drv = zeroed()
        setattr(emu, attr, value)
        assert fresh(bus, drv, -1000) == IMPLAUSIBLE, attr
        setattr(emu, attr, False)
        assert fresh(bus, drv, -1000) == OK
    emu, bus, drv = zeroed()
    last = drv.gauge_pa
    emu.ambient_pa = 180000.0  # beyond Pmax: the part sets math saturation
    assert fresh(bus, drv, 0) == IMPLAUSIBLE
    assert drv.status_byte & 0x01
    assert drv.gauge_pa == last
    emu.ambient_pa = AMBIENT
    assert fresh(bus, drv, 0) == OK


def test_out_of_range_counts_implausible():
    emu, bus, drv = zeroed(noise=0.0)
    for c in (0, 500_000, 16_000_000, (1 << 24) - 1):
        emu.forced_counts = c
        assert fresh(bus, drv, 0) == IMPLAUSIBLE, c
    emu.forced_counts = None
    assert fresh(bus, drv, 0) == OK


def test_nack_timeout_and_recovery():
    emu, bus, drv = zeroed()
    fresh(bus, drv, -20000)
    assert_nacks_keep_reading(emu, bus, drv, 4)
    assert_bus_held(emu, bus, drv)
    assert fresh(bus, drv, -40000) == OK
    assert_fresh_reading(bus, drv, -40000, 2)
    assert drv.errors == 5


def test_stuck_output_and_power_cycle():
    emu, bus, drv = zeroed()
    assert_stuck_output_frozen(emu, bus, drv, "raw_counts")
    emu.power_on_reset()  # the conversion in flight is lost: counts read 0
    assert fresh(bus, drv, -60000) == IMPLAUSIBLE
    assert_fresh_reading(bus, drv, -60000, 2)


def test_drift_tracking_is_bounded():
    emu, bus, drv = zeroed(noise=0.0)
    boot = drv.ref.ambient_pa
    emu.ambient_pa = AMBIENT + 300  # weather: +3 hPa
    for _ in range(100):  # not vented (a session runs): no tracking
        if fresh(bus, drv, 0) == OK:
            drv.track_ambient(False)
    assert drv.ref.ambient_pa == boot
    for _ in range(SETTLE_SAMPLES + 400):
        if fresh(bus, drv, 0) == OK:
            drv.track_ambient()
    assert abs(drv.ref.ambient_pa - (boot + 300)) <= 1, drv.ref.ambient_pa
    assert abs(drv.gauge_pa) <= 2
    emu.ambient_pa = AMBIENT - 10000  # far beyond any drift: bounded
    for _ in range(3000):
        if fresh(bus, drv, 0) == OK:
            drv.track_ambient()
    assert drv.ref.ambient_pa == boot - DRIFT_LIMIT_PA, drv.ref.ambient_pa


def test_sample_does_not_allocate():
    emu, bus, drv = zeroed()
    counts = [0, 0, 0, 0]
    for phase in range(3):
        emu.connected = phase != 1
        emu.integrity_error = phase == 2
        locked_samples(bus, drv, 200, counts=counts)
    assert counts[OK] > 50 and counts[BUS_ERROR] == 200 and counts[IMPLAUSIBLE] > 50, counts
