# Fills the simulated flash (boards/sim/flash.py) for the tests of a full
# filesystem (test_store.py, test_therapylog.py).
import os


def fill(prefix):
    """Files prefix0, prefix1, ... until no byte more fits; their names.
    littlefs commits a file only when it is closed, and a failed write is
    rolled back: many closed files of ever smaller size."""
    made = []
    for chunk in (4096, 256, 16):
        while True:
            name = "%s%d" % (prefix, len(made))
            try:
                with open(name, "wb") as f:
                    f.write(bytes(chunk))
            except OSError as e:
                assert e.args[0] == 28  # ENOSPC
                try:
                    os.remove(name)
                except OSError:
                    pass
                break
            made.append(name)
    return made
