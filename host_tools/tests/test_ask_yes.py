"""Committing asks a person; without a terminal it refuses in a sentence
(config commit, commission): never a silent yes or a hang on input()."""
from __future__ import annotations

import io

import pytest

from vacuumctl.cmdline import ask_yes
from vacuumctl.errors import UserError


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_without_a_terminal_it_refuses_and_says_what_stays(monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("y\n"))  # piped: a 'y' that nobody typed
    with pytest.raises(UserError, match=r"pass --yes \(the result stays staged on the device\)$"):
        ask_yes("commit? [y/N] ", " (the result stays staged on the device)")


@pytest.mark.parametrize("answer, ok", [("y\n", True), ("YES\n", True), ("\n", False), ("n\n", False), ("yep\n", False)])
def test_on_a_terminal_only_yes_commits(monkeypatch, capsys, answer, ok):
    monkeypatch.setattr("sys.stdin", _Tty(answer))
    assert ask_yes("commit? [y/N] ") is ok
    assert capsys.readouterr().out == "commit? [y/N] "
