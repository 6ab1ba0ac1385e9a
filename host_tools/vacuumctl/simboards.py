"""Simulated boards that stay: ``vacuumctl sim [SCENARIO] --detach [--name
NAME]``, ``--port sim@NAME`` from any later command, ``vacuumctl sim
--list`` and ``vacuumctl sim --stop NAME``.

A ``--port sim`` command powers a fresh simulated board up and off again, so
nothing it did (an unlock, a staged change, an autotune result) is there for
the next command. A detached board runs on in the background, as a real
board on the bench does, until it is stopped.

Each detached board is a keeper process (``python -m vacuumctl.simboards
serve ...``) whose child is boards/sim/launcher.py: the launcher ends with
its parent, so the keeper is that parent and outlives the command that
started it. The keeper writes the board's entry (``NAME.json``: keeper pid,
pty, scenario, ...) into the registry directory once the pty exists, and
removes it when the board ends. An entry whose keeper has gone (killed, the
PC rebooted) is stale: it is ignored and removed when seen.

Registry directory: ``$VACUUM_SIM_REGISTRY``, else
``$XDG_RUNTIME_DIR/vacuumctl/sims``, else ``<tmp>/vacuumctl-<uid>/sims``
(created with mode 0700: one user's boards are that user's).
"""
from __future__ import annotations

import argparse
import errno
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from .errors import UserError
from .paths import repo_root, scenarios_dir, sim_dir
from .simport import first_line, scenario_arg

REGISTRY_ENV = "VACUUM_SIM_REGISTRY"
PREFIX = "sim@"
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")
READY_TIMEOUT_S = 20.0
STOP_WAIT_S = 10.0
_KEEPER_MODULE = "vacuumctl.simboards"


def is_named_sim(port: str) -> bool:
    return port.startswith(PREFIX)


@dataclass
class SimBoard:
    """One registry entry."""

    name: str
    pid: int  # the keeper's
    token: str  # in the keeper's command line: a reused pid is not mistaken for it
    state: str = "starting"  # starting | running
    port: str = ""
    scenario: str = "default"
    board: str = ""
    speed: str = "1"
    started: float = 0.0  # wall clock (time.time())
    flash: str = ""
    truth_csv: str = ""
    log: str = ""

    @property
    def spec(self) -> str:
        return PREFIX + self.name


# ---- the registry ---------------------------------------------------------------
def registry_dir() -> Path:
    env = os.environ.get(REGISTRY_ENV)
    if env:
        d = Path(env)
    elif os.environ.get("XDG_RUNTIME_DIR"):
        d = Path(os.environ["XDG_RUNTIME_DIR"]) / "vacuumctl" / "sims"
    else:
        uid = os.getuid() if hasattr(os, "getuid") else 0
        d = Path(tempfile.gettempdir()) / ("vacuumctl-%d" % uid) / "sims"
    try:
        d.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as e:
        raise UserError("cannot create the simulated boards' registry %s: %s (set %s to a directory "
                        "of yours)" % (d, e.strerror or e, REGISTRY_ENV)) from None
    return d


def _entry_path(name: str) -> Path:
    return registry_dir() / (name + ".json")


def _read(path: Path) -> SimBoard | None:
    try:
        data = json.loads(path.read_text())
        return SimBoard(**data)
    except (OSError, ValueError, TypeError):
        return None


def _write(path: Path, board: SimBoard) -> None:
    """Atomically: a reader never sees half an entry."""
    tmp = path.with_name(".%s.%d.tmp" % (path.name, os.getpid()))
    with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
        f.write(json.dumps(asdict(board), indent=1) + "\n")
    os.replace(tmp, path)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone's process: alive, but the token check below decides
    try:
        # An ended process that nobody has reaped yet (a container's init
        # may never) still answers kill(pid, 0): 'Z' in its stat.
        stat = Path("/proc/%d/stat" % pid).read_bytes()
        return stat[stat.rindex(b")") + 2:stat.rindex(b")") + 3] != b"Z"
    except (OSError, ValueError):
        return True


def _is_ours(board: SimBoard) -> bool:
    """The keeper (or, while starting, the command starting it) still runs."""
    if board.pid <= 0 or not _pid_alive(board.pid):
        return False
    cmdline = Path("/proc/%d/cmdline" % board.pid)
    if board.state == "running" and cmdline.exists():
        try:
            return board.token.encode() in cmdline.read_bytes()
        except OSError:
            return False
    return True


def _remove_if(path: Path, token: str) -> None:
    current = _read(path)
    if current is None or current.token == token:
        try:
            path.unlink()
        except FileNotFoundError:
            pass


def boards() -> tuple[list[SimBoard], list[str]]:
    """The live boards by name, and the names of stale entries removed."""
    live: list[SimBoard] = []
    stale: list[str] = []
    for path in sorted(registry_dir().glob("*.json")):
        b = _read(path)
        if b is None:
            # A half-created claim or a foreign file: old ones are cleared.
            try:
                if time.time() - path.stat().st_mtime > READY_TIMEOUT_S:
                    path.unlink()
                    stale.append(path.stem)
            except OSError:
                pass
            continue
        if _is_ours(b):
            live.append(b)
        else:
            _remove_if(path, b.token)
            stale.append(b.name)
    return sorted(live, key=lambda b: b.name), stale


def find(name: str) -> SimBoard:
    if not NAME_RE.match(name):
        raise UserError("'%s' is not a simulated board's name (letters, digits, '_', '-', '.')" % name)
    path = _entry_path(name)
    b = _read(path)
    if b is not None and not _is_ours(b):
        _remove_if(path, b.token)
        b = None
    if b is None:
        running = [x.name for x in boards()[0]]
        raise UserError("no simulated board named '%s' is running (%s). Start one with "
                        "'vacuumctl sim --detach --name %s'" % (
                            name, "running: " + ", ".join(running) if running else "none is running", name))
    if b.state != "running":
        raise UserError("the simulated board '%s' is still starting; try again in a moment" % name)
    return b


def port_of(spec: str) -> str:
    """``sim@NAME`` -> the pty of that running board."""
    return find(spec[len(PREFIX):]).port


# ---- starting -------------------------------------------------------------------
def scenario_board(scenario: str) -> str:
    """The scenario's board (validated here: a bad file is a sentence before
    anything starts)."""
    here = str(sim_dir())
    if here not in sys.path:
        sys.path.insert(0, here)
    import scenario as scenario_mod  # type: ignore[import-not-found]  # boards/sim/scenario.py

    try:
        return str(scenario_mod.load_scenario(scenario, str(scenarios_dir()))["board"])
    except scenario_mod.ScenarioError as e:
        raise UserError(str(e)) from None


def _default_name(scenario: str) -> str:
    stem = Path(scenario).stem if scenario.endswith(".json") or "/" in scenario else scenario
    base = re.sub(r"[^A-Za-z0-9_.-]", "_", stem).strip("._-")[:32] or "board"
    return base if NAME_RE.match(base) else "board"


def _claim(name: str, token: str, explicit: bool) -> tuple[str, Path]:
    """Create NAME.json exclusively (two commands racing for a name cannot
    both win); a default name gets -2, -3, ... when taken."""
    n = 1
    while True:
        candidate = name if n == 1 else "%s-%d" % (name, n)
        path = _entry_path(candidate)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            other = _read(path)
            if other is not None and not _is_ours(other):
                _remove_if(path, other.token)
                continue  # stale: try the same name again
            if explicit:
                where = " on %s" % other.port if other is not None and other.port else ""
                raise UserError("a simulated board named '%s' is already running%s: choose another --name, or end "
                                "it with 'vacuumctl sim --stop %s'" % (candidate, where, candidate)) from None
            n += 1
            continue
        with os.fdopen(fd, "w") as f:
            f.write(json.dumps(asdict(SimBoard(candidate, os.getpid(), token, started=time.time()))))
        return candidate, path


def detach(scenario: str, name: str | None, speed: str, truth_csv: str | None = None,
           flash: str | None = None, cpu: str | None = None) -> SimBoard:
    """Start a simulated board in the background; returns its entry once its
    pty is open."""
    if name is not None and not NAME_RE.match(name):
        raise UserError("--name '%s': use letters, digits, '_', '-' and '.', at most 40, starting with a letter or "
                        "digit" % name)
    scenario = scenario_arg(scenario)
    board_name = scenario_board(scenario)
    token = secrets.token_hex(8)
    name, path = _claim(name or _default_name(scenario), token, explicit=name is not None)
    log = path.with_suffix(".log")
    launcher_args = [scenario, "--speed", speed]
    if truth_csv:
        Path(truth_csv).parent.mkdir(parents=True, exist_ok=True)
        launcher_args += ["--truth-csv", str(Path(truth_csv).resolve())]
    if flash:
        launcher_args += ["--flash", str(Path(flash).resolve())]
    if cpu:
        launcher_args += ["--cpu", cpu]
    argv = [sys.executable, "-m", _KEEPER_MODULE, "serve", "--entry", str(path), "--token", token,
            "--name", name, "--board", board_name, "--log", str(log), "--", *launcher_args]
    try:
        with open(log, "ab") as log_file:
            keeper = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=log_file,
                                      start_new_session=True, close_fds=True, cwd=str(repo_root()))
    except OSError as e:
        _remove_if(path, token)
        raise UserError("cannot start the simulated board: %s" % e) from None
    text = first_line(keeper, READY_TIMEOUT_S)
    assert keeper.stdout is not None
    keeper.stdout.close()
    if not text.startswith("ready "):
        if keeper.poll() is None:
            keeper.terminate()
        _remove_if(path, token)
        why = text.removeprefix("failed: ") or _tail(log) or "no answer within %d s" % READY_TIMEOUT_S
        raise UserError("the simulated board did not start: %s" % why)
    b = _read(path)
    if b is None:
        raise UserError("the simulated board '%s' ended as it started: %s" % (name, _tail(log) or "no reason given"))
    _answers(b, log)
    return b


def _answers(b: SimBoard, log: Path) -> None:
    """The firmware on the new board answers (else it is ended, and says why)."""
    from .link import DeviceLink

    try:
        DeviceLink.open(b.port).close()
    except (UserError, TimeoutError) as e:
        try:
            os.kill(b.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        raise UserError("the simulated board '%s' did not answer (%s)%s" % (
            b.name, e, ": " + _tail(log) if _tail(log) else "")) from None


def _tail(path: Path, lines: int = 3) -> str:
    try:
        return " | ".join(path.read_text(errors="replace").strip().splitlines()[-lines:])
    except OSError:
        return ""


# ---- stopping ---------------------------------------------------------------------
def stop(name: str) -> str:
    """End a detached board: a running session is stopped first (the device
    vents and logs it), then the board is powered off. Returns the sentence."""
    b = find(name)
    note = _stop_session(b)
    try:
        os.kill(b.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    deadline = time.monotonic() + STOP_WAIT_S
    while _pid_alive(b.pid) and time.monotonic() < deadline:
        time.sleep(0.05)  # waiting for another process to end, not a test delay
    if _pid_alive(b.pid):
        os.kill(b.pid, signal.SIGKILL)
    _remove_if(_entry_path(b.name), b.token)
    return "simulated board '%s' powered off (%s)%s" % (b.name, b.port, note)


def _stop_session(b: SimBoard) -> str:
    from .link import DeviceLink
    from .telemetry import parse_fields

    try:
        with DeviceLink.open(b.port) as link:
            state = parse_fields(link.request("status")).get("state")
            if state not in ("run", "pause", "release"):
                return ""
            if state != "release":
                link.request("stop")
            deadline = time.monotonic() + 20
            while state != "idle" and time.monotonic() < deadline:
                state = parse_fields(link.request("status")).get("state")
            return ": its session was stopped first and vented (%s)" % ("logged" if state == "idle" else "still venting")
    except (UserError, TimeoutError) as e:
        return ": not asked to stop first (%s); the pump stops and the vent opens as at a power cut" % e


# ---- the keeper process --------------------------------------------------------------
def serve(argv: list[str]) -> int:
    """``python -m vacuumctl.simboards serve --entry PATH --token T --name N
    --board B --log L -- LAUNCHER_ARGS``: run the launcher, publish the
    entry, and hold the board until it ends or is told to stop (SIGTERM)."""
    p = argparse.ArgumentParser(prog="vacuumctl.simboards serve")
    p.add_argument("--entry", required=True)
    p.add_argument("--token", required=True)
    p.add_argument("--name", required=True)
    p.add_argument("--board", required=True)
    p.add_argument("--log", required=True)
    p.add_argument("launcher_args", nargs=argparse.REMAINDER)
    a = p.parse_args(argv)
    largs = [x for x in a.launcher_args if x != "--"] if a.launcher_args[:1] == ["--"] else a.launcher_args
    entry = Path(a.entry)
    launcher = subprocess.Popen([sys.executable, "-S", str(sim_dir() / "launcher.py"), *largs], stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=None, close_fds=True)
    assert launcher.stdout is not None

    def end(signum: int, frame: object) -> None:
        if launcher.poll() is None:
            launcher.terminate()

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, end)
    line = launcher.stdout.readline().decode(errors="replace").strip()
    if not line.startswith("port: "):
        launcher.wait()
        print("failed: %s" % (_tail(Path(a.log)) or line or "the launcher ended (status %s)" % launcher.returncode),
              flush=True)
        _remove_if(entry, a.token)
        return 1
    speed = largs[largs.index("--speed") + 1] if "--speed" in largs else "1"
    opt = {k: largs[largs.index(k) + 1] for k in ("--flash", "--truth-csv") if k in largs}
    _write(entry, SimBoard(a.name, os.getpid(), a.token, "running", line[len("port: "):], largs[0], a.board, speed,
                           time.time(), opt.get("--flash", ""), opt.get("--truth-csv", ""), a.log))
    print("ready %s" % line[len("port: "):], flush=True)
    # Nobody reads our stdout from now on.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    try:
        while launcher.stdout.read(4096):
            pass
    except OSError as e:  # pragma: no cover - the pipe broke
        if e.errno != errno.EINTR:
            pass
    launcher.wait()
    _remove_if(entry, a.token)
    if launcher.returncode in (0, -signal.SIGTERM):
        try:
            os.unlink(a.log)  # nothing went wrong: nothing to keep
        except OSError:
            pass
    return 0


def main() -> int:
    if sys.argv[1:2] == ["serve"]:
        return serve(sys.argv[2:])
    print("usage: python -m vacuumctl.simboards serve ... (started by 'vacuumctl sim --detach')", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
