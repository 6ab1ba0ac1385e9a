"""Facts of a board definition for the bench tools, read as text (the board
files are MicroPython and import `machine`)."""
import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def board_constant(board: str, name: str) -> int:
    """An integer `NAME = const(N)` of boards/<board>.py."""
    with open(os.path.join(ROOT, "boards", board + ".py")) as f:
        m = re.search(r"^%s\s*=\s*const\(([\d_]+)\)" % name, f.read(), re.M)
    if not m:
        raise ValueError("boards/%s.py has no %s = const(N)" % (board, name))
    return int(m.group(1).replace("_", ""))


def control_period_ms(board: str) -> int:
    """The board's control period, from its CONTROL_HZ."""
    return 1000 // board_constant(board, "CONTROL_HZ")
