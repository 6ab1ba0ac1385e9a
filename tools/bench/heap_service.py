# MicroPython (Unix port): the heap each on-demand service module takes while
# it is loaded (lazy.call_lazy imports it for one command and forgets it
# after). The heap report of a session (boards/sim/world.py) samples between
# commands, when none is loaded; the firmware's true peak is that plus the
# largest of these. Prints one JSON object: {module: bytes}.
#
#   micropython tools/bench/heap_service.py [FIRMWARE_DIR]
import gc
import sys

_DIR = sys.argv[1] if len(sys.argv) > 1 else "firmware"
sys.path.insert(0, _DIR)

# The on-demand modules: commands.COMMANDS entries made by _service, and
# program_help (also loaded for the error of a missing start parameter).
SERVICE = ("command_help", "program_help", "param_commands", "tune_commands", "config_commands", "tune_result",
           "commission_commands", "commission", "commission_result")

# What is always loaded before any of them (app.py's imports, without the
# board: board-independent).
import commands  # noqa: E402,F401
import config  # noqa: E402,F401
import console  # noqa: E402,F401
import autotune  # noqa: E402,F401


def _size(name):
    before = set(sys.modules)
    gc.collect()
    a = gc.mem_alloc()
    __import__(name)
    gc.collect()
    d = gc.mem_alloc() - a
    for m in list(sys.modules):
        if m not in before:
            del sys.modules[m]
    return d


# The first import of a module interns its new qstrs, which stay (the qstr
# pool never shrinks) and grow the pool in chunks that double in size: the
# module that happens to cross a chunk boundary would be charged ~14 KB that
# belongs to all of them, so the ranking changed with the import order and
# with any unrelated edit. So: import each once first (qstrs interned, pool
# grown), then weigh each alone; that is what a call costs from then on. (In
# a frozen or ROMFS image the qstrs are in flash; docs/reliability.md.)
for name in SERVICE:
    _size(name)
sizes = {name: _size(name) for name in SERVICE}
print("{" + ", ".join('"%s": %d' % (k, v) for k, v in sizes.items()) + "}")
