# Simulated flash chip of the simulated board, with littlefs2 on it.
#
# The chip is a file on the host (the image): 4096-byte erase blocks like the
# RP2040's QSPI NOR flash, 352 blocks = the 1408 KB filesystem MicroPython
# gives a 2 MB Pico. Bytes past the end of the image file read as erased
# (0xFF), so a fresh image costs nothing. Every operation goes straight to the
# file: the image survives power cuts, resets and the end of the process.
#
# Timing follows a W25Q16JV (the Pico's chip), typical datasheet figures: a
# page program takes 0.4 ms per 256 bytes and a 4 KB sector erase 45 ms. On an
# RP2040 the CPU stalls while the flash is busy (code runs from it), so the
# time is charged to the virtual clock: a long write shows up as late control
# ticks, as it would on the board.
#
# Power cut at the N-th write: cut_at_write(n) arms the chip so that the n-th
# following modifying operation (page program or block erase, counted from 1)
# is torn (only its first half reaches the chip) and the board loses power
# there and then. The littlefs instance that was writing is dead from then
# on: while the cut unwinds the firmware it raises the reset again, and after
# the reboot anything it does (a finaliser closing a file) is ignored.
import gc
import os
import sys

import vfs

BLOCK_SIZE = 4096
PICO_BLOCKS = 352  # 1408 KB, the rp2 port's filesystem on a 2 MB Pico
MOUNT_POINT = "/flash"

_PAGE_US = 400  # per 256-byte page (typ. 0.4 ms)
_ERASE_US = 45_000  # per 4 KB sector (typ. 45 ms)
_READ_BYTES_PER_US = 32  # XIP reads, ~32 MB/s
_ERASED = b"\xff" * 256
_PROG_SIZE = 256  # littlefs program unit = a flash page (as the rp2 port mounts it)


class _Port:
    """What one mounted littlefs instance sees of the chip. A power cut
    kills the port, not the chip: the next boot mounts through a new one."""

    ALIVE = 0
    CUTTING = 1  # the power is off and the firmware is unwinding
    DEAD = 2

    def __init__(self, chip):
        self.chip = chip
        self.state = _Port.ALIVE

    def readblocks(self, block, buf, offset=0):
        if self.state == _Port.CUTTING:
            self.chip.raise_cut()
        if self.state == _Port.DEAD:
            # A mount from before a power cut (its files' finalisers may
            # still run): it no longer reaches the chip.
            raise OSError(5)
        self.chip.read(block, buf, offset)

    def writeblocks(self, block, buf, offset=0):
        if self.state == _Port.ALIVE:
            self.chip.program(self, block, buf, offset)
        elif self.state == _Port.CUTTING:
            self.chip.raise_cut()

    def ioctl(self, op, arg):
        if op == 4:  # block count
            return self.chip.block_count
        if op == 5:  # block size
            return BLOCK_SIZE
        if op == 6:  # erase
            if self.state == _Port.ALIVE:
                self.chip.erase(self, arg)
            elif self.state == _Port.CUTTING:
                self.chip.raise_cut()
            return 0
        return 0  # init, deinit, sync


class SimFlash:
    def __init__(self, path, block_count=PICO_BLOCKS, clock=None, on_power_cut=None):
        if not 8 <= block_count <= 65536:
            raise ValueError("flash block count %d is out of range 8..65536" % block_count)
        self.path = path
        self.block_count = block_count
        self.size = block_count * BLOCK_SIZE
        self._clock = clock  # charged for busy time; None = untimed (unit tests)
        self._on_power_cut = on_power_cut  # raises the board's reset; None = raise PowerCut
        try:
            self._f = open(path, "r+b")
        except OSError:
            self._f = open(path, "w+b")  # a blank chip
        self._len = self._f.seek(0, 2)
        if self._len > self.size:
            raise ValueError("flash image %s is %d bytes, larger than the %d-byte chip" % (path, self._len, self.size))
        self._port = None
        self.writes = 0  # modifying operations (programs + erases) so far
        self._cut_at = 0  # writes count at which to cut; 0 = not armed
        self.cuts = 0
        self.busy_us = 0  # total time the chip kept the CPU waiting
        self.temporary = False  # image deleted when the simulation ends

    def attach(self, clock, on_power_cut):
        """Wire the chip into a board: busy time is charged to clock, and a
        cut calls on_power_cut() (which raises the board's reset)."""
        self._clock = clock
        self._on_power_cut = on_power_cut

    # ---- fault injection -------------------------------------------------
    def cut_at_write(self, n):
        """Cut the power at the n-th modifying operation from now (n >= 1);
        0 disarms."""
        self._cut_at = 0 if n <= 0 else self.writes + n

    def raise_cut(self):
        if self._on_power_cut is not None:
            self._on_power_cut()
        raise PowerCut()

    def _tick(self, port, us):
        self.writes += 1
        if self._clock is not None:
            self._clock.consume_us(us)
        self.busy_us += us
        if self._cut_at and self.writes >= self._cut_at:
            self._cut_at = 0
            self.cuts += 1
            port.state = _Port.CUTTING
            return True
        return False

    # ---- the chip ----------------------------------------------------------
    def _check(self, block, offset, n):
        if block < 0 or block >= self.block_count or offset < 0 or offset + n > BLOCK_SIZE:
            raise OSError(22)  # EINVAL: littlefs never does this

    def read(self, block, buf, offset):
        n = len(buf)
        self._check(block, offset, n)
        a = block * BLOCK_SIZE + offset
        got = 0
        if self._f is not None and a < self._len:  # (None: closed, a finaliser of a dead mount)
            self._f.seek(a)
            got = self._f.readinto(buf) or 0
        for i in range(got, n):
            buf[i] = 0xFF
        if self._clock is not None:
            self._clock.consume_us(n // _READ_BYTES_PER_US)

    def _put(self, a, data, n):
        if a > self._len:
            self._f.seek(self._len)
            gap = a - self._len
            while gap > 0:
                k = gap if gap < 256 else 256
                self._f.write(_ERASED[:k])
                gap -= k
        self._f.seek(a)
        self._f.write(data if n == len(data) else data[:n])
        if a + n > self._len:
            self._len = a + n
        self._f.flush()

    def program(self, port, block, buf, offset):
        n = len(buf)
        self._check(block, offset, n)
        torn = self._tick(port, _PAGE_US * ((n + 255) // 256))
        self._put(block * BLOCK_SIZE + offset, buf, n // 2 if torn else n)
        if torn:
            self.raise_cut()

    def erase(self, port, block):
        self._check(block, 0, BLOCK_SIZE)
        torn = self._tick(port, _ERASE_US)
        a = block * BLOCK_SIZE
        if a < self._len:
            todo = BLOCK_SIZE // 2 if torn else BLOCK_SIZE
            for i in range(0, todo, 256):
                self._put(a + i, _ERASED, 256)
        if torn:
            self.raise_cut()

    # ---- the filesystem ------------------------------------------------------
    def mount(self):
        """At boot: mount littlefs at MOUNT_POINT, formatting a blank or
        unreadable chip first (as MicroPython's rp2 _boot.py does)."""
        if self._port is not None:
            self._port.state = _Port.DEAD
            try:
                vfs.umount(MOUNT_POINT)
            except OSError:
                pass
            # Files left open by a power cut belong to the dead mount; their
            # finalisers fail (and MicroPython prints that): let them run now,
            # during boot, rather than in the middle of the next session.
            gc.collect()
        port = _Port(self)
        self._port = port
        # Mounting (and formatting a blank chip, a once-in-a-lifetime step) is
        # part of the modelled boot time, so it charges the clock nothing.
        clock = self._clock
        self._clock = None
        armed = self._cut_at - self.writes if self._cut_at else 0
        try:
            return self._mount(port)
        finally:
            self._clock = clock
            if armed > 0:  # a pending cut counts the firmware's writes only
                self._cut_at = self.writes + armed

    def _mount(self, port):
        try:
            fs = vfs.VfsLfs2(port, progsize=_PROG_SIZE)
        except OSError:
            sys.stderr.write("sim: flash %s has no filesystem: formatting littlefs2 (%d x %d bytes)\n" % (self.path, self.block_count, BLOCK_SIZE))
            vfs.VfsLfs2.mkfs(port, progsize=_PROG_SIZE)
            fs = vfs.VfsLfs2(port, progsize=_PROG_SIZE)
        vfs.mount(fs, MOUNT_POINT)
        return fs

    def unmount(self):
        if self._port is not None:
            self._port.state = _Port.DEAD
            self._port = None
            try:
                vfs.umount(MOUNT_POINT)
            except OSError:
                pass

    def close(self):
        self.unmount()
        if self._f is not None:
            self._f.close()
            self._f = None


class PowerCut(BaseException):
    """The power failed during a flash write (when no board reset is wired
    in, e.g. in unit tests). A BaseException, so firmware `except Exception`
    cannot swallow it."""


def remove_image(path):
    try:
        os.remove(path)
    except OSError:
        pass


def scratch_dir():
    """Where an image that lives for one run goes: the RAM-backed /dev/shm
    where there is one, else /tmp. (Every flash write is flushed to the image
    file: on a disk, a power-cut sweep's thousands of writes and snapshots
    wait for the disk, the more so when the disk is busy.)"""
    try:
        os.stat("/dev/shm")
        return "/dev/shm"
    except OSError:
        return "/tmp"


def scratch_image():
    """A fresh image path in scratch_dir() for tests (remove_image() it after)."""
    return "%s/vacuum-flash-test-%s.img" % (scratch_dir(), "".join("%02x" % b for b in os.urandom(6)))


class BusyClock:
    """Tests: a clock for attach() that only adds up the busy time charged
    to it (self.us)."""

    def __init__(self):
        self.us = 0

    def consume_us(self, us):
        self.us += us


def with_scratch_chip(fn, blocks=64):
    """Tests: fn(chip) on a fresh, mounted chip, removed afterwards."""
    chip = SimFlash(scratch_image(), blocks)
    try:
        chip.mount()
        fn(chip)
    finally:
        chip.close()
        remove_image(chip.path)
