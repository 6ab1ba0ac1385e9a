# The host's gate: device time at full speed only while the host waits on it.
#
# A test host spends much of its wall time between its waits: building the
# next request, parsing a reply, checking ground truth. A board at full speed
# simulates that time anyway, device time nobody looks at, so the device
# clock between two of the host's commands advances by however long the host
# happened to think (a loaded machine's host sent `start` after a scenario's
# fault; a telemetry window counted from lines queued seconds earlier).
#
# With the gate (launcher.py --idle-speed) the host says, one byte on the
# launcher's stdin passed on to this pipe, when it starts waiting on the
# board ('w': a request, telemetry, an event, ground truth) and when it stops
# ('i'). The world runs at its --speed while the host waits and at the idle
# speed (slow, but never frozen: a wait the host forgot to announce still
# ends) in between. The firmware cannot tell: its clock is the world's, and
# only how much wall time a device second takes changes.
import select

from micropython import const

_WAIT = const(0x77)  # 'w'


class HostGate:
    def __init__(self, fd, idle_speed):
        self._pipe = open("/dev/fd/%d" % fd, "rb")
        self._poll = select.poll()
        self._poll.register(self._pipe, select.POLLIN)
        self._byte = bytearray(1)
        self.idle_speed = idle_speed
        self.waiting = False  # the host announces its first wait (the link's handshake)

    def changed(self, timeout_ms=0):
        """Whether the host's word changed, waiting up to timeout_ms for one
        (the idle pacing's sleep: a 'w' ends it at once)."""
        waiting = self.waiting
        while True:
            ready = False
            for _ in self._poll.ipoll(timeout_ms):
                ready = True
            if not ready:
                break
            # One byte at a time: a stream's readinto waits to fill its buffer.
            if self._pipe.readinto(self._byte) != 1:  # the launcher is gone: run freely
                self._poll.unregister(self._pipe)
                waiting = True
                break
            waiting = self._byte[0] == _WAIT  # the last word counts
            timeout_ms = 0
        if waiting == self.waiting:
            return False
        self.waiting = waiting
        return True
