# The simulated world: virtual clock, physics plant, emulated I2C targets,
# PWM outputs, watchdog and the scenario's fault events, advanced in lockstep.
#
# The firmware only ever sees it through the emulated `machine` module and the
# board's clock. Ground truth (what the physics really does, not what the
# firmware believes) is written to an optional CSV for tests to judge by.
import sys
import time

import machine
from cpu import make_cpu
from plant import Plant
from vclock import VirtualClock

_STEP_US = 1000  # physics step; the plant sub-steps internally if it must
_BOOT_US = 250_000
_FLASH_CUT_OFF_MS = 500  # off time of a power cut injected at a flash write  # reset to main.py running, as on an RP2040 with MicroPython
TRUTH_COLUMNS = (
    "t_ms,true_vacuum_pa,line_vacuum_pa,pump_duty,valve_duty,"
    "pump_flow_ml_min,vent_flow_ml_min,leak_flow_ml_min,buzzer,alarm_led,faults,event"
)


class SimStop(BaseException):
    """Raised when the simulation reaches its --until time."""


class _Event:
    def __init__(self, d):
        # A relative event (after_pump_on_ms) gets its t_us when the pump PWM
        # is first driven.
        self.t_us = d["t_ms"] * 1000 if "t_ms" in d else None
        self.rel_us = d.get("after_pump_on_ms", 0) * 1000
        self.fault = d["fault"]
        self.value = d.get("value")
        self.channel = d.get("channel", 1) - 1  # index into the board's channels


def _make_sensor(kind, board_def, seed, noise_pa, ambient_pa):
    """The emulated part the scenario wires to the board's sensor bus. A
    board whose own SENSOR is another kind gets the part's default address."""
    own = getattr(board_def, "SENSOR", None) == kind
    if kind == "xgzp6897d":
        from xgzp6897d_emu import Xgzp6897dEmu

        k = getattr(board_def, "SENSOR_K", 64) if own else 64
        return Xgzp6897dEmu(seed, k=k, noise_pa=noise_pa, address=board_def.SENSOR_ADDR if own else 0x6D)
    if kind == "mprls":
        from mprls_emu import MprlsEmu

        return MprlsEmu(seed, noise_pa=noise_pa, address=board_def.SENSOR_ADDR if own else 0x18, ambient_pa=ambient_pa)
    if kind == "bmp280":
        from bmp280_emu import Bmp280Emu

        return Bmp280Emu(seed, noise_pa=noise_pa, address=board_def.SENSOR_ADDR if own else 0x76, ambient_pa=ambient_pa)
    raise ValueError("sensor '%s' is not emulated" % kind)


class World:
    def __init__(self, scenario, speed=None, truth_path=None, truth_interval_ms=10, until_ms=None, hold_for_input=False, flash=None):
        self.scenario = scenario
        self.board_name = scenario["board"]
        self.board_module = __import__(self.board_name)
        self.clock = VirtualClock(self)
        # The target's CPU time for the firmware's own work ("host": none).
        self.cpu = make_cpu(scenario.get("cpu", "host"), self.board_module, scenario["seed"])
        self.plant = Plant(scenario["plant"])
        self.speed = speed  # None = as fast as possible
        seed = scenario["seed"]
        self.unique_id = bytes((0xE6, 0x60, 0x5C, 0x00, (seed >> 24) & 255, (seed >> 16) & 255, (seed >> 8) & 255, seed & 255))
        b = self.board_module
        plant = scenario["plant"]
        self.sensor_kind = scenario["sensor"] or b.SENSOR
        self.sensor = _make_sensor(self.sensor_kind, b, seed, plant["sensor_noise_pa"], plant["ambient_kpa"] * 1000.0)
        self._buses = {b.I2C_ID: {self.sensor.address: self.sensor}}
        self._pump_pin = b.PUMP_PIN
        self._vent_pin = b.VENT_PIN
        # A multi-channel board (board.CHANNELS): one chamber (the scenario's
        # plant), sensor, pump and vent per channel; channel 1 is the above.
        self.plants = [self.plant]
        self.sensors = [self.sensor]
        self._pins_of = [(b.PUMP_PIN, b.VENT_PIN)]
        for i, (pump, vent, bus, sda, scl) in enumerate(getattr(b, "CHANNELS", ())[1:]):
            sen = _make_sensor(self.sensor_kind, b, seed + 7919 * (i + 1), plant["sensor_noise_pa"], plant["ambient_kpa"] * 1000.0)
            key = bus if bus >= 0 else ("soft", scl, sda)
            self._buses.setdefault(key, {})[sen.address] = sen
            self.plants.append(Plant(scenario["plant"]))
            self.sensors.append(sen)
            self._pins_of.append((pump, vent))
        self._vent_no = b.VENT_NORMALLY_OPEN
        self._buzzer_pin = getattr(b, "BUZZER_PIN", None)
        self._led_pin = getattr(b, "ALARM_LED_PIN", None)
        self._pwms = {}
        self._pins = {}
        events = [_Event(e) for e in scenario["events"]]
        for e in events:
            if e.channel >= len(self.plants):
                raise ValueError("scenario event %s: channel %d, but board %s has %d" % (e.fault, e.channel + 1, self.board_name, len(self.plants)))
        self._events = [e for e in events if e.t_us is not None]
        self._after_pump_on = [e for e in events if e.t_us is None]
        self._next_event = 0
        # A sensor disconnected at t_ms 0 is unplugged at power-up: the
        # firmware's boot probe already meets the NACK (power-on self-test).
        for ev in self._events:
            if ev.t_us == 0 and ev.fault == "sensor_disconnect":
                self.sensors[ev.channel].connected = False
        self._noise_restarted = False
        self.faults = {}  # active fault name -> value, for the truth log
        self.hung = False
        self.hold_for_input = hold_for_input
        self.reset_cause = machine.PWRON_RESET
        self.boot_count = 0
        self._wdt_deadline = None
        self._wdt_timeout_us = 0
        self.phys_us = 0
        self._until_us = None if until_ms is None else until_ms * 1000
        self._pending_event_note = ""
        self._truth = None
        self._truth_every = truth_interval_ms * 1000
        self._truth_next = 0
        if truth_path:
            self._truth = open(truth_path, "w")
            self._truth.write(TRUTH_COLUMNS + "".join(",ch%d_true_vacuum_pa,ch%d_pump_duty,ch%d_valve_duty" % (i + 1, i + 1, i + 1) for i in range(1, len(self.plants))) + "\n")
        self._real_t0 = time.ticks_us()
        self._pace_next = 0
        self._power_off_until = 0
        self._power_failed = False
        self.flash = flash  # boards/sim/flash.SimFlash or None
        if flash is not None:
            flash.attach(self.clock, self.power_cut_now)
        # Peak live heap (after a collection), sampled once per simulated
        # second while the firmware waits; on only with --heap-report. The
        # baseline is taken at each boot just before main.py is imported
        # (boot_loop), so the sim's own code (physics, boot loop, REPL, flash
        # mount) is not counted as the firmware's.
        self.heap_sampling = False
        self.heap_every_us = 0
        self.heap_next_us = 0
        self.heap_peak = 0
        self.heap_baseline = 0
        self.firmware_peak = 0

    def enable_heap_sampling(self, every_ms=1000):
        self.heap_sampling = True
        self._heap_every_ms = every_ms

    def mark_firmware_boot(self):
        """Called by boot_loop right before main.py runs: what is live now is
        the simulated board's, not the firmware's."""
        self.cpu.firmware_boot()
        if not self.heap_sampling:
            return
        import gc

        gc.collect()
        self.heap_baseline = gc.mem_alloc()
        if self.heap_baseline > self.heap_peak:
            self.heap_peak = self.heap_baseline
        self.heap_every_us = self._heap_every_ms * 1000
        self.heap_next_us = self.clock.now_us

    def sample_heap(self):
        import gc

        self.heap_next_us = self.clock.now_us + self.heap_every_us
        gc.collect()
        a = gc.mem_alloc()
        if a > self.heap_peak:
            self.heap_peak = a
        if a - self.heap_baseline > self.firmware_peak:
            self.firmware_peak = a - self.heap_baseline

    def heap_report(self):
        import gc

        total = gc.mem_alloc() + gc.mem_free()
        return '{"heap_bytes": %d, "peak_live_bytes": %d, "sim_baseline_bytes": %d, "firmware_peak_bytes": %d}' % (
            total, self.heap_peak, self.heap_baseline, self.firmware_peak)

    # ---- peripherals -----------------------------------------------------
    def i2c_bus(self, bus_id):
        return self._buses.get(bus_id, {})

    def register_pwm(self, pwm):
        self._pwms[pwm._pin] = pwm

    def live_pwms(self):
        """The PWM outputs created since the last reset (machine.py checks
        a new one against them: slices, LEDC timers)."""
        return list(self._pwms.values())

    def register_pin(self, pin):
        self._pins[pin.id()] = pin

    def wdt_start(self, timeout_ms):
        # Like rp2: once started it cannot be stopped, only fed.
        self._wdt_timeout_us = timeout_ms * 1000
        self._wdt_deadline = self.clock.now_us + self._wdt_timeout_us

    def wdt_feed(self):
        if self._wdt_deadline is not None:
            self._wdt_deadline = self.clock.now_us + self._wdt_timeout_us

    # ---- actuators as the physics sees them -----------------------------
    def pump_level(self, ch=0):
        p = self._pwms.get(self._pins_of[ch][0])
        return 0 if p is None else p.level()

    def vent_opening(self, ch=0):
        # A normally-open valve is open when its coil is unpowered.
        p = self._pwms.get(self._pins_of[ch][1])
        coil = 0 if p is None else p.level()
        return 65535 - coil if self._vent_no else coil

    def buzzer_level(self):
        p = self._pwms.get(self._buzzer_pin)
        return 0 if p is None else p.level()

    def alarm_led(self):
        p = self._pins.get(self._led_pin)
        return 0 if p is None else p.value()

    # ---- time ------------------------------------------------------------
    def advance_to(self, t_us):
        if self.hold_for_input:
            # Started by a host tool: time stands still until the host's first
            # byte, so scenario event times count from when the host arrives.
            import select

            p = select.poll()
            p.register(sys.stdin, select.POLLIN)
            p.poll(-1)
            self.hold_for_input = False
            self._real_t0 = time.ticks_us()
        plant = self.plant
        while self.phys_us < t_us or self.hung:
            if self._until_us is not None and self.phys_us >= self._until_us:
                self.clock.now_us = self.phys_us
                raise SimStop()
            if not self._noise_restarted and self.pump_level() > 0:
                # The session's start as the hardware sees it: every sensor's
                # noise restarts here, so a session (and a fault timed from
                # here) meets the same noise however long the board idled.
                self._noise_restarted = True
                for sen in self.sensors:
                    sen.restart_noise()
            if self._after_pump_on and self.pump_level() > 0:
                self._arm_after_pump_on()
            while self._next_event < len(self._events) and self._events[self._next_event].t_us <= self.phys_us:
                ev = self._events[self._next_event]
                self._next_event += 1
                self._apply(ev)
                if self._truth is not None:
                    # A row at the event's own millisecond: tests time
                    # detection from it exactly, not to the row interval.
                    self._write_truth(self.pump_level(), self.vent_opening())
            end = self.phys_us + _STEP_US
            if not self.hung and end > t_us:
                end = t_us
            pump = self.pump_level()
            vent = self.vent_opening()
            plant.step((end - self.phys_us) * 1e-6, pump / 65535.0, vent / 65535.0)
            for i in range(1, len(self.plants)):
                self.plants[i].step((end - self.phys_us) * 1e-6, self.pump_level(i) / 65535.0, self.vent_opening(i) / 65535.0)
                self.sensors[i].advance(end, -self.plants[i].line_vacuum_pa)
            self.phys_us = end
            self.sensor.advance(end, -plant.line_vacuum_pa)
            if self._truth is not None and end >= self._truth_next:
                self._truth_next = end + self._truth_every
                self._write_truth(pump, vent)
            if self._wdt_deadline is not None and end >= self._wdt_deadline:
                self.clock.now_us = end
                self._note("wdt_reset")
                raise machine.SimReset(machine.WDT_RESET)
            if self.speed is not None and end >= self._pace_next:
                self._pace_next = end + 10_000
                self._pace()
        if self.clock.now_us < self.phys_us:
            self.clock.now_us = self.phys_us

    def _arm_after_pump_on(self):
        """The pump PWM is driven for the first time: relative events get
        their time from now and join the pending ones in time order."""
        for e in self._after_pump_on:
            e.t_us = self.phys_us + e.rel_us
        pending = self._events[self._next_event:]
        for e in self._after_pump_on:  # insertion keeps file order among equal times
            i = len(pending)
            while i > 0 and pending[i - 1].t_us > e.t_us:
                i -= 1
            pending.insert(i, e)
        self._events = pending
        self._next_event = 0
        self._after_pump_on = []

    def _pace(self):
        ahead = int(self.phys_us / self.speed) - time.ticks_diff(time.ticks_us(), self._real_t0)
        if ahead > 0:
            time.sleep_us(ahead)

    def _note(self, text):
        if self._truth is None:
            return  # only the truth log reads it: without one it would grow for ever
        self._pending_event_note = text if not self._pending_event_note else self._pending_event_note + "|" + text

    def _apply(self, ev):
        f = ev.fault
        v = ev.value
        setting = v is None or v != 0
        plant = self.plants[ev.channel]
        sensor = self.sensors[ev.channel]
        key = f if not ev.channel else "ch%d:%s" % (ev.channel + 1, f)  # in the truth log
        self._note(key)
        if f == "sensor_disconnect":
            sensor.connected = False
        elif f == "sensor_reconnect":
            sensor.connected = True
            self.faults.pop(key.replace("reconnect", "disconnect"), None)
            return
        elif f == "sensor_stuck":
            sensor.stuck = setting
        elif f == "sensor_offset":
            sensor.offset_pa = float(v)
            setting = v != 0
        elif f == "leak":
            plant.extra_leak_l_min_at_10kpa = float(v)
            setting = v != 0
        elif f == "blockage":
            plant.blocked = setting
        elif f == "pump_fail":
            plant.pump_failed = setting
        elif f == "pump_stuck_on":
            plant.pump_stuck_on = setting
        elif f == "vent_stuck_closed":
            plant.vent_stuck_closed = setting
        elif f == "firmware_hang":
            self.hung = True
        elif f == "power_cut":
            self.power_cut_now(2000 if v is None else int(v), note=False)
        elif f == "flash_cut_at_write":
            if self.flash is not None:
                self.flash.cut_at_write(int(v))
        if setting:
            self.faults[key] = v
        else:
            self.faults.pop(key, None)

    def power_cut_now(self, off_ms=_FLASH_CUT_OFF_MS, note=True):
        """The board loses power now (also from inside a flash write): it
        stays off for off_ms, then boots with PWRON_RESET."""
        if not self._power_failed:
            self._power_failed = True
            self._power_off_until = max(self.phys_us, self.clock.now_us) + off_ms * 1000
            for sen in self.sensors:
                sen.power_on_reset()  # the sensors share the board's supply
            if note:
                self._note("power_cut")
        if self.clock.now_us < self.phys_us:
            self.clock.now_us = self.phys_us
        raise machine.SimReset(machine.PWRON_RESET)

    def _write_truth(self, pump, vent):
        p = self.plant
        faults = "|".join(self.faults)
        if p.pump_stuck_on:
            pump = 65535
        if p.vent_stuck_closed:
            vent = 0
        self._truth.write(
            "%d,%d,%d,%d,%d,%d,%d,%d,%d,%d,%s,%s"
            % (
                self.phys_us // 1000,
                int(p.vacuum_pa),
                int(p.line_vacuum_pa),
                pump,
                vent,
                int(p.pump_flow_l_min * 1000),
                int(p.vent_flow_l_min * 1000),
                int(p.leak_flow_l_min * 1000),
                1 if self.buzzer_level() else 0,
                self.alarm_led(),
                faults,
                self._pending_event_note,
            )
        )
        for i in range(1, len(self.plants)):
            self._truth.write(",%d,%d,%d" % (int(self.plants[i].vacuum_pa), self.pump_level(i), self.vent_opening(i)))
        self._truth.write("\n")
        self._pending_event_note = ""

    # ---- resets ----------------------------------------------------------
    def mcu_reset(self, cause):
        """Every peripheral returns to its reset state: outputs off, WDT
        stopped. The physics keeps running through power-off and boot."""
        for p in self._pwms.values():
            p._alive = False
        self._pwms = {}
        self._pins = {}
        self._wdt_deadline = None
        self.hung = False
        self.reset_cause = cause
        self.boot_count += 1
        self._note("boot")
        off_until = max(self._power_off_until, self.phys_us) + _BOOT_US
        self._power_off_until = 0
        self._power_failed = False
        self.advance_to(off_until)

    def close(self):
        if self.flash is not None:
            self.flash.close()
        if self._truth is not None:
            self._truth.close()
            self._truth = None


def log(msg):
    sys.stderr.write("sim: %s\n" % msg)
