# Base class for byte-level emulations of I2C target devices.
#
# The simulated board's `machine.I2C` looks a target up by its 7-bit address
# and calls the bus-side methods below; the simulation world calls advance()
# between control ticks with the true physical quantity at the device (and
# observe() inside a wait, when wake_us() asks for it).
#
# Allocation rule: the bus-side methods (write_reg, read_reg_into, write_raw,
# read_raw_into and the on_* hooks they call) may run inside the firmware's
# micropython.heap_lock(). Their normal path must not allocate: no slicing,
# no bytes()/bytearray(), no new objects, no float maths (a float is a heap
# object in MicroPython), no string formatting. Integer arithmetic on values
# that fit a small int, indexing, and plain method calls with positional
# arguments are fine. advance() runs on the simulator side and may allocate,
# so anything that needs floats or random numbers is precomputed there.
#
# Default behaviour is a plain 256-byte register file with an 8-bit register
# pointer that auto-increments after every byte and wraps from 0xFF to 0x00.
# A device emulation overrides only the hooks it needs:
#   on_access(now_us)            once at the start of every bus-side transfer
#                                (e.g. finish a conversion whose time is up)
#   on_write(reg, value, now_us) one written byte; the default stores it in
#                                self.regs, an override can add side effects
#                                and/or skip the store (read-only register)
#   on_read(reg, now_us)         one byte read; returns the byte, the default
#                                returns self.regs[reg]; override for side
#                                effects such as clear-on-read or live status
# Time (now_us) is the simulation's unbounded, monotonic microsecond count
# (VirtualClock.now_us), not a wrapping ticks value.


class I2CTargetEmu:
    address = 0
    # False => the target NACKs its address: machine.I2C raises OSError(EIO).
    connected = True
    # True => the target holds SCL/SDA low: machine.I2C consumes its timeout
    # and raises OSError(ETIMEDOUT).
    hold_bus = False

    def __init__(self, address):
        self.address = address
        # Instance attributes (not only the class defaults above): found at
        # the first lookup on every transfer.
        self.connected = True
        self.hold_bus = False
        self.regs = bytearray(256)
        self.pointer = 0
        # Without an on_read override a read copies the register file
        # directly (the same bytes, without a method call per byte).
        self._plain_read = type(self).on_read is I2CTargetEmu.on_read

    # ---- hooks (override in device emulations) ---------------------------
    def on_access(self, now_us):
        pass

    def on_write(self, reg, value, now_us):
        self.regs[reg] = value

    def on_read(self, reg, now_us):
        return self.regs[reg]

    # ---- bus side: called by machine.I2C, must not allocate -------------
    def write_reg(self, reg, buf, now_us):
        """writeto_mem: write buf to reg, reg+1, ... (pointer auto-increments)."""
        self.on_access(now_us)
        r = reg & 0xFF
        for i in range(len(buf)):
            self.on_write(r, buf[i], now_us)
            r = (r + 1) & 0xFF
        self.pointer = r

    def read_reg_into(self, reg, buf, now_us):
        """readfrom_mem_into: fill buf from reg, reg+1, ..."""
        self.on_access(now_us)
        r = reg & 0xFF
        if self._plain_read:
            regs = self.regs
            for i in range(len(buf)):
                buf[i] = regs[r]
                r = (r + 1) & 0xFF
        else:
            for i in range(len(buf)):
                buf[i] = self.on_read(r, now_us)
                r = (r + 1) & 0xFF
        self.pointer = r

    def write_raw(self, buf, now_us):
        """writeto: buf[0] sets the register pointer, the rest is written from
        there. An empty write (address probe) changes nothing."""
        self.on_access(now_us)
        n = len(buf)
        if n == 0:
            return
        r = buf[0] & 0xFF
        for i in range(1, n):
            self.on_write(r, buf[i], now_us)
            r = (r + 1) & 0xFF
        self.pointer = r

    def read_raw_into(self, buf, now_us):
        """readfrom_into: read from the current register pointer."""
        self.on_access(now_us)
        r = self.pointer
        for i in range(len(buf)):
            buf[i] = self.on_read(r, now_us)
            r = (r + 1) & 0xFF
        self.pointer = r

    # ---- simulator side: between control ticks, may allocate ------------
    def advance(self, now_us, gauge_pa):
        """Let the device see the physical world up to now_us. gauge_pa is the
        true gauge pressure at the sensor port (float Pa, negative below
        ambient); devices that do not measure pressure ignore it. The world
        calls it at the end of every wait, right before the firmware runs."""
        pass

    def observe(self, now_us, gauge_pa):
        """As advance(), at a moment inside a wait that wake_us() asked for:
        the firmware does not run before the next call. Override to skip
        work only the bus side needs (precomputed results)."""
        self.advance(now_us, gauge_pa)

    def wake_us(self):
        """The device time at which this device must next see the physics
        (e.g. the end of a conversion), or None for no need before the end
        of the wait. The world then calls observe() at the last 1 ms physics
        step before that time and at the first one at or after it. Default
        0: at every step (always correct, and the slowest)."""
        return 0


class ConvertingEmu(I2CTargetEmu):
    """A sensor with at most one conversion in flight (self._busy, ending
    at self._end_us) and its own noise sequence (self._noise, a
    noise.Gauss): the BMP280 and MPRLS emulations. Their advance() notes
    the physics with _note() and takes the pressure a conversion that ended
    in between saw from _gauge_at(); their __init__ sets self._t_us = None
    and self._gauge_pa = 0.0 (no advance() yet)."""

    def _note(self, now_us, gauge_pa):
        """The physics advance() sees, kept with the previous call's."""
        self._prev_t = self._t_us
        self._prev_g = self._gauge_pa
        self._t_us = now_us
        self._gauge_pa = gauge_pa

    def _gauge_at(self, end_us):
        """The gauge pressure at end_us, linear between the previous
        advance() and this one (this one's if end_us is not between)."""
        prev_t = self._prev_t
        now_us = self._t_us
        if prev_t is not None and prev_t < end_us < now_us:
            prev_g = self._prev_g
            return prev_g + (self._gauge_pa - prev_g) * (end_us - prev_t) / (now_us - prev_t)
        return self._gauge_pa

    def restart_noise(self):
        """Start the noise sequence again from the seed (see World)."""
        self._noise.restart()

    # A read-out through __getattr__, not @property: in MicroPython a class
    # with a property looks every attribute access up in the class first.
    def __getattr__(self, name):
        if name == "converting":
            return self._busy
        raise AttributeError(name)

    def wake_us(self):
        """The end of the running conversion (None: idle)."""
        return self._end_us if self._busy else None
