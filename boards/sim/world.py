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
from plant import TRACE_STEPS, Plant
from vclock import VirtualClock

_STEP_US = 1000  # physics grid: steps of 1 ms (plant.STEP_US)
_FAR_US = 1_000_000  # a hung firmware's wait is stepped through in chunks of this
_TRACE_US = _STEP_US * (TRACE_STEPS - 1)  # a segment the plant's trace covers with a step to spare
_TRACE_MASK = TRACE_STEPS - 1
_BOOT_US = 250_000
# The set/clear faults of the plant: the Plant attribute each sets.
_PLANT_FLAGS = {"blockage": "blocked", "pump_fail": "pump_failed", "pump_stuck_on": "pump_stuck_on",
                "vent_stuck_closed": "vent_stuck_closed"}
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
    def __init__(self, scenario, speed=None, truth_path=None, truth_interval_ms=10, until_ms=None, hold_for_input=False, flash=None, gate=None):
        self.scenario = scenario
        self.board_name = scenario["board"]
        self.board_module = __import__(self.board_name)
        self.clock = VirtualClock(self)
        # The target's CPU time for the firmware's own work ("host": none).
        self.cpu = make_cpu(scenario.get("cpu", "host"), self.board_module, scenario["seed"])
        self.plant = Plant(scenario["plant"])
        self.speed = speed  # None = as fast as possible
        # hostgate.HostGate: --speed while the host waits on the board, the
        # gate's idle speed in between (None: always --speed).
        self.gate = gate
        self._wait_speed = speed
        if gate is not None:
            self.speed = gate.idle_speed
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
        # --- imperfections of the fitted parts (issue 17): the sensor's
        # static offset and gain error, the ambient's drift (seen by absolute
        # sensors; the physics keeps ambient_kpa), the pump's supply and wear.
        self._sensor_offset = plant["sensor_offset_pa"]
        self.sensor_gain = 1.0 + plant["sensor_gain_error_ppm"] * 1e-6
        self._drift_per_us = plant["ambient_drift_pa_per_h"] / 3.6e9
        self._ambient0 = [getattr(sen, "ambient_pa", None) for sen in self.sensors]
        for sen in self.sensors:
            sen.offset_pa = self._sensor_offset
        self._sag = [1.0] * len(self.plants)
        self._wear = [None] * len(self.plants)  # (lost fraction per us, since us, lost then)
        self._slow = self._drift_per_us != 0.0  # something changes with time alone
        # --- laser applicator board (rollers, laser, contact switch): aux_emu.py
        self.aux = None
        if hasattr(b, "ROLLER_PIN") or hasattr(b, "LASER_EN_PIN"):
            from aux_emu import AuxEmu

            self.aux = AuxEmu(self, b)
        # --- end laser applicator
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
            self._truth.write(TRUTH_COLUMNS + "".join(",ch%d_true_vacuum_pa,ch%d_pump_duty,ch%d_valve_duty" % (i + 1, i + 1, i + 1) for i in range(1, len(self.plants)))
                              + (self.aux.COLUMNS if self.aux is not None else "") + "\n")
        self._real_t0 = time.ticks_us()
        self._pace_phys0 = 0  # device time at _real_t0 (a change of speed moves both)
        self._pace_next = 0
        self._power_off_until = 0
        self._power_failed = False
        self._wait = self._waits().send
        self._wait(None)
        self.flash = flash  # boards/sim/flash.SimFlash or None
        if flash is not None:
            flash.attach(self.clock, self.power_cut_now)
        # The firmware's peak live heap: on only with --heap-report or in a
        # scripted session (heapwatch.py); the clock samples it while the
        # firmware waits.
        self.heap = None

    def enable_heap_sampling(self, every_ms=1000):
        from heapwatch import HeapWatch

        self.heap = HeapWatch(every_ms)

    def mark_firmware_boot(self):
        """Called by boot_loop right before main.py runs: what is live now is
        the simulated board's, not the firmware's."""
        self.cpu.firmware_boot()
        if self.heap is not None:
            self.heap.at_firmware_boot(self.clock.now_us)

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
        if self.aux is not None:
            self.aux.drive_inputs()  # an input reads its level from the start

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
    # The physics runs on a grid of 1 ms steps counted from where each wait
    # starts (the last step of a wait ends at its deadline). Everything the
    # world does happens at grid points: scenario events, truth rows, the
    # watchdog, pacing, --until, and the sensors seeing the physics. Between
    # two grid points where something happens, the plant integrates all the
    # steps in one call (Plant.advance_us), so a wait costs the physics it
    # needs and a few calls, not a round of bookkeeping per millisecond. The
    # result is the same as stepping every millisecond and checking
    # everything after each step: same steps, same grid points, and a sensor
    # sees the same two grid points around each conversion's end.
    #
    # The loop lives in a generator (_waits) whose frame is allocated once:
    # MicroPython puts the frame of a function with more than a few locals
    # on the heap at every call. What it raises (a reset, the end of the
    # simulation, Ctrl-C) it hands back, and advance_to raises it here.
    def advance_to(self, t_us):
        if self.hold_for_input:
            self._hold()
        err = self._wait(t_us)
        if err is not None:
            raise err

    def _hold(self):
        # Started by a host tool: time stands still until the host's first
        # byte, so scenario event times count from when the host arrives.
        import select

        p = select.poll()
        p.register(sys.stdin, select.POLLIN)
        p.poll(-1)
        self.hold_for_input = False
        # Pacing restarts from here (not a catch-up sleep for the boot).
        self._real_t0 = time.ticks_us()
        self._pace_phys0 = self.phys_us

    def _waits(self):
        # Everything that cannot change during a wait is read once per wait
        # into a local: an attribute lookup costs about as much as a float
        # operation here, and this loop runs 200 times per simulated second.
        err = None
        clock = self.clock
        step = _STEP_US
        chans = [(self.plants[i], self.sensors[i]) for i in range(len(self.plants))]
        cmds = [0.0] * (2 * len(chans))  # pump drive, vent opening per channel
        until = self._until_us
        # Paced (a speed, or a gate that may set one): the wait stops at
        # every pace point (_pace).
        pacing = self.speed is not None or self.gate is not None
        aux = self.aux
        gk = self.sensor_gain  # the sensor's gain error (1.0: none)
        while True:
            t_us = yield err
            err = None
            try:
                phys = self.phys_us
                hung = self.hung
                if phys >= t_us and not hung:
                    if clock.now_us < phys:
                        clock.now_us = phys
                    continue
                if self._slow:
                    self._drift(phys)  # ambient drift, pump wear: once per wait
                # The firmware is not running during the wait: the commands
                # are constant (events change faults, never the PWM).
                pwms = self._pwms
                for i in range(len(chans)):
                    pump_pin, vent_pin = self._pins_of[i]
                    p = pwms.get(pump_pin)
                    pump = 0 if p is None else p.level()
                    p = pwms.get(vent_pin)
                    vent = 0 if p is None else p.level()
                    if self._vent_no:
                        vent = 65535 - vent  # normally open: open when unpowered
                    cmds[2 * i] = pump / 65535.0
                    cmds[2 * i + 1] = vent / 65535.0
                    if not i:
                        pump0 = pump
                        vent0 = vent
                if pump0 > 0:
                    if not self._noise_restarted:
                        # The session's start as the hardware sees it: every
                        # sensor's noise restarts here, so a session (and a
                        # fault timed from here) meets the same noise however
                        # long the board idled.
                        self._noise_restarted = True
                        for sen in self.sensors:
                            sen.restart_noise()
                    if self._after_pump_on:
                        self._arm_after_pump_on()
                events = self._events
                ev_t = events[self._next_event].t_us if self._next_event < len(events) else None
                truth = self._truth
                wdt = self._wdt_deadline
                while phys < t_us or hung:
                    if until is not None and phys >= until:
                        clock.now_us = phys
                        raise SimStop()
                    if ev_t is not None and ev_t <= phys:
                        while self._next_event < len(events) and events[self._next_event].t_us <= phys:
                            ev = events[self._next_event]
                            self._next_event += 1
                            self._apply(ev)
                            if truth is not None:
                                # A row at the event's own millisecond: tests
                                # time detection from it exactly.
                                self._write_truth(pump0, vent0)
                        ev_t = events[self._next_event].t_us if self._next_event < len(events) else None
                        hung = self.hung
                    # The first grid point where something is due.
                    due = phys + _FAR_US if hung else t_us
                    if aux is not None:
                        # Laser applicator (aux_emu.py): stepped on every grid
                        # point (rollers, tachometer, keep-alive enable).
                        if aux.step(phys) and truth is not None:
                            # The laser switched for the step starting now: a row at this very ms.
                            self._write_truth(pump0, vent0)
                        if phys + step < due:
                            due = phys + step
                    if until is not None and until < due:
                        due = until
                    if ev_t is not None and ev_t < due:
                        due = ev_t
                    if truth is not None and self._truth_next < due:
                        due = self._truth_next
                    if wdt is not None and wdt < due:
                        due = wdt
                    if pacing and self._pace_next < due:
                        due = self._pace_next
                    for pl, sen in chans:
                        wake = sen.wake_us()  # e.g. a conversion's end
                        if wake is not None:
                            # Overdue: the next grid point. Else the plant's
                            # trace must cover the grid point after it.
                            b = phys + 1 if wake <= phys else phys + _TRACE_US
                            if b < due:
                                due = b
                    if due <= phys:
                        due = phys + 1
                    end = phys + (due - phys + step - 1) // step * step
                    if end > t_us and not hung:
                        end = t_us
                    last = end == t_us and not hung  # the firmware runs next
                    i = 0
                    for pl, sen in chans:
                        pl.advance_us(end - phys, cmds[i], cmds[i + 1])
                        i += 2
                        # Show the sensor the line as if it had seen every
                        # grid point: for each conversion that ended in
                        # between, the grid points just before and after its
                        # end (it interpolates between them), from the
                        # plant's trace; then the end itself.
                        wake = sen.wake_us()
                        while wake is not None and wake <= end:
                            k = (wake - phys + step - 1) // step  # steps to the grid point at/after wake
                            if phys + k * step >= end:
                                # That point is the end: the one before it first.
                                k = (end - phys - 1) // step
                                if k > 0:
                                    sen.observe(phys + k * step, -pl.trace[(k - 1) & _TRACE_MASK] * gk)
                                break
                            if k > 1:
                                sen.observe(phys + (k - 1) * step, -pl.trace[(k - 2) & _TRACE_MASK] * gk)
                            sen.observe(phys + k * step, -pl.trace[(k - 1) & _TRACE_MASK] * gk)
                            k = sen.wake_us()  # a periodic mode's next conversion, or None
                            if k == wake:
                                break
                            wake = k
                        if last:
                            sen.advance(end, -pl.line_vacuum_pa * gk)
                        else:
                            sen.observe(end, -pl.line_vacuum_pa * gk)
                    self.phys_us = phys = end
                    if truth is not None and end >= self._truth_next:
                        self._truth_next = end + self._truth_every
                        self._write_truth(pump0, vent0)
                    if wdt is not None and end >= wdt:
                        clock.now_us = end
                        self._note("wdt_reset")
                        raise machine.SimReset(machine.WDT_RESET)
                    if pacing and end >= self._pace_next:
                        self._pace()
                if clock.now_us < phys:
                    clock.now_us = phys
            except BaseException as e:  # noqa: BLE001 - raised by advance_to
                err = e

    def _drift(self, t_us):
        """What changes with time alone, at t_us: the ambient an absolute
        sensor reads, a wearing pump's flow."""
        d = self._drift_per_us * t_us
        if d:
            for sen, a0 in zip(self.sensors, self._ambient0):
                if a0 is not None:
                    sen.ambient_pa = a0 + d
        for ch, w in enumerate(self._wear):
            if w is not None:
                self._set_pump_scale(ch, t_us)

    def _set_pump_scale(self, ch, t_us):
        w = self._wear[ch]
        lost = 0.0
        if w is not None:
            lost = w[2] + w[0] * (t_us - w[1])
            if lost > 1.0:
                lost = 1.0
        self.plants[ch].pump_scale = self._sag[ch] * (1.0 - lost)

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
        # Every 10 ms of device time at a speed; at full speed behind a gate,
        # every 50 ms only to hear the host's word (one system call).
        g = self.gate
        if g is not None and g.changed():
            self._gate_speed()
        s = self.speed
        if s is None:
            self._pace_next = self.phys_us + 50_000
            return
        self._pace_next = self.phys_us + 10_000
        ahead = int((self.phys_us - self._pace_phys0) / s) - time.ticks_diff(time.ticks_us(), self._real_t0)
        if ahead > 0:
            if g is None:
                time.sleep_us(ahead)
            elif g.changed((ahead + 999) // 1000):  # the host's next word ends the sleep
                self._gate_speed()

    def _gate_speed(self):
        """The host's word changed: the speed for it, counted from now."""
        self.speed = self._wait_speed if self.gate.waiting else self.gate.idle_speed
        self._pace_phys0 = self.phys_us
        self._real_t0 = time.ticks_us()

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
            sensor.offset_pa = self._sensor_offset + float(v)  # on top of the part's own
            setting = v != 0
        elif f == "supply_sag":
            self._sag[ev.channel] = float(v)
            self._set_pump_scale(ev.channel, self.phys_us)
            setting = v != 1
        elif f == "pump_wear":
            w = self._wear[ev.channel]
            lost = 0.0 if w is None else w[2] + w[0] * (self.phys_us - w[1])
            self._wear[ev.channel] = (float(v) / 100.0 / 3.6e9, self.phys_us, lost)
            self._slow = True
            setting = True
        elif f == "leak":
            plant.extra_leak_l_min_at_10kpa = float(v)
            setting = v != 0
        elif f in _PLANT_FLAGS:
            setattr(plant, _PLANT_FLAGS[f], setting)
        elif f == "firmware_hang":
            self.hung = True
        elif f == "power_cut":
            self.power_cut_now(2000 if v is None else int(v), note=False)
        elif self.aux is not None and f in self.aux.FAULTS:  # laser applicator (aux_emu.py)
            setting = self.aux.apply(f, v, plant)
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
        elif p._vent_x is not None:
            vent = int(p._vent * 65535.0 + 0.5)  # the valve's opening, after its curve
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
        if self.aux is not None:
            self._truth.write(self.aux.truth())
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
