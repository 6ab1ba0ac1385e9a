# A minimal I2C bus with its own microsecond clock, for unit tests of the
# firmware's sensor drivers against the byte-level emulations (without the
# simulated world). Same error behaviour as the sim's machine.I2C: NACK ->
# OSError(EIO), a target holding the bus -> OSError(ETIMEDOUT). Bus-side
# calls allocate exactly where the rp2 port's do (writeto_mem joins address
# and data in a heap buffer; the others do not), so drivers can be tested
# under heap_lock as the chip would run them.


class TestBus:
    def __init__(self, *emus):
        self.emus = emus
        self.now_us = 0
        self.gauge = 0.0

    def _dev(self, addr):
        for emu in self.emus:
            if emu.address == addr:
                if emu.hold_bus:
                    raise OSError(110)
                if not emu.connected:
                    raise OSError(5)
                return emu
        raise OSError(5)

    def readfrom_mem_into(self, addr, mem, buf):
        self._dev(addr).read_reg_into(mem, buf, self.now_us)

    def writeto_mem(self, addr, mem, buf):
        joined = bytearray(len(buf) + 1)  # noqa: F841 - as rp2: MemoryError under heap_lock
        self._dev(addr).write_reg(mem, buf, self.now_us)

    def readfrom_into(self, addr, buf):
        self._dev(addr).read_raw_into(buf, self.now_us)

    def writeto(self, addr, buf):
        self._dev(addr).write_raw(buf, self.now_us)
        return len(buf)

    def scan(self):
        return [e.address for e in self.emus if e.connected and not e.hold_bus]

    def run(self, us, gauge=None, step_us=1000):
        """Advance time by `us`, the emulations seeing `gauge` every step_us."""
        if gauge is not None:
            self.gauge = gauge
        end = self.now_us + us
        while self.now_us < end:
            self.now_us = min(end, self.now_us + step_us)
            for emu in self.emus:
                emu.advance(self.now_us, self.gauge)
