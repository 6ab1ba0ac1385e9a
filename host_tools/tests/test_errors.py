"""Error sentences: port open failures, protocol version, device refusals."""
from __future__ import annotations

import errno

import pytest
import serial

from vacuumctl import link
from vacuumctl.errors import DeviceError, UserError, readable
from vacuumctl.version import check_protocol, describe, protocol_major


@pytest.mark.parametrize("exc,needle", [
    (serial.SerialException(errno.EBUSY, "could not open port /dev/ttyACM0: [Errno 16] Device or resource busy"),
     "is busy: another program"),
    (serial.SerialException("Could not exclusively lock port /dev/ttyACM0: [Errno 11] Resource temporarily unavailable"),
     "is busy: another program"),
    (serial.SerialException(errno.ENOENT, "could not open port /dev/ttyACM0: [Errno 2] No such file or directory"),
     "does not exist: is the board plugged in?"),
    (serial.SerialException(errno.EACCES, "could not open port /dev/ttyACM0: [Errno 13] Permission denied"),
     "no permission to open /dev/ttyACM0: add yourself to the group"),
    (serial.SerialException("Could not configure port: (25, 'Inappropriate ioctl for device')"),
     "/dev/ttyACM0 is not a serial port (it takes no serial settings): give the board's port"),
    (serial.SerialException("Could not configure port: (5, 'Input/output error')"),
     "cannot open /dev/ttyACM0: Could not configure port"),
])
def test_open_failures_are_sentences(monkeypatch, exc, needle):
    def refuse(*a, **k):
        raise exc

    monkeypatch.setattr(link.serial, "Serial", refuse)
    with pytest.raises(UserError) as e:
        link.DeviceLink.open("/dev/ttyACM0")
    assert needle in str(e.value)
    assert str(e.value).startswith("port /dev/ttyACM0") or "/dev/ttyACM0" in str(e.value)


def test_protocol_major_accepts_minor_versions():
    assert protocol_major("1") == 1 and protocol_major("1.4") == 1 and protocol_major("x") is None
    check_protocol({"protocol": 1})
    check_protocol({"protocol": "1.4"})


@pytest.mark.parametrize("fields,needle", [
    ({"protocol": 2}, "speaks protocol 2 but this vacuumctl 0.1.0 speaks protocol 1: update vacuumctl"),
    ({"protocol": 0}, "speaks protocol 0 but this vacuumctl 0.1.0 speaks protocol 1: update the firmware"),
    ({"firmware": "0.1.0"}, "did not report a protocol version: it is not running this firmware"),
])
def test_other_protocols_are_refused_with_what_to_do(fields, needle):
    with pytest.raises(UserError, match=needle):
        check_protocol(fields, "the device on /dev/ttyACM0")


def test_version_lines():
    lines = describe({"firmware": "0.1.0", "protocol": 1, "board": "pico", "mcu": "rp2040"})
    assert lines == ["firmware  vacuumfw 0.1.0", "protocol  1", "board     pico", "mcu       rp2040"]


def test_device_refusals_read_in_kpa_and_seconds():
    e = DeviceError("E_RANGE", "target 90000Pa is out of range 1000Pa..70000Pa")
    assert str(e) == "device refused: target 90kPa is out of range 1kPa..70kPa (E_RANGE)"
    assert e.message == "target 90000Pa is out of range 1000Pa..70000Pa" and e.code == "E_RANGE"
    assert readable("ramp 1200000ms is out of range 0ms..600000ms") == "ramp 1200s is out of range 0s..600s"
    assert readable("floor 16665Pa below -500Pa") == "floor 16.665kPa below -0.5kPa"
    assert readable("power 5pct is out of range 10pct..100pct") == "power 5% is out of range 10%..100%"
    # Numbers that are not whole Pa/ms, or part of a word, stay as they are.
    assert readable("kp 0..100000 x1Pa 1.5Pa 20mHz") == "kp 0..100000 x1Pa 1.5Pa 20mHz"
