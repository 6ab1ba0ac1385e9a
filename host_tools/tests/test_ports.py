"""vacuumctl ports and --port auto-selection, with faked serial ports."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from vacuumctl import cli, ports
from vacuumctl.errors import UserError

PICO = SimpleNamespace(device="/dev/ttyACM0", vid=0x2E8A, pid=0x0005, description="Board in FS mode")
CP210X = SimpleNamespace(device="/dev/ttyUSB0", vid=0x10C4, pid=0xEA60, description="CP2102 USB to UART")
PRINTER = SimpleNamespace(device="/dev/ttyACM1", vid=0x1234, pid=0x5678, description="3D printer")
UART = SimpleNamespace(device="/dev/ttyS0", vid=None, pid=None, description="n/a")
V1 = {"firmware": "0.1.0", "protocol": 1, "board": "pico"}


@pytest.fixture
def fake(monkeypatch):
    """Install fake ports; answers maps device -> version fields or error text.
    Returns the list of devices the handshake was sent to."""
    asked: list[str] = []

    def install(present: list[SimpleNamespace], answers: dict[str, object]) -> list[str]:
        monkeypatch.setattr(ports.list_ports, "comports", lambda: list(present))

        def handshake(path: str, timeout_s: float = 0) -> dict:
            asked.append(path)
            a = answers.get(path, "no answer to the version handshake")
            if isinstance(a, str):
                raise UserError(a)
            return dict(a)  # type: ignore[call-overload]

        monkeypatch.setattr(ports, "handshake", handshake)
        return asked

    return install


def test_known_usb_ids_are_named_and_only_they_are_asked(fake):
    asked = fake([UART, PRINTER, CP210X, PICO], {"/dev/ttyACM0": V1})
    reports = {r.device: r for r in ports.scan()}
    assert sorted(asked) == ["/dev/ttyACM0", "/dev/ttyUSB0"]  # never the printer or the UART
    assert reports["/dev/ttyACM0"].usb_id == "2E8A:0005" and "Pico" in reports["/dev/ttyACM0"].board_hint
    assert reports["/dev/ttyACM0"].summary() == "vacuumfw 0.1.0 protocol=1 board=pico"
    assert "CP210x" in reports["/dev/ttyUSB0"].board_hint
    assert "no answer" in reports["/dev/ttyUSB0"].summary()
    assert "not asked" in reports["/dev/ttyACM1"].summary()
    assert reports["/dev/ttyS0"].usb_id == "" and reports["/dev/ttyS0"].description == ""


def test_probe_all_and_explicit_paths_are_asked(fake):
    asked = fake([PRINTER], {"/dev/pts/7": V1})
    reports = ports.scan(["/dev/pts/7"], probe_all=True)
    assert sorted(asked) == ["/dev/pts/7", "/dev/ttyACM1"]
    assert [r.device for r in reports if r.runs_vacuumfw] == ["/dev/pts/7"]


def test_auto_port_picks_the_one_board_and_says_so(fake, capsys):
    fake([PICO, CP210X], {"/dev/ttyACM0": V1})
    assert ports.auto_port() == "/dev/ttyACM0"
    assert "using /dev/ttyACM0 (vacuumfw 0.1.0" in capsys.readouterr().err


def test_auto_port_with_no_board_names_the_silent_one(fake):
    fake([UART, CP210X], {})
    with pytest.raises(UserError, match="no board running this firmware was found; /dev/ttyUSB0 looks like "
                                        "a supported board but did not answer.*give --port"):
        ports.auto_port()


def test_auto_port_with_no_ports_at_all(fake):
    fake([], {})
    with pytest.raises(UserError, match=r"^no board running this firmware was found\. Plug one in"):
        ports.auto_port()


def test_auto_port_with_several_boards_asks_to_choose(fake):
    fake([PICO, CP210X], {"/dev/ttyACM0": V1, "/dev/ttyUSB0": dict(V1, board="esp32_devkitc")})
    with pytest.raises(UserError, match=r"2 boards run this firmware \(/dev/ttyACM0 pico, /dev/ttyUSB0 "
                                        r"esp32_devkitc\): choose one with --port"):
        ports.auto_port()


def test_auto_port_refuses_an_incompatible_protocol(fake):
    fake([PICO], {"/dev/ttyACM0": dict(V1, protocol=2)})
    with pytest.raises(UserError, match="INCOMPATIBLE: this vacuumctl speaks protocol 1"):
        ports.auto_port()


def test_cli_without_port_uses_auto_selection_sentence(fake, capsys, monkeypatch):
    monkeypatch.delenv("VACUUM_PORT", raising=False)
    fake([UART], {})
    assert cli.main(["status"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("vacuumctl: no board running this firmware was found") and "Traceback" not in err


def test_cli_ports_table_and_exit_status(fake, capsys):
    fake([PICO, PRINTER], {"/dev/ttyACM0": V1})
    assert cli.main(["ports"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("/dev/ttyACM0  2E8A:0005") and out[0].endswith("vacuumfw 0.1.0 protocol=1 board=pico")
    assert out[1].startswith("/dev/ttyACM1  1234:5678  3D printer")
    fake([PRINTER], {})
    assert cli.main(["ports"]) == 1


def test_version_without_a_board_still_shows_the_tool(fake, capsys, monkeypatch):
    monkeypatch.delenv("VACUUM_PORT", raising=False)
    fake([], {})
    assert cli.main(["version"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("vacuumctl 0.1.0 (protocol 1)\n") and "no device: no board running" in out


def test_an_uncommissioned_board_says_so_and_a_commissioned_one_does_not():
    bare = ports.PortReport("/dev/ttyACM0", firmware={**V1, "commissioned": 0})
    assert bare.summary() == ("vacuumfw 0.1.0 protocol=1 board=pico; not commissioned: runs on its declared "
                              "pump and vent figures, see 'vacuumctl commission'")
    assert ports.PortReport("/dev/ttyACM0", firmware={**V1, "commissioned": 1}).summary() == "vacuumfw 0.1.0 protocol=1 board=pico"
