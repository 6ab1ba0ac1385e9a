# The filesystem as code typed at the simulated board's REPL sees it.
#
# On a Pico the littlefs flash is "/" and the current directory starts there.
# The simulated board's flash is mounted at /flash inside a Unix process whose
# "/" is the host's; the REPL therefore runs its code with `os` and `open`
# replaced by the ones below, which map every board path into the flash
# ("/main.py" -> "/flash/main.py", ".." at "/" stays at "/"). Tools such as
# mpremote then list, copy and hash exactly what a real board would hold, and
# can never reach the host's files. The firmware itself runs with the real
# `os` (its data directory is under /flash, see board.py).
import os as _os
import sys

from flash import MOUNT_POINT


def _normalise(cwd, path):
    """Absolute, normalised board path of path given the board cwd."""
    if not isinstance(path, str):
        raise TypeError("path must be a str")
    parts = [] if path.startswith("/") else [p for p in cwd.split("/") if p]
    for p in path.split("/"):
        if p == "" or p == ".":
            continue
        if p == "..":
            if parts:
                parts.pop()
        else:
            parts.append(p)
    return "/" + "/".join(parts)


class BoardOs:
    """The `os` module of the board, restricted to what a Pico's offers."""

    sep = "/"

    def __init__(self):
        self._cwd = "/"
        self.VfsLfs2 = _os.VfsLfs2
        self.urandom = _os.urandom

    def host_path(self, path):
        p = _normalise(self._cwd, path)
        return MOUNT_POINT if p == "/" else MOUNT_POINT + p

    def getcwd(self):
        return self._cwd

    def chdir(self, path):
        p = _normalise(self._cwd, path)
        if not _os.stat(self.host_path(p))[0] & 0x4000:
            raise OSError(20)  # ENOTDIR
        self._cwd = p

    def listdir(self, path=""):
        return _os.listdir(self.host_path(path))

    def ilistdir(self, path=""):
        return _os.ilistdir(self.host_path(path))

    def stat(self, path):
        return _os.stat(self.host_path(path))

    def statvfs(self, path):
        return _os.statvfs(self.host_path(path))

    def mkdir(self, path):
        _os.mkdir(self.host_path(path))

    def rmdir(self, path):
        _os.rmdir(self.host_path(path))

    def remove(self, path):
        _os.remove(self.host_path(path))

    unlink = remove

    def rename(self, old, new):
        _os.rename(self.host_path(old), self.host_path(new))

    def sync(self):
        pass  # every flash write already reached the image file

    def uname(self):
        return ("rp2", "sim", sys.implementation.name, sys.version, "simulated board")


class View:
    """Installs the board's view for the REPL's code and restores the real
    one afterwards (the firmware that boots next imports the real `os`)."""

    def __init__(self):
        self.os = BoardOs()

    def open(self, path, *args, **kw):
        return open(self.host_path(path), *args, **kw)

    def host_path(self, path):
        return self.os.host_path(path)

    def enter(self, scope):
        # `import os` consults sys.modules before the built-in modules.
        sys.modules["os"] = self.os
        scope["open"] = self.open

    def leave(self):
        sys.modules.pop("os", None)
