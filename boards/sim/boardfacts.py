"""Facts of a board definition read on the host (CPython), for the launcher,
the bench tools and the tests. The board files are MicroPython that imports
`machine`, so they are read as text: each fact is an integer
``NAME = const(N)`` of boards/<board>.py, or of the board it imports with
``from pico import *`` when it does not set it itself."""
import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def board_constant(board: str, name: str) -> int:
    """An integer `NAME = const(N)` of boards/<board>.py; OSError when the
    board has no file, ValueError when the file does not define it."""
    with open(os.path.join(ROOT, "boards", board + ".py")) as f:
        text = f.read()
    m = re.search(r"^%s\s*=\s*const\(([\d_]+)\)" % name, text, re.M)
    if m:
        return int(m.group(1).replace("_", ""))
    base = re.search(r"^from (\w+) import \*", text, re.M)  # a board built on another (sim_laser: the pico)
    if base:
        return board_constant(base.group(1), name)
    raise ValueError("boards/%s.py has no %s = const(N)" % (board, name))


def control_period_ms(board: str = "pico") -> int:
    """The board's control period, from its CONTROL_HZ (the default
    scenario's board is the pico)."""
    return 1000 // board_constant(board, "CONTROL_HZ")
