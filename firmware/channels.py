# How many pump/vent/sensor channels the board has (board.CHANNELS), and
# the device's outputs. The code for a multi-channel board (multichannel.py)
# is imported only on such a board: a one-channel board's heap never holds it.
from outputs import Outputs


def count(board):
    return len(getattr(board, "CHANNELS", ())) or 1


def make_outputs(board, machine):
    """Outputs for every channel of the board, safe from the first instant."""
    if count(board) > 1:
        from multichannel import ChannelOutputs

        return ChannelOutputs(board, machine)
    return Outputs(board, machine)


def make_extra(board, machine, outputs, period_ms):
    """The channels after the first (multichannel.Channels), or None."""
    if count(board) < 2:
        return None
    from multichannel import Channels

    return Channels(board, machine, outputs, period_ms)
