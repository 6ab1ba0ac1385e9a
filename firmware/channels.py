# How many pump/vent/sensor channels the board has (board.CHANNELS), and
# the device's outputs. The code for a multi-channel board (multichannel.py)
# and for a laser applicator's rollers and laser (auxout.py, laser.py) is
# imported only on such a board: another board's heap never holds it.
from outputs import Outputs


def count(board):
    return len(getattr(board, "CHANNELS", ())) or 1


def make_outputs(board, machine):
    """Outputs for every channel of the board (and its rollers and laser),
    safe from the first instant."""
    aux = None
    if hasattr(board, "ROLLER_PIN") or hasattr(board, "LASER_EN_PIN"):
        from auxout import AuxOutputs

        aux = AuxOutputs(board, machine)  # laser and rollers off before the pump exists
    if count(board) > 1:
        from multichannel import ChannelOutputs

        out = ChannelOutputs(board, machine)
    else:
        out = Outputs(board, machine)
    out.aux = aux  # Outputs.safe() turns them off first from now on
    return out



def make_extra(board, machine, outputs, period_ms):
    """The channels after the first (multichannel.Channels), or None."""
    if count(board) < 2:
        return None
    from multichannel import Channels

    return Channels(board, machine, outputs, period_ms)
