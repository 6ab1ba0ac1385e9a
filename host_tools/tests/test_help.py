"""Every command explains itself: --help with examples, never a traceback."""
from __future__ import annotations

import argparse

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


def test_the_command_table_is_what_the_modules_register():
    """cli.COMMANDS (what a run lists without importing every command's
    module) names each module's commands, in order, with their help."""
    for module, commands in cli.COMMANDS:
        sub = argparse.ArgumentParser().add_subparsers()
        cli.command_module(module).register(sub)
        assert [(a.dest, a.help) for a in sub._choices_actions] == list(commands), module


def _top_help(parser: argparse.ArgumentParser) -> str:
    return parser.format_help()


def test_a_run_that_loads_one_command_reads_as_the_whole_tool():
    full = cli.build_parser()
    assert _top_help(cli.build_parser(())) == _top_help(full)
    assert _top_help(cli.build_parser(("status",))) == _top_help(full)
    for name in _commands():
        lazy = cli.build_parser((name,))
        sub = next(a for a in lazy._actions if a.dest == "command")
        whole = next(a for a in full._actions if a.dest == "command")
        assert sub.choices[name].format_help() == whole.choices[name].format_help(), name


@pytest.mark.parametrize("argv", [["--po", "plot", "status", "--help"], ["--port=sim", "status", "--help"],
                                  ["--unit", "mmHg", "plot", "--help"]])
def test_a_command_found_past_the_options_gets_its_own_options(argv, capsys):
    with pytest.raises(SystemExit) as e:
        cli.main(argv)
    assert e.value.code == 0
    command = [a for a in argv if a in dict(c for _, cs in cli.COMMANDS for c in cs)][-1]
    assert capsys.readouterr().out.startswith("usage: vacuumctl %s" % command)
