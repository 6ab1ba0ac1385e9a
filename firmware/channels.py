# The board's chambers: how many (board.CHANNELS), the device's outputs, and
# its channels (channel.Channel each, channel 0 included). The code for a
# multi-channel board (multichannel.py) and for a laser applicator's rollers
# and laser (auxout.py, laser.py) is imported only on such a board: another
# board's heap never holds it.
from channel import Channel
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


def make_channels(board, machine, outputs, period_ms):
    """Every channel of the board, channel 0 first, each a channel.Channel:
    channel 0 drives `outputs` (whose safe() covers every channel), channel
    i of a multi-channel board the outputs.extra[i - 1], as a
    multichannel.Follower (a Channel that follows the session's level)."""
    n = count(board)
    if n < 2:
        return (Channel(board, machine, 0, outputs, period_ms),)
    from multichannel import Follower

    return (Channel(board, machine, 0, outputs, period_ms),) + tuple(Follower(board, machine, i, outputs.extra[i - 1], period_ms) for i in range(1, n))


def make_extra(channels):
    """What only a multi-channel board does with its channels
    (multichannel.Channels), or None."""
    if len(channels) < 2:
        return None
    from multichannel import Channels

    return Channels(channels)
