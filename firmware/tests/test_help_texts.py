# The texts moved out of RAM (command_help.py, program_help.py) still cover
# everything: every command, program and parameter has its text and no text
# is left for something that is gone; and the on-demand call leaves nothing
# loaded behind it.
import gc
import sys

import command_help
import commands
import program_help
import programs


def test_every_command_has_usage_and_help():
    assert sorted(command_help.TEXTS) == sorted(commands.COMMANDS)
    for name, (usage, text) in command_help.TEXTS.items():
        assert usage.split()[0] == name and text, name


def test_every_program_and_parameter_has_a_description():
    import laser_programs  # (on a laser applicator board only, but described everywhere)

    every = programs.PROGRAMS + laser_programs.PROGRAMS
    assert sorted(program_help.TEXTS) == sorted(p.name for p in every)
    for p in every:
        assert program_help.TEXTS[p.name][0]
        for q in p.params:
            assert program_help.param_text(p, q.name)
        # No text for a parameter the program does not have.
        for name in program_help.TEXTS[p.name][1]:
            assert programs.param(p, name) is not None, (p.name, name)


def test_a_service_call_forgets_what_it_imported():
    for name in ("tune_commands", "param_commands"):
        sys.modules.pop(name, None)
    gc.collect()
    before = sorted(sys.modules)
    # 'get' with a bad name: the module is imported, raises, and is forgotten.
    try:
        commands.call(commands.COMMANDS["get"], None, ["nothing"])
        raise AssertionError("no error")
    except commands.CmdError as e:
        assert e.code == "E_UNKNOWN"
    assert sorted(sys.modules) == before


def _framable(text):
    # Machine mode replaces what a frame may not carry ("*" ends the text
    # before the CRC; control and non-ASCII bytes) by "?" (frame.encode).
    for c in text:
        o = ord(c)
        if o < 32 or o > 126 or c == "*":
            return False
    return True


def test_every_text_survives_machine_mode_unchanged():
    import config_commands
    import param_commands

    texts = [t for pair in command_help.TEXTS.values() for t in pair]
    texts += list(config_commands.HELP.values())
    for entry in param_commands.PARAMS.values():
        texts += [entry[2], entry[3]]
    texts += list(program_help._COMMON.values())
    for name, (purpose, params) in program_help.TEXTS.items():
        texts.append(purpose)
        texts += list(params.values()) if isinstance(params, dict) else []
    bad = [t for t in texts if not _framable(t)]
    assert not bad, bad
    assert len(texts) > 40, len(texts)
