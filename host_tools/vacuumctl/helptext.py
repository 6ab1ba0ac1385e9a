"""The examples and exit statuses shown by ``vacuumctl --help``. Each
command's own examples are registered beside it (``cmdline.add_command``);
docs/host-tool.md has them all with output.
"""
from __future__ import annotations

import argparse

TOP = """examples:
  vacuumctl ports                                   # which port has a board running this firmware
  vacuumctl --port sim run continuous --target 30kPa --duration 20 --plot run.png
  vacuumctl --port /dev/ttyACM0 console             # interactive, like picocom but with completion
  vacuumctl plot run.csv -o run.png
With exactly one board running this firmware plugged in, --port may be left out.
'vacuumctl COMMAND --help' shows each command's options and examples; docs/host-tool.md has them all.
exit status: 0 ok, 1 an error explained in one sentence, 2 wrong usage or no port, 3 the device
faulted during 'run' or aborted 'commission', 4 'commission' measured something implausible,
130 interrupted by Ctrl-C"""

class _TopFormatter(argparse.RawDescriptionHelpFormatter):
    """argparse sizes the name column without the commands' own indent, so a
    long command name ("commission") lost its line: count that indent."""

    def add_argument(self, action: argparse.Action) -> None:
        super().add_argument(action)
        if action.help is not argparse.SUPPRESS and isinstance(action, argparse._SubParsersAction):
            longest = max((len(self._format_action_invocation(a)) for a in action._get_subactions()), default=0)
            self._action_max_length = max(self._action_max_length, longest + self._current_indent + self._indent_increment)


def add_top(top: argparse.ArgumentParser) -> None:
    """The tool's own examples and exit statuses, after its command list."""
    top.epilog = TOP
    top.formatter_class = _TopFormatter
