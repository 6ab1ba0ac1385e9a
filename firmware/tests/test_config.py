# config.py on the simulated flash: validation with the range in the error,
# staging, diff, commit (atomic, read back, audited), load fallbacks, and the
# flash time a commit takes.
import time

import config
import store
from cmderror import CmdError
from expect import raised, refused
from flash import MOUNT_POINT, BusyClock, with_scratch_chip

D = MOUNT_POINT + "/data"


def test_registry_is_complete_and_defaults_are_in_range():
    names = [p.name for p in config.PARAMS]
    for n in ("kp", "ki", "kd", "leak_delay", "cal_offset", "cal_gain"):
        assert n in names
    import config_commands

    for p in config.PARAMS:
        assert p.lo <= p.default <= p.hi and config.ROLE == "service" and config_commands.HELP[p.name]
    assert sorted(config_commands.HELP) == sorted(names)  # no text for a parameter that is gone
    # Hard limits are not configuration.
    for n in ("ceiling", "max_vacuum", "trip", "control_hz", "wdt"):
        assert config.find(n) is None


def test_bad_values_are_refused_with_the_range_and_change_nothing():
    def body(chip):
        c = config.Config(D)
        c.load()
        msg = refused(lambda: c.stage("kp", "4000001"), "E_RANGE")
        assert "0..4000000" in msg
        assert "-5000Pa..5000Pa" in refused(lambda: c.stage("cal_offset", "6kPa"), "E_RANGE")
        refused(lambda: c.stage("cal_offset", "12"), "E_UNIT")
        refused(lambda: c.stage("leak_delay", "5"), "E_UNIT")
        refused(lambda: c.stage("kp", "1.5"), "E_ARG")
        refused(lambda: c.stage("max_vacuum", "1"), "E_UNKNOWN")
        assert c.diff() == [] and c.staged == config.defaults()

    with_scratch_chip(body)


def test_set_answers_as_config_set():
    # 'set' takes unit and range from the registry: the same value is
    # accepted, the same one past the end refused with the same sentence.
    import param_commands
    from cmderror import CmdError
    from controller import Controller

    class Dev:
        ctl = Controller(10)

    for name in ("kp", "ki", "kd", "tau", "ti_factor", "lead"):
        p = config.find(name)
        setter = param_commands.PARAMS[name][1]
        assert setter(Dev, "%d%s" % (p.hi, p.unit)) == p.hi
        e = raised(CmdError, setter, Dev, "%d%s" % (p.hi + 1, p.unit))
        assert e.code == "E_RANGE" and e.message.endswith(" is out of range " + config.range_text(p)), (name, e.message)


def test_a_boards_defaults_leave_the_registry_alone():
    def body(chip):
        c = config.Config(D, {"cal_offset": 120})
        c.load()
        assert c.committed["cal_offset"] == 120 and config.find("cal_offset").default == 0
        c.stage("cal_offset", "0Pa")
        c.reset()
        assert c.staged["cal_offset"] == 120 and config.Config(D).staged["cal_offset"] == 0

    with_scratch_chip(body)


def test_commit_persists_reads_back_and_audits():
    def body(chip):
        c = config.Config(D)
        assert c.load() == store.DEFAULTS and c.problems == []
        c.stage("kp", "5000")
        c.stage("leak_delay", "3min")
        assert c.diff() == [("kp", 0, 5000), ("leak_delay", 4000, 180000)]
        assert c.committed["kp"] == 0  # staged is not committed
        changes, audit_error = c.commit(1234)
        assert changes == [("kp", 0, 5000), ("leak_delay", 4000, 180000)] and audit_error is None
        assert c.diff() == [] and c.commit(1300) == ([], None)
        chip.mount()  # reboot
        c2 = config.Config(D)
        assert c2.load() == store.CURRENT and c2.committed["kp"] == 5000 and c2.committed["leak_delay"] == 180000
        assert c2.audit_entries() == ["t_ms=1234 role=service kp 0->5000", "t_ms=1234 role=service leak_delay 4000->180000"]
        c2.reset()
        assert ("kp", 5000, 0) in c2.diff()
        c2.revert()
        assert c2.diff() == []

    with_scratch_chip(body)


def test_corrupt_config_falls_back_to_previous_then_defaults():
    def body(chip):
        c = config.Config(D)
        c.load()
        c.stage("kp", "5000")
        c.commit(1)
        c.stage("kp", "4000")
        c.commit(2)
        with open(D + "/config", "r+b") as f:
            f.seek(13)
            f.write(b"\x00")
        c2 = config.Config(D)
        assert c2.load() == store.BACKUP and c2.committed["kp"] == 5000 and c2.problems == ["current: checksum mismatch"]
        with open(D + "/config.bak", "wb") as f:
            f.write(b"garbage")
        c3 = config.Config(D)
        assert c3.load() == store.DEFAULTS and c3.committed == config.defaults() and len(c3.problems) == 2

    with_scratch_chip(body)


def test_out_of_range_value_on_flash_takes_its_default():
    def body(chip):
        store.Record(D, "config", config.FORMAT_VERSION).save(b"kp=9999999\nki=10\nbogus=1\n")
        c = config.Config(D)
        assert c.load() == store.CURRENT
        assert c.committed["kp"] == 0 and c.committed["ki"] == 10
        assert len(c.problems) == 2

    with_scratch_chip(body)


def test_commit_flash_time():
    # A commit (record + backup rename + audit append) on the W25Q16JV model:
    # the CPU stall it would cause on an RP2040, and this host's wall time.
    def body(chip):
        clock = BusyClock()
        chip.attach(clock, None)
        c = config.Config(D)
        c.load()
        worst = 0
        worst_wall = 0
        for i in range(20):
            c.stage("kp", str(5000 + i))
            t0 = clock.us
            w0 = time.ticks_us()
            c.commit(i)
            worst_wall = max(worst_wall, time.ticks_diff(time.ticks_us(), w0))
            worst = max(worst, clock.us - t0)
        print("config commit: worst flash busy time %d us (W25Q16JV typical timing), worst host wall time %d us" % (worst, worst_wall))
        assert worst < 1_000_000

    with_scratch_chip(body)
