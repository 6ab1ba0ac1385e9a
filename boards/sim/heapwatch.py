# The firmware's peak live heap on the simulated board (--heap-report,
# scripted sessions): a collection, then gc.mem_alloc(), once per simulated
# interval while the firmware waits in the virtual clock, outside its
# heap-locked tick. The baseline is what is live at each boot just before
# main.py is imported (boot_loop), so the sim's own code (physics, boot loop,
# REPL, flash mount) is not counted as the firmware's.
import gc

_NOT_YET = -1  # every_us before the first boot: no sample


class HeapWatch:
    def __init__(self, every_ms=1000):
        self._every_ms = every_ms
        self.every_us = _NOT_YET
        self.next_us = 0
        self.peak = 0  # live bytes, the sim's included
        self.baseline = 0  # live bytes at the last boot, before main.py
        self.firmware_peak = 0  # peak - baseline, the firmware's share

    def due(self, now_us):
        return self.every_us >= 0 and now_us >= self.next_us

    def at_firmware_boot(self, now_us):
        gc.collect()
        self.baseline = gc.mem_alloc()
        if self.baseline > self.peak:
            self.peak = self.baseline
        self.every_us = self._every_ms * 1000
        self.next_us = now_us

    def sample(self, now_us):
        self.next_us = now_us + self.every_us
        gc.collect()
        a = gc.mem_alloc()
        if a > self.peak:
            self.peak = a
        if a - self.baseline > self.firmware_peak:
            self.firmware_peak = a - self.baseline

    def report(self):
        total = gc.mem_alloc() + gc.mem_free()
        return '{"heap_bytes": %d, "peak_live_bytes": %d, "sim_baseline_bytes": %d, "firmware_peak_bytes": %d}' % (
            total, self.peak, self.baseline, self.firmware_peak)
