# Unit tests of the laser interlock (firmware/laser.py), in MicroPython: a
# fake applicator (the attributes and methods of auxout.AuxOutputs, no pins)
# driven tick by tick at 200 Hz, every tick under heap_lock, as in the
# firmware. Each test names the condition it takes away and checks that the
# laser is off in that very tick.
import micropython

import alarms
import laser
import laser_programs
import programs

programs.extend(laser_programs.PROGRAMS)  # as channels.make_applicator does on a laser board

P = 5  # ms per tick
from outputs import FULL


class FakeAux:
    """What laser.Applicator uses of auxout.AuxOutputs; the 'hardware'
    state is set by the test: closed (switch), stuck (emission whatever the
    command), turning (tachometer pulses each tick)."""

    def __init__(self, switch=True, sense=True, tach_hz=200, power=True):
        self.has_laser = True
        self.has_rollers = True
        self.has_power = power
        self.has_switch = switch
        self.has_sense = sense
        self.tach_hz = tach_hz
        self.keepalive = True
        self.pulses = 0
        self.laser_u16 = 0
        self.armed = False
        self.roller_u16 = 0
        self.closed = True
        self.stuck = False
        self.dead = False  # the source does not light
        self.turning = True
        self.laser_writes = 0

    def laser_off(self):
        self.laser_u16 = 0

    def laser_on(self, p):
        self.laser_u16 = p
        self.laser_writes += 1

    def arm(self, on):
        self.armed = on

    def set_roller(self, d):
        self.roller_u16 = d

    def safe(self):
        self.laser_u16 = 0
        self.armed = False
        self.roller_u16 = 0

    def switch_closed(self):
        return not self.has_switch or self.closed

    def emitting(self):
        # the light of the last tick's command (a healthy driver is instant)
        if self.stuck and self.armed:
            return True
        return self.laser_u16 > 0 and self.armed and not self.dead

    def tick_hardware(self):
        if self.turning and self.roller_u16:
            self.pulses = (self.pulses + 1) & 0x3FFFFFFF  # 200 Hz pulses at any speed: plenty


def _prog(name="roller_laser"):
    return programs.find(name)


def _values(**over):
    v = {"target": 20_000, "contact": 10_000, "prove": 1_000, "speed": 50, "power": 50, "laser_time": 600_000, "ramp": 0, "duration": 600_000}
    v.update(over)
    return v


def _app(aux=None, **over):
    aux = aux or FakeAux()
    a = laser.Applicator(aux, P)
    a.start(_prog(), _values(**over))
    return a, aux


def _run(a, aux, n, v=20_000, fresh=True, alarm_bits=0, running=True):
    """n ticks (heap-locked); returns (list of laser on per tick, alarm bits
    raised, tick index of the first raise or -1)."""
    on = [False] * n  # (allocated before the lock)
    raised = 0
    first = -1
    micropython.heap_lock()
    try:
        for i in range(n):
            aux.tick_hardware()
            r = a.gate(v(i) if callable(v) else v, fresh, alarm_bits, running)
            if r and first < 0:
                first = i
            raised |= r
            on[i] = aux.laser_u16 > 0
    finally:
        micropython.heap_unlock()
    return on, raised, first


def _proven(**over):
    a, aux = _app(**over)
    on, raised, _ = _run(a, aux, 300)
    assert on[-1] and not raised, (raised, a.reason)
    return a, aux


def test_never_on_before_the_proving_time_then_on():
    a, aux = _app()
    on, raised, _ = _run(a, aux, 300)
    assert raised == 0
    first = on.index(True)
    # 1 s of steady contact (200 ticks) after the rollers spun up (300 ms, inside it)
    assert first == 199, first
    assert not any(on[:first])
    assert aux.armed and aux.roller_u16 == 50 * FULL // 100
    assert aux.laser_u16 == 50 * FULL // 100
    assert a.reason == laser.ON


def test_proving_restarts_while_the_vacuum_still_moves():
    a, aux = _app()
    # rising 100 Pa per tick (20 kPa/s) from 10 kPa: it leaves the 4 kPa
    # band every 41 ticks, so it is never proven while it rises
    on, _, _ = _run(a, aux, 400, v=lambda i: 10_000 + 100 * i)
    assert not any(on)
    # then steady: proven 1 s after the last restart (at most 40 ticks ago)
    on, _, _ = _run(a, aux, 200, v=50_000)
    assert 159 <= on.index(True) <= 199, on.index(True)


def test_below_the_contact_threshold_off_in_the_same_tick():
    a, aux = _proven()
    on, _, _ = _run(a, aux, 1, v=9_999)
    assert on == [False] and a.reason == laser.OFF_VACUUM
    # at the threshold again: a new proof, then the switch must be seen open
    # once (contact lost by vacuum while the switch read closed)
    on, _, _ = _run(a, aux, 400)
    assert not any(on) and a.reason == laser.OFF_RELEASE
    aux.closed = False
    on, _, _ = _run(a, aux, 1)
    assert on == [False] and a.reason == laser.OFF_SWITCH
    aux.closed = True
    on, _, _ = _run(a, aux, 200)
    assert on[-1] and not any(on[:-1])


def test_without_a_switch_the_vacuum_alone_decides():
    a, aux = _proven(aux=FakeAux(switch=False))
    on, _, _ = _run(a, aux, 1, v=5_000)
    assert on == [False] and a.reason == laser.OFF_VACUUM
    on, _, _ = _run(a, aux, 200)
    assert on[-1] and not any(on[:-1])  # no switch to wait for: proven again


def test_switch_open_off_in_the_same_tick():
    a, aux = _proven()
    aux.closed = False
    on, _, _ = _run(a, aux, 1)
    assert on == [False] and a.reason == laser.OFF_SWITCH
    aux.closed = True
    on, _, _ = _run(a, aux, 199)
    assert not any(on)  # proven again first


def test_any_alarm_off_in_the_same_tick_even_a_low_one():
    for bit in (alarms.A_OVERRUN, alarms.A_LEAK, alarms.A_SENSOR, alarms.A_INTERRUPTED):
        a, aux = _proven()
        on, _, _ = _run(a, aux, 1, alarm_bits=bit)
        assert on == [False] and a.reason == laser.OFF_ALARM, bit


def test_a_stale_sample_off_and_a_new_proof():
    a, aux = _proven()
    on, _, _ = _run(a, aux, 1, fresh=False)
    assert on == [False] and a.reason == laser.OFF_SENSOR
    on, _, _ = _run(a, aux, 199)
    assert not any(on)


def test_session_not_running_is_off_and_disarmed():
    a, aux = _proven()
    on, _, _ = _run(a, aux, 1, running=False)
    assert on == [False] and not aux.armed and aux.roller_u16 == 0 and a.reason == laser.OFF_IDLE


def test_other_programs_never_arm_the_laser_nor_turn_the_rollers():
    aux = FakeAux()
    a = laser.Applicator(aux, P)
    a.start(programs.find("continuous"), {"target": 20_000, "ramp": 0, "duration": 60_000})
    on, raised, _ = _run(a, aux, 400)
    assert not any(on) and not aux.armed and aux.roller_u16 == 0 and raised == 0


def test_rollers_not_turning_laser_off_then_stall_alarm():
    a, aux = _proven()
    aux.turning = False
    on, raised, first = _run(a, aux, 120)
    # the expected pulse period at 50 % of 200 Hz is 10 ms: 4 periods (40 ms)
    # floored at 50 ms without a pulse is not turning; 500 ms is a stall
    off_at = on.index(False)
    assert 9 <= off_at <= 10, off_at
    assert raised == alarms.A_ROLLER and first == 99, first


def test_without_a_tachometer_rollers_count_as_turning_after_spin_up():
    a, aux = _app(aux=FakeAux(tach_hz=0))
    aux.turning = False  # nothing to see it
    on, raised, _ = _run(a, aux, 300)
    assert on[-1] and raised == 0


def test_stuck_on_seen_in_two_ticks_after_a_command_off():
    a, aux = _proven()
    aux.stuck = True
    aux.closed = False  # the lift: commanded off, the light stays
    on, raised, first = _run(a, aux, 5)
    assert on[0] is False
    # lit in the two ticks after the command off: the alarm 10 ms after it
    assert raised == alarms.A_LASER_ON and first == 2, first


def test_stuck_on_found_by_the_test_blank_while_emitting():
    a, aux = _proven()
    aux.stuck = True
    on, raised, first = _run(a, aux, 300)
    assert raised == alarms.A_LASER_ON
    # it came on 101 ticks before this run (_proven): the blank after 1 s of
    # emission (200 ticks) starts at tick 99 here, lit for its two ticks
    assert first == 101, first
    # healthy: the blank (2 ticks per second) raises nothing
    a, aux = _proven()
    on, raised, _ = _run(a, aux, 1000)
    assert raised == 0
    assert 990 <= sum(on) <= 992, sum(on)


def test_dark_source_is_an_alarm():
    a, aux = _proven()
    aux.dead = True
    on, raised, first = _run(a, aux, 10)
    assert raised == alarms.A_LASER and first == 3, first


def test_laser_time_limit():
    a, aux = _app(laser_time=2_000)
    on, _, _ = _run(a, aux, 1000)
    assert a.laser_ms == 2_000 and a.reason == laser.OFF_LIMIT
    assert not on[-1] and aux.roller_u16 > 0  # the vacuum and rollers go on


def _refusal(a, alarms_bits=0, **over):
    return a.refusal("roller_laser", _values(**over), "overrun" if alarms_bits else "none", alarms_bits)


def test_refusals():
    a, aux = _app()
    assert _refusal(a) is None
    assert "no alarm active (now: overrun)" in _refusal(a, alarms.A_OVERRUN)
    a, aux = _app(aux=FakeAux(power=False))
    assert "power must be 100%" in _refusal(a)
    assert _refusal(a, power=100) is None
    aux = FakeAux()
    aux.has_rollers = False
    assert "roller motor" in _refusal(laser.Applicator(aux, P))


def test_contact_must_be_clearly_below_target():
    a, aux = _app()
    assert _refusal(a, contact=16_000) is None
    assert "at least 4000Pa below" in _refusal(a, contact=16_001)
    assert "at least 2000Pa below" in _refusal(a, target=10_000, contact=8_001)


def test_laser_programs_join_the_table_only_when_added():
    assert programs.find("roller_laser").preset_of == "vacuum_laser"
    assert set(programs.LASER_NAMES) == set(p.name for p in laser_programs.PROGRAMS)
