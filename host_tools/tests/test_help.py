"""Every command explains itself: --help with examples, never a traceback."""
from __future__ import annotations

import pytest

from vacuumctl import cli


def _commands() -> list[str]:
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    return sorted(sub.choices)  # type: ignore[arg-type]


def test_top_level_help_lists_examples_and_exit_statuses(capsys):
    with pytest.raises(SystemExit) as e:
        cli.main(["--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    assert "examples:" in out and "exit status:" in out
    for name in _commands():
        assert "    %s " % name in out, name


@pytest.mark.parametrize("name", _commands())
def test_every_command_has_help_with_examples(name, capsys):
    with pytest.raises(SystemExit) as e:
        cli.main([name, "--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: vacuumctl %s" % name)
    # A command registered without examples fails here: add them to
    # the register() of its module (cmdline.add_command(..., examples=...)).
    assert "examples:\n  vacuumctl" in out, name
