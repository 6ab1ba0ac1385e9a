"""Where the rest of the project lives, seen from the installed host tool."""
from __future__ import annotations

import os
from pathlib import Path


def repo_root() -> Path:
    """The project checkout (the host tool is installed from it in editable
    mode); VACUUM_REPO overrides."""
    env = os.environ.get("VACUUM_REPO")
    if env:
        return Path(env).resolve()
    return Path(__file__).resolve().parents[2]


def sim_dir() -> Path:
    return repo_root() / "boards" / "sim"


def scenarios_dir() -> Path:
    return sim_dir() / "scenarios"
