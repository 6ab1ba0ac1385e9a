"""Every board definition (boards/*.py) read against its chip (boards/sim/
chips.py, the facts the emulated machine enforces): pins that exist and can
drive an output, I2C pins per bus, one PWM frequency per RP2040 slice, the
ESP32's LEDC timers and channels. And the check refuses impossible boards."""
from __future__ import annotations

import sys
import types
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
import chips  # boards/sim (pytest.ini pythonpath)

BOARD_FILES = sorted(p for p in (ROOT / "boards").glob("*.py") if p.name != "manifest.py")


def load_board(path: Path) -> dict:
    """A board file's names, as MicroPython would see them (const() is the
    identity), with those of the board it builds on (``from pico import *``)."""
    fake = types.ModuleType("micropython")
    fake.const = lambda x: x  # type: ignore[attr-defined]
    saved = sys.modules.get("micropython")
    sys.modules["micropython"] = fake
    sys.path.insert(0, str(path.parent))
    bases = {p.stem for p in BOARD_FILES}
    try:
        scope: dict = {"__name__": path.stem}
        exec(compile(path.read_text(), str(path), "exec"), scope)
    finally:
        sys.path.remove(str(path.parent))
        for name in bases & set(sys.modules):  # a base board read here with the fake const()
            del sys.modules[name]
        if saved is None:
            del sys.modules["micropython"]
        else:
            sys.modules["micropython"] = saved
    return {k: v for k, v in scope.items() if k.isupper()}


def test_there_are_boards_for_each_mcu():
    mcus = {load_board(p)["MCU"] for p in BOARD_FILES}
    assert {"rp2040", "rp2350", "esp32"} <= mcus, mcus


@pytest.mark.parametrize("path", BOARD_FILES, ids=[p.stem for p in BOARD_FILES])
def test_board_definition_is_possible_on_its_chip(path):
    assert chips.check_board(load_board(path)) == []


def _pico(**changes) -> dict:
    b = load_board(ROOT / "boards" / "pico.py")
    b.update(changes)
    return b


def test_refuses_two_frequencies_on_one_rp2040_slice():
    # The wiring before issue 14: pump GP15 and vent GP14 are slice 7.
    problems = chips.check_board(_pico(VENT_PIN=14))
    assert len(problems) == 1 and "slice 7" in problems[0], problems
    assert chips.check_board(_pico(VENT_PIN=14, VENT_FREQ=20_000)) == []  # one frequency: fine


def test_refuses_i2c_pins_of_the_wrong_bus_or_role():
    assert "SDA" in " ".join(chips.check_board(_pico(I2C_SDA=6)))  # an I2C1 pin on I2C0
    assert "SCL" in " ".join(chips.check_board(_pico(I2C_SCL=4)))  # an SDA pin
    assert chips.check_board(_pico(I2C_ID=1, I2C_SDA=6, I2C_SCL=7)) == []


def test_refuses_pins_the_chip_has_not_or_uses_twice():
    assert "does not have" in " ".join(chips.check_board(_pico(PUMP_PIN=30)))
    assert "both" in " ".join(chips.check_board(_pico(PUMP_PIN=4)))  # the sensor's SDA


def test_refuses_esp32_input_only_flash_and_strapping_pins():
    b = load_board(ROOT / "boards" / "esp32_devkitc.py")
    for pin, word in ((34, "input-only"), (7, "flash"), (12, "strapping"), (1, "console")):
        c = dict(b)
        c["PUMP_PIN"] = pin
        assert word in " ".join(chips.check_board(c)), pin


def test_refuses_more_esp32_pwm_outputs_than_ledc_channels():
    # A multi-channel board on an ESP32: pump and vent per channel plus the
    # buzzer, 16 LEDC channels (2 speed modes x 8); 3 frequencies, 8 timers.
    b = load_board(ROOT / "boards" / "sim_multi.py")
    b.update(MCU="esp32", PUMP_PIN=25, VENT_PIN=26, BUZZER_PIN=27, I2C_SDA=21, I2C_SCL=22, ALARM_LED_PIN=None)
    pairs = ((25, 26), (4, 13), (14, 16), (17, 18), (19, 23), (32, 33), (12, 15), (2, 5))
    b["CHANNELS"] = tuple((p, v, 0, 21, 22) for p, v in pairs[:7])  # one bus, sensors at several addresses
    allowed = [x for x in chips.check_board(b) if "strapping" not in x]
    assert allowed == [], allowed  # 15 outputs
    b["CHANNELS"] = tuple((p, v, 0, 21, 22) for p, v in pairs)
    assert any("LEDC channels" in x for x in chips.check_board(b))  # 17 outputs


# A board file is deployed as /board.py (tools/deploy). The real boards'
# files are self-contained, so the values boards share are written in each:
# these tests keep the copies equal. The simulated wirings built on the pico
# import it (deployed beside them as /pico.py) and set only their own names.
PICO_BASED = {"sim_laser": ("NAME",), "sim_multi": ("NAME", "CONTROL_HZ")}  # the names each sets its own way


@pytest.mark.parametrize("name", sorted(PICO_BASED))
def test_boards_built_on_the_pico_keep_its_values(name):
    # "the pico board's pump, vent valve, sensor and signals" (boards/sim_laser.py),
    # "limits, signals and data are the pico's" (boards/sim_multi.py)
    pico = load_board(ROOT / "boards" / "pico.py")
    board = load_board(ROOT / "boards" / (name + ".py"))
    differ = sorted(k for k in pico if k not in PICO_BASED[name] and board.get(k, "missing") != pico[k])
    assert differ == [], differ


def test_every_board_has_the_documented_factory_code():
    # docs: the factory code 246810 on every board, its salt and salted hash
    # in each board file (firmware/access.py)
    import hashlib

    for path in BOARD_FILES:
        b = load_board(path)
        digest = hashlib.sha256(bytes.fromhex(b["SERVICE_CODE_SALT"]) + b"246810").hexdigest()
        assert b["SERVICE_CODE_SHA256"] == digest, path.name


def test_every_board_keeps_the_shared_data_dir_watchdog_and_clock():
    # The lines every board file repeats (each is self-contained): the same
    # data folder and watchdog, and make_clock() written alike.
    import ast

    def clock(path: Path) -> str:
        tree = ast.parse(path.read_text())
        own = [ast.dump(n) for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "make_clock"]
        if not own:  # the pico's, imported
            assert path.stem in PICO_BASED and "\nfrom pico import *" in path.read_text(), path.name
            return clock(pico)
        return own[0]

    pico = ROOT / "boards" / "pico.py"
    for path in BOARD_FILES:
        b, p = load_board(path), load_board(pico)
        assert (b["DATA_DIR"], b["WDT_TIMEOUT_MS"]) == (p["DATA_DIR"], p["WDT_TIMEOUT_MS"]), path.name
        assert clock(path) == clock(pico), path.name
