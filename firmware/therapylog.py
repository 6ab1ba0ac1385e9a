# Therapy log: one record per session (start, end, program, parameters, time
# delivered at target, how it ended, alarms), oldest dropped first.
#
# Kept in a bounded RAM ring: it does NOT survive a reset yet. The interface
# (begin / finish / count / row) is what a persistent store will back.
# Runs outside the control tick (command handlers, background): may allocate.


class TherapyLog:
    def __init__(self, capacity=32):
        self.capacity = capacity
        self._ring = []  # oldest first
        self.total = 0  # records ever begun (seq of the next one)
        self._open = None

    def begin(self, t_ms, program, params):
        """params: text such as 'target:30000,duration:900000'."""
        rec = [self.total, t_ms, -1, program, params, 0, 0, "running", "none"]
        self.total += 1
        if len(self._ring) >= self.capacity:
            self._ring.pop(0)
        self._ring.append(rec)
        self._open = rec

    def is_open(self):
        return self._open is not None

    def finish(self, t_ms, elapsed_ms, delivered_ms, end, alarms):
        rec = self._open
        if rec is None:
            return
        rec[2] = t_ms
        rec[5] = elapsed_ms
        rec[6] = delivered_ms
        rec[7] = end
        rec[8] = alarms
        self._open = None

    def count(self):
        return len(self._ring)

    def row(self, i):
        """Record i (0 = oldest kept) as key=value text."""
        r = self._ring[i]
        return "seq=%d start_ms=%d end_ms=%d program=%s params=%s elapsed_ms=%d delivered_ms=%d end=%s alarms=%s" % tuple(r)

    def clear(self):
        self._ring = [] if self._open is None else [self._open]
