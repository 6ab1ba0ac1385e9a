# The device: builds everything from the board definition and runs the
# fixed-rate loop. Each period: wait for the deadline, run the control tick
# (sensor -> supervisor -> session -> controller -> outputs) under
# micropython.heap_lock() so it provably allocates nothing, feed the watchdog
# if the tick was healthy, then either serve the serial link and telemetry
# with a bounded amount of work or, when enough allocating work has piled
# up, collect the garbage instead (docs/reliability.md, "Loop timing").
import gc
import sys

import board
import machine
import micropython
from micropython import const

import access
import alarms
import autotune
import channels
import config
from annunciator import Annunciator
import safety
import sensor as sensor_mod
import store
import session as ses
import version
from hwclock import WORK_BACKGROUND, WORK_COLLECT, WORK_TICK
from console import Console
from serial_link import SerialLink
from telemetry import Telemetry
from therapylog import TherapyLog

# Scheduled collection: one per this many bytes of the free heap (after boot)
# per allocating job (a command, a reply or event line, a log record). A job
# allocates at most ~4 KB on a 32-bit port (an on-demand service module with
# its reply; make check-32bit), so the heap never fills between collections.
_GC_JOB_BYTES = const(4096)
_GC_SHARE = const(4)  # collect after allocating at most a quarter of the free heap
# Passes a due collection waits for one with the time for it; then it runs
# anyway (a pass that may be late, counted): the heap must not fill.
_GC_MAX_WAITS = const(100)


class Device:
    def __init__(self, outputs):
        self.out = outputs
        self.board = board
        self.clock = board.make_clock()
        self.control_hz = board.CONTROL_HZ
        self.period_us = 1_000_000 // self.control_hz
        self.period_ms = self.period_us // 1000
        self.uid = "".join("%02x" % b for b in machine.unique_id())
        # Every chamber a channel.Channel (sensor, calibration, supervisor,
        # controller, outputs), channel 0 first. Channel 0 runs the session;
        # its supervisor holds the device's alarms; sup and ctl here are its
        # own (used throughout the commands; the rest through ch).
        self.channels = channels.make_channels(board, machine, outputs, self.period_ms)
        ch = self.ch = self.channels[0]
        self.sup, self.ctl = ch.sup, ch.ctl
        # Multi-channel boards: what they do with the others (None: one).
        self.extra = channels.make_extra(self.channels)
        self.tuner = autotune.Tuner()
        self.commission = None  # commission.Commissioner while one runs or its result is staged
        # Boards with rollers and a laser: their interlock (None: none).
        self.laser = None if outputs.aux is None else outputs.aux.applicator(self.period_ms)
        self._log_alarm = store.RingLog(board.DATA_DIR, "alarms", 4096)
        therapy = TherapyLog(store.RingLog(board.DATA_DIR, "therapy", 4096), lambda e: self._storage_error("therapy", e), self._flash_write)
        self.session = ses.Session(self.ctl, self.sup, getattr(board, "PUMP_FREE_FLOW_ML_MIN", 0), getattr(board, "PUMP_MAX_VACUUM_PA", 0), therapy)
        self.link = SerialLink()
        self.console = Console(self, self.link)
        # Bound once: a method handed over as a value is a new object at
        # every use, and these go to session.report() at every pass.
        self._emit = self.console.event
        self._name_alarms = self.alarm_text
        # Loop timing, in the board clock's microseconds (docs/reliability.md,
        # "Loop timing"). A pass that runs past the next deadline is counted
        # by its cause: a flash write (a known stall of up to ~100 ms, the
        # background asked for it: docs/storage.md), a command (bounded work
        # the host asked for), else an overrun, which raises the overrun
        # alarm. max_late_us is how late a tick started, measured before the
        # loop skips the periods it missed.
        self.overruns = 0
        self.flash_stalls = 0
        self.command_stalls = 0
        self.flash_writing = False
        self.max_late_us = 0
        self.max_tick_us = 0
        self.max_background_us = 0
        self.max_gc_us = 0
        self._tel_late_us = 0  # worst since the last telemetry line
        self._tel_gc_us = 0
        self.ticks = 0
        self.uptime_ms = 0  # since boot; an int of ms stays small for 12 days
        self._last_ms = self.clock.ticks_ms()
        # Scheduled collection without walking the heap in the loop (on an
        # RP2040 gc.mem_alloc() alone takes 8 ms): allocating jobs are
        # counted (lines in and out, log records) and after gc_every of them
        # a pass collects instead of serving the background (run()).
        self.gc_runs = 0
        self.gc_every = 0  # set from the free heap when the loop starts
        self.log_writes = 0
        self._gc_mark = 0
        self.inject_exception = False
        self.wdt = None
        self.tel = Telemetry(self.control_hz)
        self.storage = "ok"  # ok | backup | defaults | error: shown in status
        self.boot_notes = []  # events to send after the boot banner
        # The board's calibration is the default.
        cal = {name: getattr(board, attr) for name, attr in (("cal_offset", "CAL_OFFSET_PA"), ("cal_gain", "CAL_GAIN_PPM")) if hasattr(board, attr)}
        self.config = config.Config(board.DATA_DIR, cal)
        source = self.config.load()
        if self.config.problems:  # (none on a fresh device: defaults, no flag)
            self.storage = source if source != store.CURRENT else "error"
            self.boot_notes.append("event storage config=%s problems=%s" % (source, "|".join(self.config.problems).replace(" ", "_") or "none"))
        self.apply_config(self.config.committed)
        # Roles: therapist at every boot; the unlock code's hash from flash,
        # else the board's factory hash (docs/safety.md, "Roles and access").
        self.access = access.Access(board.DATA_DIR, self.clock, lambda: self.uptime_ms, board.SERVICE_CODE_SALT, board.SERVICE_CODE_SHA256,
                                    self.config.audit, self._flash_write, self._storage_error, self.console.event)
        source = self.access.load()
        if self.access.problems:
            self.storage = source if source != store.CURRENT else "error"
            self.boot_notes.append("event storage passcode=%s problems=%s" % (source, "|".join(self.access.problems).replace(" ", "_")))
        # Alarm records go to RAM and to flash; the flash write stalls the loop
        # briefly, after the outputs have already gone safe (docs/storage.md).
        self.alarm_state = alarms.AlarmState(alarms.PersistentAlarmLog(lambda text: self.log("alarm", text, False)))
        self.annunciator = Annunciator(board, machine)
        self.stall_ms = 0  # selftest: block the loop once, like a long GC pause
        # Power-on self-test of the sensors: channel 0's not answering at
        # boot is a sensor alarm before the first command is served (run());
        # another channel's supervisor reports its own within the first ticks.
        for c in self.channels:
            c.begin()

    # ---- configuration and logs (not in the tick: flash writes stall) ------
    def apply_config(self, v):
        """The one place committed configuration reaches the running device."""
        if v["kp"] or v["ki"] or v["kd"]:
            self.ctl.set_manual(v["kp"], v["ki"], v["kd"])
        else:  # all 0: the controller's own gain schedule
            # The approach looks ahead at least the loop's dead time that
            # commissioning measured (pump command to the sensor's first
            # response): past it, the vacuum keeps rising after the switch.
            # (within the lead's own range: the controller's products stay small)
            lead = min(-(-v["dead_time"] // self.period_ms), config.find("lead").hi)
            self.ctl.set_tuning(v["tau"], v["ti_factor"], v["lead"] if v["lead"] > lead else lead)
            if v["plant_gain"]:
                self.ctl.set_plant_gain(v["plant_gain"])
        self.sup.leak_ms = v["leak_delay"]
        self.ch.cal.set(v["cal_offset"], v["cal_gain"])
        # The pump and vent really fitted, where commissioning measured them;
        # else the board's declared figures (docs/commissioning.md).
        leak = self.session.leak
        leak.free_ml_min = v["pump_flow_ml_min"] or getattr(board, "PUMP_FREE_FLOW_ML_MIN", 0)
        leak.max_pa = v["pump_max_vac"] or getattr(board, "PUMP_MAX_VACUUM_PA", 0)
        leak.set_vent(v["vent_flow_ml_min"], v["vent_exp_pm"])  # (0: the vent's flow unknown)
        self.out.set_vent_curve(v["vent_dead_pm"], v["vent_full_pm"])

    def log(self, which, text, stamp=True):
        """Append to the alarm log; a flash problem is reported (status
        storage=error, an event) and never stops the device."""
        self.flash_writing = True
        self.log_writes += 1
        try:
            rec = ("t_ms=%d %s" % (self.uptime_ms, text)) if stamp else text
            self._log_alarm.append(rec.encode())
        except (store.StoreError, OSError, ValueError) as e:
            self._storage_error(which, e)

    def _flash_write(self):
        self.flash_writing = True  # a known stall, not an overrun
        self.log_writes += 1

    def expect_flash_write(self):
        """A command is about to write flash: this pass's stall is known,
        not an overrun."""
        self.flash_writing = True

    def note_storage(self, ok):
        """A command's flash write went well (status storage=ok, unless an
        earlier error stands) or not (storage=error)."""
        if not ok:
            self.storage = "error"
        elif self.storage != "error":
            self.storage = "ok"

    def _storage_error(self, which, e):
        if self.storage != "error":
            self.storage = "error"
            self.console.event("event storage log=%s error=%s" % (which, str(e).replace(" ", "_")))

    def log_records(self, which):
        if which == "alarm":
            return [r.decode() for r in self._log_alarm.records()]
        log = self.session.log
        return [log.row(i) for i in range(log.count())]

    # ---- commands --------------------------------------------------------
    def arm_watchdog(self):
        """Armed with the first session or commissioning run: from then on a
        hung loop resets the board into the safe state. (Idle outputs are
        already safe, and an unarmed watchdog leaves the REPL usable for
        deployment.)"""
        if self.wdt is None:
            self.wdt = machine.WDT(timeout=board.WDT_TIMEOUT_MS)

    def start_session(self, prog, values, heartbeat_ms=0):
        self.arm_watchdog()
        # The therapy log's start entry is written by start(), before the
        # pump starts: the flash write stalls the CPU.
        self.session.start(prog, values, self.ch.vacuum_pa, self.uptime_ms)
        self.sup.set_program(prog, heartbeat_ms)
        if self.extra is not None:
            self.extra.start(prog)
        if self.laser is not None:
            self.laser.start(prog, values)

    def clear_alarms(self):
        bits = self.sup.alarms
        self.sup.clear()
        if self.extra is not None:
            self.extra.clear()
        if self.laser is not None:
            self.laser.clear()
        self.session.clear_fault()
        for e in self.alarm_state.cleared(bits, self.uptime_ms):
            self.console.event(e)

    def selftest(self, stall_ms=0):
        """An exception in the next control tick (stall_ms 0), or the loop
        blocked once for stall_ms between ticks, like a long GC pause."""
        if stall_ms:
            self.stall_ms = stall_ms
        else:
            self.inject_exception = True

    def alarm_text(self, a=None):
        return alarms.names_of(self.sup.alarms if a is None else a)

    # ---- the control tick (heap-locked) ----------------------------------
    def tick(self):
        ch = self.ch
        s = self.session
        idle = s.state == ses.IDLE
        sup = self.sup
        sup.session_tick(s.state == ses.RUN)
        alarms = ch.check(idle)
        x = self.extra
        if x is not None:
            # Any channel's alarm is the device's: every channel goes safe.
            sup.alarms |= x.check(idle)
            alarms = sup.alarms
        v = ch.vacuum_pa
        if self.laser is not None:
            # The laser's conditions, judged before anything else moves: one
            # lost (contact, vacuum, rollers, an alarm...) turns it off here.
            sup.alarms |= self.laser.gate(v, ch.status == sensor_mod.OK, alarms, s.state == ses.RUN)
            alarms = sup.alarms
        if self.inject_exception:
            self.inject_exception = False
            raise RuntimeError("selftest")
        if alarms & safety.STOP_MASK:
            # Cut the pump and open the vent in this very tick.
            if s.state != ses.FAULT:
                s.fault()
            self.out.safe()
            return
        c = self.commission
        if c is not None and c.active:
            # Commissioning drives the outputs (session idle); the trip level
            # and every alarm above still apply.
            c.step(v)
            ch.set_outputs(c.pump_u16, c.vent_u16)
            return
        s.step(self.period_ms, v)
        if self.laser is not None and s.state != ses.RUN:
            self.laser.off()  # the session ended in this step: no laser in its release
        ch.regulate()
        if x is not None:
            x.drive(s)

    # ---- between ticks ---------------------------------------------------
    def background(self):
        if self.stall_ms:
            # selftest stall: the pass after the command blocks, like a long
            # pause would (an overrun, not a command's own time).
            c = self.clock
            c.sleep_until_us(c.ticks_add(c.ticks_us(), self.stall_ms * 1000))
            self.stall_ms = 0
        self.access.poll()  # the service role's timeout, before any command
        s = self.session
        was = s.state
        self.console.service()
        if s.state != was and s.state != ses.RUN:
            # A pause or a stop (a command, Ctrl-C) cuts the pump now, not a
            # period later: telemetry sent in this pass reports it done.
            self.ch.follow_now()
            if self.extra is not None:
                self.extra.follow_now(s)
        a = self.sup.alarms
        if a != self.alarm_state.active:
            for e in self.alarm_state.update(a, self.uptime_ms, self.ch.vacuum_pa):
                self.console.event(e)
        st = self.alarm_state
        self.annunciator.update(self.uptime_ms, st.audible_priority(self.uptime_ms), st.visual_priority())
        s.report(self._emit, self.uptime_ms, self.ch.vacuum_pa, self._name_alarms)
        if self.laser is not None:
            self.laser.report(self._emit, self.uptime_ms)
        self.tuner.service(self)
        if self.commission is not None:
            self.commission.service(self)
        tel = self.tel
        if tel.period_ticks and tel.due():
            tel.send(self, self._tel_late_us, self._tel_gc_us)
            self._tel_late_us = 0
            self._tel_gc_us = 0

    # ---- the loop --------------------------------------------------------
    def run(self):
        clock = self.clock
        period = self.period_us
        self.out.safe()
        cause = _reset_name()
        self.console.event("boot vacuumfw %s protocol=%d board=%s reset=%s" % (version.FIRMWARE, version.PROTOCOL, board.NAME, cause))
        if cause in ("wdt_reset", "brownout_reset"):
            # Not a normal power-up: whatever ran (a session?) was cut short.
            self.sup.alarms |= safety.A_RESET
        if self.ch.failed_boot:
            self.sup.alarms |= safety.A_SENSOR
        cut = self.session.log.take_interrupted()
        if cut is not None:
            # A session of an earlier power-on has a start but no end on flash:
            # cut short by a power loss or a reset. Reported once.
            prog, started = cut
            self.sup.alarms |= alarms.A_INTERRUPTED
            self.console.event("event session_interrupted program=%s started_ms=%s reset=%s" % (prog, started, cause))
        for note in self.boot_notes:
            self.console.event(note)
        self._start_gc_schedule()
        diff = clock.ticks_diff
        lock = micropython.heap_lock
        unlock = micropython.heap_unlock
        deadline = clock.ticks_add(clock.ticks_us(), period)
        while True:
            clock.sleep_until_us(deadline)
            start = clock.ticks_us()
            # Lateness of this tick against its own deadline, before anything
            # moves the schedule: a pass that overran shows here in full.
            late = diff(start, deadline)
            if late > self.max_late_us:
                self.max_late_us = late
            if late > self._tel_late_us:
                self._tel_late_us = late
            if late >= period:
                # Whole periods missed (a flash erase, a stall): this tick
                # starts a new schedule now, instead of a burst of catch-up
                # ticks (its lateness is counted above).
                deadline = start
            err = None
            lock()
            try:
                self.tick()
            except Exception as e:  # noqa: BLE001 - any error in control ends safe
                err = e
            finally:
                unlock()
            t_tick = clock.work_done(WORK_TICK)
            if err is not None:
                self._control_exception(err)  # allocates: outside the lock
            us = diff(t_tick, start)
            if us > self.max_tick_us:
                self.max_tick_us = us
            now = clock.ticks_ms()
            self.uptime_ms += diff(now, self._last_ms)
            self._last_ms = now
            self.ticks += 1
            if err is None and self.wdt is not None:
                self.wdt.feed()
            commands = self.link.rx_lines
            if self._jobs() - self._gc_mark >= self.gc_every:
                # A collection is due: it takes a pass of its own, one that
                # has the time for it (the longest collection seen, plus a
                # tenth) before the next deadline; a pass that started late
                # (after a command's) leaves the background waiting instead.
                # Input waits in the port's buffer meanwhile.
                if diff(clock.ticks_add(deadline, period), t_tick) >= self._gc_budget_us or self._gc_waits >= _GC_MAX_WAITS:
                    gc.collect()
                    end = clock.work_done(WORK_COLLECT)
                    self._collected(diff(end, t_tick))
                else:
                    self._gc_waits += 1
                    end = t_tick
            else:
                lines = self._jobs() + self.tel.lines
                self.background()
                end = clock.work_done(WORK_BACKGROUND, self._jobs() + self.tel.lines - lines)
                us = diff(end, t_tick)
                if us > self.max_background_us:
                    self.max_background_us = us
            deadline = clock.ticks_add(deadline, period)
            if diff(end, deadline) > 0:
                # This pass's work ran past the next deadline.
                if self.flash_writing:
                    self.flash_stalls += 1
                elif self.link.rx_lines != commands:
                    self.command_stalls += 1
                else:
                    self.overruns += 1
                    self.sup.overrun()
            self.flash_writing = False

    def _jobs(self):
        """Allocating jobs so far: lines received and sent (replies, events;
        telemetry lines allocate nothing), log records written."""
        return self.link.rx_lines + self.console.sent + self.log_writes

    def _collected(self, us):
        self.gc_runs += 1
        self._gc_mark = self._jobs()
        self._gc_waits = 0
        if us > self.max_gc_us:
            self.max_gc_us = us
        if us > self._tel_gc_us:
            self._tel_gc_us = us
        # The next one needs the time this one took, plus a tenth (the live
        # heap it marks grows slowly; the last collection, not the longest:
        # one long outlier must not leave no pass long enough).
        self._gc_budget_us = us + us // 10

    def _start_gc_schedule(self):
        # The one heap walk of the loop's life: the free heap after boot sets
        # how many jobs may run between scheduled collections. The boot's
        # collection is timed: the first budget of a scheduled one.
        self._gc_budget_us = 0
        self._gc_waits = 0
        clock = self.clock
        t = clock.ticks_us()
        gc.collect()
        us = clock.ticks_diff(clock.work_done(WORK_COLLECT), t)
        self._gc_budget_us = us + us // 10
        self.gc_every = max(2, gc.mem_free() // (_GC_SHARE * _GC_JOB_BYTES))
        self._gc_mark = self._jobs()

    def _control_exception(self, e):
        self.out.safe()
        self.sup.alarms |= safety.A_INTERNAL
        if self.session.state != ses.FAULT:
            self.session.fault()
        sys.print_exception(e)




def _reset_name():
    c = machine.reset_cause()
    for name in ("PWRON_RESET", "HARD_RESET", "WDT_RESET", "DEEPSLEEP_RESET", "SOFT_RESET", "BROWNOUT_RESET"):
        if getattr(machine, name, None) == c:
            return name.lower()
    return "unknown"


def _aux_words(out):
    return ", laser and rollers off" if out is not None and out.aux is not None else ""


def main():
    out = None
    try:
        # Outputs first: from here on the firmware holds them safe (before,
        # the hardware does: pump gate pull-down, normally-open vent).
        out = channels.make_outputs(board, machine)
        # Ctrl-C becomes data: the loop stops between ticks when it reads it
        # (serial_link.INTERRUPT), so no interrupt can land inside the
        # heap-locked tick, a flash write or a garbage collection.
        micropython.kbd_intr(-1)
        Device(out).run()
    except KeyboardInterrupt:
        if out is not None:
            out.safe()  # (laser and rollers first, on a board that has them)
        print("interrupted: pump off, vent open%s; firmware stopped (Ctrl-D restarts)" % _aux_words(out))
    except Exception as e:  # noqa: BLE001 - anything unforeseen ends safe
        if out is not None:
            out.safe()
        print("fatal: %s; pump off, vent open%s" % (type(e).__name__, _aux_words(out)))
        sys.print_exception(e)
    finally:
        if out is not None:
            out.safe()
        micropython.kbd_intr(3)  # the REPL after the firmware: Ctrl-C interrupts again
