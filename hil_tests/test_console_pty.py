"""`vacuumctl console` as a person uses it: in a terminal (a pseudo-terminal
here), typing, pressing Tab, reading replies and alarms."""
from __future__ import annotations

import os
import re
import select
import subprocess
import sys
import time
from pathlib import Path

VACUUMCTL = str(Path(sys.executable).parent / "vacuumctl")
_ANSI = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]")


class Terminal:
    def __init__(self, argv: list[str]):
        self.master, slave = os.openpty()
        env = dict(os.environ, TERM="xterm", COLUMNS="160", LINES="40")
        self.proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True)
        os.close(slave)
        self.screen = b""

    def expect(self, needle: str, timeout_s: float = 30.0) -> str:
        """Read until the plain text (escape sequences removed) shows needle."""
        end = time.monotonic() + timeout_s
        while time.monotonic() < end:
            r, _, _ = select.select([self.master], [], [], 0.1)
            if not r:
                continue
            try:
                data = os.read(self.master, 4096)
            except OSError:
                break
            if b"\x1b[6n" in data:  # the prompt asks where the cursor is: answer as a terminal does
                os.write(self.master, b"\x1b[1;1R")
            self.screen += data
            if needle in self.text():
                return self.text()
        raise AssertionError("terminal never showed %r; it shows:\n%s" % (needle, self.text()[-1500:]))

    def text(self) -> str:
        return _ANSI.sub(b"", self.screen).decode(errors="replace")

    def type(self, keys: str) -> None:
        for ch in keys:
            os.write(self.master, ch.encode())
            time.sleep(0.01)  # a typist's pace: the prompt redraws per key

    def close(self) -> int:
        try:
            return self.proc.wait(timeout=20)
        finally:
            os.close(self.master)


def test_console_completes_runs_commands_and_shows_alarms(needs_sim):
    # 4x real time: the fault at 8 s of device time arrives after 2 s.
    t = Terminal([VACUUMCTL, "--port", "sim:fault_pump_fail", "console", "--speed", "4"])
    try:
        t.expect("vacuum>")
        # Tab completes the program name from the device's own list: without
        # it "start cont" would be refused as an unknown program.
        t.type("start cont\t target=30kPa duration=60s\r")
        t.expect("started continuous: target 30.00kPa")
        t.type("get tau\r")
        t.expect("ok tau=25 unit=ms")
        t.type("unlock 246810\r")
        t.expect("service role unlocked")
        t.type("set kp -5\r")
        t.expect("err E_RANGE")
        assert b"\x1b[33merr E_RANGE" in t.screen  # a refusal in colour, not escaped to "?[33m"
        # The pump fails at 8 s of device time: the alarm interrupts the
        # prompt as soon as it arrives, without a keystroke.
        t.expect("ALARM pump (medium priority", timeout_s=60)
        t.type("status\r")
        text = t.expect("collections")  # the last row of the status table
        # In words, one row each: no raw device keys.
        assert re.search(r"state +in fault \(pump off, vent open\)", text), text[-800:]
        assert re.search(r"pump +0\.0 %", text) and re.search(r"vent +100\.0 % open", text), text[-800:]
        assert "pump_duty" not in text and "valve_duty" not in text
        t.type("quit\r")
        assert t.close() == 0
    finally:
        if t.proc.poll() is None:
            t.proc.kill()


def test_leaving_the_console_leaves_a_device_session_running_and_says_so(needs_sim):
    from vacuumctl.link import DeviceLink
    from vacuumctl.simport import start_sim
    from vacuumctl.telemetry import parse_fields

    sim = start_sim("default", speed="max")
    t = Terminal([VACUUMCTL, "--port", sim.port, "console"])
    try:
        t.expect("vacuum>")
        t.type("start continuous target=20kPa duration=1h\r")
        t.expect("started continuous")
        t.type("quit\r")
        t.expect("the session on the device keeps running ('vacuumctl stop' or 'stop' here ends it)")
        assert t.close() == 0
        with DeviceLink.open(sim.port) as link:  # as picocom would leave it: still running
            assert parse_fields(link.request("status"))["state"] == "run"
            link.request("stop")
    finally:
        if t.proc.poll() is None:
            t.proc.kill()
        sim.stop()
