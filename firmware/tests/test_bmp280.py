# Tests of the BMP280 firmware driver against its byte-level emulation.
#
# Run: .venv/bin/micropython tools/testing/mpy_unittest.py firmware/tests/test_bmp280.py
# The 31-bit bound of every intermediate is checked in CPython by
# hil_tests/test_sensor_arith.py (the Unix port's small ints are 63-bit).
import bmp280_emu
from bmp280 import BMP280, CTRL_FORCED
from bmp280_emu import Bmp280Emu, compensate_p, compensate_t_fine, conversion_us
from sensor import BUS_ERROR, BUSY, IMPLAUSIBLE, OK
from sensorrig import AMBIENT, NOISE, assert_begin_raises, assert_bus_held, assert_fresh_reading, assert_reads, assert_stuck_output_frozen, fresh, locked_samples, makers, tick
from testbus import TestBus

# A second, made-up but plausible trimming set (every sign exercised).
OTHER_TRIMMING = (28000, 26000, -980, 37000, -10500, 3100, 3000, -150, 8, 15000, -14000, 5000)

make, zeroed = makers(Bmp280Emu, BMP280)


def test_datasheet_example():
    # The datasheet's worked example: t_fine 128422, 25.08 degC.
    emu, bus, drv = make()
    assert drv.compensate_t_fine(519888) == 128422
    assert (128422 * 5 + 128) >> 8 == 2508
    assert drv.compensate_p(415148, 128422) == compensate_p(emu.cal, 415148, 128422)


def test_begin_reads_trimming_and_checks_id():
    emu, bus, drv = make(trimming=OTHER_TRIMMING)
    got = (drv.t1, drv.t2, drv.t3, drv.p1, drv.p2, drv.p3, drv.p4, drv.p5, drv.p6, drv.p7, drv.p8, drv.p9)
    assert got == OTHER_TRIMMING, got
    emu = Bmp280Emu(1)
    emu.chip_id = 0x60  # a BME280 answers: refused
    emu.power_on_reset()
    assert_begin_raises(emu, BMP280, "wrong chip id must raise")
    emu = Bmp280Emu(1)
    emu.connected = False
    assert_begin_raises(emu, BMP280, "absent part must raise")


def test_compensation_matches_reference_exactly():
    for cal in (bmp280_emu.DATASHEET_TRIMMING, OTHER_TRIMMING):
        emu, bus, drv = make(trimming=cal)
        n = 0
        for adc_t in range(380000, 700000, 9973):
            tf = compensate_t_fine(cal, adc_t)
            assert drv.compensate_t_fine(adc_t) == tf
            if not -204800 <= tf <= 435200:
                continue
            for adc_p in range(200000, 900000, 23117):
                ref = compensate_p(cal, adc_p, tf)
                got = drv.compensate_p(adc_p, tf)
                if 0 < ref <= 256000:
                    assert got == ref, (cal, adc_t, adc_p, got, ref)
                    n += 1
        assert n > 500, n


def test_readings_across_range():
    for cal in (bmp280_emu.DATASHEET_TRIMMING, OTHER_TRIMMING):
        emu, bus, drv = zeroed(seed=5, trimming=cal)
        assert abs(drv.ref.ambient_pa - AMBIENT) <= NOISE, drv.ref.ambient_pa
        for g in (0, -1000, -16700, -30000, -50000, -70000, 5000):
            fresh(bus, drv, g)
            for _ in range(3):
                assert_fresh_reading(bus, drv, g, 2)
                assert abs(drv.temperature_cx100 - 2500) <= 10
        assert drv.errors == 0


def test_quantisation_without_noise():
    emu, bus, drv = zeroed(noise=0.0)
    emu.temperature_noise_c = 0.0
    for g in (-12345.0, -40000.0):
        fresh(bus, drv, g)
        assert fresh(bus, drv, g) == OK
        assert abs(drv.absolute_pa - (AMBIENT + g)) <= 1, drv.absolute_pa


def test_conversion_time_and_measuring_bit():
    assert conversion_us(CTRL_FORCED) == 7500  # 1 + 2 x 1 + (2 x 2 + 0.5) ms
    emu, bus, drv = make(noise=0.0)
    assert drv.sample() == BUSY  # starts the first forced conversion
    assert emu.converting
    bus.run(5000)
    assert drv.sample() == BUSY  # measuring bit still set at 5 ms
    bus.run(2600)
    assert emu.regs[0xF4] & 3 == 0  # done: forced mode fell back to sleep
    assert drv.sample() == OK


def test_skipped_and_implausible_values():
    emu, bus, drv = zeroed(noise=0.0)
    last = drv.gauge_pa
    for fp, ft in ((0x80000, None), (None, 0x80000), (None, 0xFFFFF), (1000, None), (1048000, None)):
        emu.forced_adc_p = fp
        emu.forced_adc_t = ft
        assert fresh(bus, drv, 0) == IMPLAUSIBLE, (fp, ft)
        assert drv.gauge_pa == last
    emu.forced_adc_p = emu.forced_adc_t = None
    assert fresh(bus, drv, 0) == OK


def test_nack_timeout_power_cycle_recovery():
    emu, bus, drv = zeroed()
    emu.connected = False
    assert tick(bus, drv) == BUS_ERROR
    emu.power_on_reset()  # config lost; data registers back to 0x80000
    emu.regs[0xF5] = 0x5C
    emu.connected = True
    assert_bus_held(emu, bus, drv)
    fresh(bus, drv, -25000)  # restarts the pipeline
    assert emu.regs[0xF5] == 0  # config re-written after the bus error
    assert_fresh_reading(bus, drv, -25000, 2)
    assert drv.errors == 2


def test_stuck_output():
    emu, bus, drv = zeroed()
    assert_stuck_output_frozen(emu, bus, drv, "raw_p")
    fresh(bus, drv, -60000)
    assert_reads(drv, -60000, 2)


def test_normal_mode_emulated():
    emu = Bmp280Emu(2, noise_pa=0.0)
    bus = TestBus(emu)
    one = bytearray(1)
    one[0] = 0x27  # osrs_t x1, osrs_p x1, normal mode: 5.5 ms + 0.5 ms standby
    bus.writeto_mem(0x76, 0xF4, one)
    bus.run(60000, -1000.0)
    assert 9 <= emu.conversions <= 10, emu.conversions
    assert emu.regs[0xF4] == 0x27


def test_sample_does_not_allocate():
    emu, bus, drv = zeroed()
    counts = [0, 0, 0, 0]
    for phase in range(3):
        emu.connected = phase != 1
        emu.forced_adc_p = 0x80000 if phase == 2 else None
        if phase == 2:
            bus.run(10000)
        locked_samples(bus, drv, 200, counts=counts)
    assert counts[OK] > 50 and counts[BUS_ERROR] == 200 and counts[IMPLAUSIBLE] > 50, counts
