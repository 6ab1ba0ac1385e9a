# Tests of the XGZP6897D firmware driver against its byte-level emulation.
#
# Run: .venv/bin/micropython tools/testing/mpy_unittest.py firmware/tests/test_xgzp6897d.py
# Uses a tiny bus (testbus.py beside this file, not the sim's machine module)
# that dispatches to the emulator, raises OSError(EIO) on NACK and
# OSError(ETIMEDOUT) when the target holds the bus, and keeps its own
# microsecond clock; sensorrig.py, what the sensor tests share.
import drivers
import sensor
from i2c_emu import I2CTargetEmu
from sensor import BUS_ERROR, BUSY, IMPLAUSIBLE, OK
from sensorrig import NOISE, TICK_US, assert_begin_raises, assert_bus_held, assert_nacks_keep_reading, assert_reads, locked_samples, rig, tick
from testbus import TestBus
from xgzp6897d import XGZP6897D
from xgzp6897d_emu import Xgzp6897dEmu, conversion_us


def make(seed=1, noise=NOISE, **kw):
    emu = Xgzp6897dEmu(seed, noise_pa=noise, **kw)
    if not noise:
        emu.temperature_noise_c = 0.0
    return rig(emu, XGZP6897D)


def settle(bus, drv, gauge, n=3):
    st = None
    for _ in range(n):
        st = tick(bus, drv, gauge)
    return st


# ---- begin / configuration ----------------------------------------------------
def test_begin_sets_512x_and_preserves_factory_bits():
    emu = Xgzp6897dEmu(1)
    emu.regs[0xA6] = 0xE8  # factory bits set, OSR_P 000 (1024x)
    rig(emu, XGZP6897D)
    assert emu.regs[0xA6] == 0xED, hex(emu.regs[0xA6])


def test_begin_raises_when_absent():
    emu = Xgzp6897dEmu(1)
    emu.connected = False
    assert_begin_raises(emu, XGZP6897D, "begin() must raise OSError when the part NACKs")


def test_chosen_conversion_fits_control_period():
    # the driver's 512x combined conversion per the emulator's timing model
    assert conversion_us(2, 0b101) * 2 <= TICK_US, conversion_us(2, 0b101)


# ---- readings -----------------------------------------------------------------
def test_readings_across_range():
    emu, bus, drv = make(seed=7)
    tol = 5 * NOISE + 1
    for g in (-100000, -99000, -75000, -30000, -1234.5, -20, 0, 7, 512, 45000, 99000, 100000):
        assert settle(bus, drv, g) == OK
        for _ in range(5):
            assert tick(bus, drv) == OK
            assert abs(drv.gauge_pa - g) <= tol, (g, drv.gauge_pa)
            assert isinstance(drv.gauge_pa, int)
            assert abs(drv.temperature_cx100 - 2500) <= 10, drv.temperature_cx100
    assert drv.errors == 0


def test_quantisation_to_1_over_k():
    emu, bus, drv = make(noise=0.0)
    g = -1000.25  # exactly representable: raw = -64016
    settle(bus, drv, g)
    assert drv.raw_pressure == -64016, drv.raw_pressure
    r = emu.regs
    assert (r[6], r[7], r[8]) == (0xFF, 0x05, 0xF0), (r[6], r[7], r[8])
    assert (r[9], r[10]) == (0x19, 0x00)  # 25 degC * 256 = 0x1900
    assert drv.gauge_pa == -1000
    assert drv.temperature_cx100 == 2500


def _pa_for_raw(emu, bus, drv, raw):
    emu.forced_raw_p = raw
    assert settle(bus, drv, 0.0, 2) == OK
    return drv.gauge_pa


def test_rounding_half_away_from_zero():
    emu, bus, drv = make(noise=0.0)
    cases = (
        (-97, -2),
        (-96, -2),  # -1.5 -> -2
        (-95, -1),
        (-33, -1),
        (-32, -1),  # -0.5 -> -1
        (-31, 0),
        (-1, 0),
        (0, 0),
        (31, 0),
        (32, 1),
        (96, 2),
        (95, 1),
        (-6400000, -100000),
        (-6399969, -100000),  # -99999.515625
        (-6399968, -100000),  # -99999.5
        (-6399967, -99999),  # -99999.484375
        (6399968, 100000),
    )
    for raw, want in cases:
        got = _pa_for_raw(emu, bus, drv, raw)
        assert got == want, (raw, got, want)


def test_negative_temperature_rounding():
    emu, bus, drv = make(noise=0.0)
    for raw_t, want in ((-128, -50), (-1, 0), (-2, -1), (-3, -1), (-256 * 20 - 1, -2000), (-1283, -501), (1283, 501)):
        emu.forced_raw_t = raw_t
        assert settle(bus, drv, -5000.0, 2) == OK
        assert drv.temperature_cx100 == want, (raw_t, drv.temperature_cx100, want)


# ---- pipelining -------------------------------------------------------------
def test_pipelining_busy_then_ok():
    emu = Xgzp6897dEmu(3, noise_pa=0.0)
    bus = TestBus(emu)
    drv = XGZP6897D(bus)
    drv.begin()
    bus.run(TICK_US, -20000.0)
    assert drv.sample() == BUSY  # nothing pending yet: starts the first conversion
    assert emu.converting
    assert drv.sample() == BUSY  # no time has passed: Sco still set
    bus.run(1000)
    assert drv.sample() == BUSY
    bus.run(1100)  # 2.1 ms after the start: the ~2.02 ms conversion is done
    assert not emu.converting  # the emulator finished it in advance()
    assert drv.sample() == OK
    assert drv.gauge_pa == -20000
    assert drv.sample() == BUSY  # the conversion just started is not done yet
    assert drv.gauge_pa == -20000


def test_each_sample_returns_previous_ticks_conversion():
    emu, bus, drv = make(noise=0.0)
    settle(bus, drv, -10000.0)
    assert drv.gauge_pa == -10000
    # A conversion starts at this sample; the pressure changes 3 ms later,
    # after that conversion ended.
    bus.run(3000, -10000.0)
    bus.run(2000, -40000.0)
    assert drv.sample() == OK
    assert drv.gauge_pa == -10000  # the conversion started on the previous call
    assert tick(bus, drv) == OK
    assert drv.gauge_pa == -40000


# ---- bus faults -------------------------------------------------------------------
def test_nack_bus_error_and_recovery():
    emu, bus, drv = make()
    settle(bus, drv, -30000)
    assert drv.errors == 0
    assert_nacks_keep_reading(emu, bus, drv, 5)
    assert tick(bus, drv, -45000) == BUSY  # restarts the pipeline
    assert tick(bus, drv) == OK
    assert_reads(drv, -45000, 1)
    assert drv.errors == 5


def test_reconfigures_after_power_cycle():
    emu, bus, drv = make()
    settle(bus, drv, -30000)
    emu.connected = False
    assert tick(bus, drv) == BUS_ERROR
    emu.power_on_reset()  # the part lost power: OSR_P back to default
    assert emu.regs[0xA6] & 7 == 0
    emu.connected = True
    assert tick(bus, drv) == BUSY
    assert emu.regs[0xA6] & 7 == 0b101
    assert tick(bus, drv) == OK


def test_timeout_bus_error_and_recovery():
    emu, bus, drv = make()
    settle(bus, drv, -60000)
    assert_bus_held(emu, bus, drv, 2)
    assert drv.errors == 2
    assert tick(bus, drv) == BUSY
    assert tick(bus, drv) == OK
    assert_reads(drv, -60000, 1)


def test_scan_reflects_faults():
    emu = Xgzp6897dEmu(1)
    bus = TestBus(emu)
    assert bus.scan() == [0x6D]
    emu.connected = False
    assert bus.scan() == []


# ---- sensor faults ------------------------------------------------------------
def test_stuck_output():
    emu, bus, drv = make()
    settle(bus, drv, -20000)
    frozen = drv.gauge_pa
    emu.stuck = True
    for g in (-25000, -50000, -80000, 0):
        assert settle(bus, drv, g, 2) == OK  # Sco still behaves
        assert drv.gauge_pa == frozen, (g, drv.gauge_pa)
    emu.stuck = False
    settle(bus, drv, -70000, 2)
    assert_reads(drv, -70000, 1)


def test_offset():
    emu, bus, drv = make()
    emu.offset_pa = 1500.0
    for g in (-50000, 0):
        settle(bus, drv, g)
        assert_reads(drv, g + 1500, 1)


def test_saturation_at_full_scale():
    emu, bus, drv = make()
    settle(bus, drv, 0)
    for g, want in ((-150000, -100000), (-100500, -100000), (130000, 100000)):
        for _ in range(4):
            assert tick(bus, drv, g) == OK
            assert drv.gauge_pa == want, (g, drv.gauge_pa)


def test_implausible_raw():
    emu, bus, drv = make(noise=0.0)
    settle(bus, drv, -12345)
    good = drv.gauge_pa
    errors = drv.errors
    for raw in (110000 * 64, -106000 * 64, -(1 << 23), (1 << 23) - 1):
        emu.forced_raw_p = raw
        assert settle(bus, drv, -12345, 2) == IMPLAUSIBLE, raw
        assert drv.gauge_pa == good
    assert drv.errors > errors
    emu.forced_raw_p = 104000 * 64  # within full scale + 5 %
    assert settle(bus, drv, 0, 2) == OK
    assert drv.gauge_pa == 104000
    emu.forced_raw_p = None
    emu.forced_raw_t = 0x7FFF  # 128 degC: impossible temperature
    assert settle(bus, drv, -500, 2) == IMPLAUSIBLE
    emu.forced_raw_t = None
    assert settle(bus, drv, -500, 2) == OK
    assert drv.gauge_pa == -500


def test_full_scale_follows_k():
    emu = Xgzp6897dEmu(1, k=128, noise_pa=0.0, full_scale_pa=50000)
    bus = TestBus(emu)
    drv = XGZP6897D(bus, k=128)
    drv.begin()
    assert drv.full_scale_pa == 50000
    settle(bus, drv, -49999.5)
    assert drv.gauge_pa == -50000  # -49999.5 -> -50000 (half away from zero)
    emu.forced_raw_p = 53000 * 128
    assert settle(bus, drv, 0, 2) == IMPLAUSIBLE


# ---- determinism ----------------------------------------------------------------
def _series(seed):
    emu, bus, drv = make(seed=seed)
    out = []
    for i in range(30):
        tick(bus, drv, -40000.0 + 100 * i)
        out.append(drv.raw_pressure)
    return out


def test_deterministic_noise():
    a = _series(42)
    assert a == _series(42)
    assert a != _series(43)
    assert len(set(a)) > 20  # there is noise
    # noise magnitude is about noise_pa
    emu, bus, drv = make(seed=5)
    settle(bus, drv, -10000.0)
    n = 200
    s = 0
    for _ in range(n):
        tick(bus, drv, -10000.0)
        d = drv.gauge_pa + 10000
        s += d * d
    rms = (s / n) ** 0.5
    assert 0.7 * NOISE < rms < 1.3 * NOISE, rms


# ---- allocation ------------------------------------------------------------------
def test_sample_does_not_allocate_normal_path():
    emu, bus, drv = make()
    settle(bus, drv, -33000)
    counts = locked_samples(bus, drv, 500, TICK_US)
    assert counts[OK] == 500, counts
    counts = locked_samples(bus, drv, 100, 0)  # BUSY path
    assert counts[BUSY] == 100, counts


def test_sample_does_not_allocate_fault_paths():
    emu, bus, drv = make()
    settle(bus, drv, -33000)
    emu.connected = False
    counts = locked_samples(bus, drv, 300, TICK_US)
    assert counts[BUS_ERROR] == 300, counts
    emu.connected = True
    emu.hold_bus = True
    counts = locked_samples(bus, drv, 100, TICK_US)
    assert counts[BUS_ERROR] == 100, counts
    emu.hold_bus = False
    counts = locked_samples(bus, drv, 100, TICK_US)  # recovery, reconfigure
    assert counts[BUSY] == 1 and counts[OK] == 99, counts
    emu.forced_raw_p = 120000 * 64
    bus.run(TICK_US)
    counts = locked_samples(bus, drv, 100, TICK_US)
    assert counts[IMPLAUSIBLE] == 100, counts


# ---- emulator details ---------------------------------------------------------------
def test_emu_registers_before_conversion_and_config_rw():
    emu = Xgzp6897dEmu(9)
    bus = TestBus(emu)
    buf = bytearray(5)
    bus.readfrom_mem_into(0x6D, 0x06, buf)
    assert buf == bytearray(5)
    one = bytearray(1)
    for reg, v in ((0xA5, 0x5A), (0xA6, 0x23)):
        one[0] = v
        bus.writeto_mem(0x6D, reg, one)
        one[0] = 0
        bus.readfrom_mem_into(0x6D, reg, one)
        assert one[0] == v
    one[0] = 0x12
    bus.writeto_mem(0x6D, 0x06, one)  # output registers are read-only
    bus.readfrom_mem_into(0x6D, 0x06, buf)
    assert buf == bytearray(5)


def test_emu_sco_timing_follows_osr():
    emu = Xgzp6897dEmu(9, noise_pa=0.0)
    bus = TestBus(emu)
    one = bytearray(1)
    for osr, t_us in ((0b000, 3048), (0b100, 1512), (0b001, 5096)):
        one[0] = osr
        bus.writeto_mem(0x6D, 0xA6, one)
        assert conversion_us(2, osr) == t_us
        one[0] = 0x0A
        bus.writeto_mem(0x6D, 0x30, one)
        start = bus.now_us
        bus.now_us = start + t_us - 1
        bus.readfrom_mem_into(0x6D, 0x30, one)
        assert one[0] == 0x0A
        bus.now_us = start + t_us
        bus.readfrom_mem_into(0x6D, 0x30, one)
        assert one[0] == 0x02
        bus.now_us += 1000


def test_emu_single_modes_and_sleep_mode():
    emu = Xgzp6897dEmu(9, noise_pa=0.0)
    emu.temperature_noise_c = 0.0
    bus = TestBus(emu)
    one = bytearray(1)
    buf = bytearray(5)
    bus.run(1000, -2000.0)
    one[0] = 0x08  # single temperature
    bus.writeto_mem(0x6D, 0x30, one)
    bus.run(1000)
    bus.readfrom_mem_into(0x6D, 0x06, buf)
    assert buf == bytearray((0, 0, 0, 0x19, 0))
    one[0] = 0x09  # single pressure
    bus.writeto_mem(0x6D, 0x30, one)
    bus.run(3000)
    bus.readfrom_mem_into(0x6D, 0x06, buf)
    assert buf[:3] == bytearray((0xFE, 0x0C, 0x00))  # -2000 * 64 = -128000
    # sleep mode, sleep_time 1 (62.5 ms): periodic conversions, Sco stays set
    n0 = emu.conversions
    one[0] = 0x1B
    bus.writeto_mem(0x6D, 0x30, one)
    bus.run(1000 * 1000, -3000.0)
    n = emu.conversions - n0
    assert 14 <= n <= 16, n  # 1 s / (62.5 ms + 3.05 ms)
    bus.readfrom_mem_into(0x6D, 0x30, one)
    assert one[0] & 0x08
    bus.readfrom_mem_into(0x6D, 0x06, buf)
    assert buf[:3] == bytearray((0xFD, 0x12, 0x00))  # -192000
    one[0] = 0x00  # stop
    bus.writeto_mem(0x6D, 0x30, one)
    n0 = emu.conversions
    bus.run(200 * 1000)
    assert emu.conversions == n0


def test_base_class_register_file():
    d = I2CTargetEmu(0x20)
    d.write_raw(bytearray((0xFE, 1, 2, 3)), 0)  # pointer 0xFE, wraps to 0x00
    assert (d.regs[0xFE], d.regs[0xFF], d.regs[0x00]) == (1, 2, 3)
    assert d.pointer == 0x01
    d.write_raw(bytearray((0xFE,)), 0)  # set pointer only
    buf = bytearray(3)
    d.read_raw_into(buf, 0)
    assert buf == bytearray((1, 2, 3))
    d.write_reg(0x10, bytearray((9, 8)), 0)
    d.read_reg_into(0x10, buf, 0)
    assert buf == bytearray((9, 8, 0))
    d.advance(0, -1.0)  # default: no-op


def test_make_sensor():
    emu = Xgzp6897dEmu(1)
    drv = drivers.make_sensor("xgzp6897d", TestBus(emu), 0x6D, 64)
    assert isinstance(drv, XGZP6897D)
    assert drv.address == 0x6D and drv.k == 64 and drv.full_scale_pa == 100000
    drv.begin()
    try:
        drivers.make_sensor("bmp999", TestBus(emu), 0x76, 64)
    except ValueError as e:
        assert "bmp999" in str(e) and "xgzp6897d" in str(e), str(e)
    else:
        raise AssertionError("unknown kind must raise ValueError")
