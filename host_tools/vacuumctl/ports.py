"""``vacuumctl ports``: which serial ports exist and which run this firmware.

Two clues, in this order:

1. the USB vendor:product id says *what board* is plugged in (a Pico running
   MicroPython, an ESP32 DevKitC's USB-serial bridge); ports with an unknown
   id (other instruments, modems, built-in UARTs) are listed but not written
   to unless asked, because the handshake sends a line to whatever listens;
2. the handshake (``mode machine`` then a framed ``version``, short timeout)
   says whether *this firmware* runs on it, which version and which protocol.

With exactly one board answering, commands may leave out ``--port``
(:func:`auto_port`).
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from typing import TextIO

from serial.tools import list_ports

from .errors import UserError
from .cmdline import add_command
from .link import DeviceLink, open_serial
from .simboards import is_named_sim, port_of
from .simport import is_sim_port
from .telemetry import parse_fields
from .version import PROTOCOL_MAJOR, protocol_major

# USB ids of boards this firmware supports (boards/); the bridges on ESP32
# DevKitC clones vary, so all the common ones are listed.
KNOWN_USB_IDS: dict[tuple[int, int], str] = {
    (0x2E8A, 0x0005): "Raspberry Pi Pico / Pico 2 (MicroPython)",
    (0x10C4, 0xEA60): "ESP32 DevKitC? (Silicon Labs CP210x bridge)",
    (0x1A86, 0x7523): "ESP32 board? (WCH CH340 bridge)",
    (0x1A86, 0x55D4): "ESP32 board? (WCH CH9102 bridge)",
    (0x303A, 0x1001): "ESP32-S3/C3 (Espressif native USB)",
    (0x303A, 0x4001): "ESP32-S2/S3 (MicroPython, Espressif USB)",
}
HANDSHAKE_S = 0.6  # per attempt; a board running the firmware answers in milliseconds


@dataclass
class PortReport:
    """One serial port as ``vacuumctl ports`` shows it."""

    device: str
    description: str = ""
    usb_id: str = ""  # "2E8A:0005", empty when not USB
    board_hint: str = ""  # from KNOWN_USB_IDS
    firmware: dict[str, int | str] = field(default_factory=dict)  # the version reply, if it answered
    note: str = ""  # why there is no firmware: not probed, busy, no answer ...

    @property
    def runs_vacuumfw(self) -> bool:
        return bool(self.firmware)

    @property
    def compatible(self) -> bool:
        return protocol_major(str(self.firmware.get("protocol", ""))) == PROTOCOL_MAJOR

    def summary(self) -> str:
        if self.firmware:
            f = self.firmware
            text = "vacuumfw %s protocol=%s board=%s" % (f.get("firmware", "?"), f.get("protocol", "?"), f.get("board", "?"))
            if not self.compatible:
                return text + " (INCOMPATIBLE: this vacuumctl speaks protocol %d)" % PROTOCOL_MAJOR
            if f.get("commissioned") == 0:
                text += "; not commissioned: runs on its declared pump and vent figures, see 'vacuumctl commission'"
            return text
        return self.note


def comports() -> list[PortReport]:
    """Every serial port the OS reports, with its USB id and board hint."""
    out: list[PortReport] = []
    for p in sorted(list_ports.comports(), key=lambda p: p.device):
        usb = ""
        hint = ""
        if p.vid is not None and p.pid is not None:
            usb = "%04X:%04X" % (p.vid, p.pid)
            hint = KNOWN_USB_IDS.get((p.vid, p.pid), "")
        desc = p.description if p.description and p.description != "n/a" else ""
        out.append(PortReport(p.device, desc, usb, hint))
    return out


def handshake(path: str, timeout_s: float = HANDSHAKE_S) -> dict[str, int | str]:
    """The device's ``version`` fields if this firmware answers on path.

    Raises UserError (busy, missing, no answer). Leaves the device in human
    mode, as a person opening it in a terminal program expects.
    """
    link = DeviceLink(open_serial(path))
    try:
        link.ser.reset_input_buffer()
        try:
            link.enter_machine_mode(attempts=2, timeout_s=timeout_s, repl_reset=False)
        except UserError:
            if link.repl_seen:
                raise UserError("at its MicroPython REPL: the firmware is stopped (left there by mpremote or a "
                                "Ctrl-C); any vacuumctl command on this port soft-resets it") from None
            raise UserError("no answer to the version handshake: not running this firmware") from None
        found = dict(link.device_version)
        if protocol_major(str(found.get("protocol", ""))) == PROTOCOL_MAJOR:
            # Whether the parts were measured: an uncommissioned device runs on
            # its board file's declared figures (docs/commissioning.md).
            try:
                st = parse_fields(link.request("status", timeout_s=timeout_s, retries=1))
                if "commissioned" in st:
                    found["commissioned"] = st["commissioned"]
            except UserError:
                pass
        try:
            link.leave_machine_mode()
        except UserError:
            pass
        return found
    finally:
        link.close()


def scan(explicit: list[str] | None = None, probe_all: bool = False,
         timeout_s: float = HANDSHAKE_S) -> list[PortReport]:
    """All ports; boards with a known USB id (all with probe_all, plus the
    explicit paths) are asked the handshake."""
    reports = comports()
    known = {r.device for r in reports}
    for path in explicit or []:
        if path not in known:
            reports.append(PortReport(path, "given on the command line"))
    asked = set(explicit or [])
    for r in reports:
        if r.board_hint or probe_all or r.device in asked:
            try:
                r.firmware = handshake(r.device, timeout_s)
            except UserError as e:
                r.note = str(e)
        else:
            r.note = "not asked (USB id not a supported board; --probe-all asks every port)"
    return reports


def auto_port(stream: TextIO | None = None) -> str:
    """The one port running compatible firmware, or a UserError saying why not."""
    reports = scan()
    found = [r for r in reports if r.runs_vacuumfw]
    if len(found) == 1:
        r = found[0]
        if not r.compatible:
            raise UserError("the only board found, on %s, runs %s" % (r.device, r.summary()))
        print("vacuumctl: using %s (%s)" % (r.device, r.summary()), file=stream or sys.stderr)
        return r.device
    if not found:
        boards = [r for r in reports if r.board_hint]
        why = ("; %s looks like a supported board but did not answer: %s" % (boards[0].device, boards[0].note)
               if len(boards) == 1 else
               "; %d supported boards did not answer" % len(boards) if boards else "")
        raise UserError("no board running this firmware was found%s. Plug one in, or give --port "
                        "(a serial device, or 'sim' for the simulated board); 'vacuumctl ports' shows "
                        "what is connected" % why)
    raise UserError("%d boards run this firmware (%s): choose one with --port" % (
        len(found), ", ".join("%s %s" % (r.device, r.firmware.get("board", "?")) for r in found)))


def register(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """Add ``vacuumctl ports`` to the CLI's subcommands."""
    s = add_command(
        sub, "ports", description="Lists every serial port with its USB id. Ports whose USB id belongs to a supported "
                    "board (Pico 2E8A:0005, ESP32 bridges CP210x/CH340/CH9102, Espressif USB) are asked "
                    "the firmware's version handshake; so are ports named on the command line.",
        examples="examples:\n"
               "  vacuumctl ports\n"
               "  vacuumctl ports /dev/pts/7          # e.g. a simulated board started with 'vacuumctl sim'\n"
               "  vacuumctl ports --probe-all         # ask every port, whatever its USB id\n"
               "exit status: 0 at least one board runs this firmware, 1 none does")
    s.add_argument("paths", nargs="*", metavar="PATH", help="extra port(s) to ask, e.g. a pseudo-terminal")
    s.add_argument("--probe-all", action="store_true",
                   help="send the handshake to every port, not only to known board USB ids")
    s.set_defaults(func=cmd_ports, needs_port=False)


def cmd_ports(args: argparse.Namespace) -> int:
    explicit = list(args.paths)
    if args.port and is_named_sim(args.port):
        explicit.append(port_of(args.port))
    elif args.port and not is_sim_port(args.port):
        explicit.append(args.port)
    reports = scan(explicit, args.probe_all)
    if not reports:
        print("no serial ports found")
        return 1
    width = max(len(r.device) for r in reports)
    for r in reports:
        what = r.board_hint or r.description or "-"
        print("%-*s  %-9s  %-44s  %s" % (width, r.device, r.usb_id or "-", what, r.summary()))
    return 0 if any(r.runs_vacuumfw for r in reports) else 1
