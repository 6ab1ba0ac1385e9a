# MicroPython freeze manifest: the firmware compiled into the MicroPython
# image itself, so its bytecode, constant strings and qstrs are read from flash
# instead of being loaded into the heap (docs/reliability.md, "Memory"; how to
# build: docs/wiring.md, "A firmware image with the application frozen").
#
#   make -C ports/rp2 BOARD=RPI_PICO FROZEN_MANIFEST=/path/to/this/repo/boards/manifest.py
#   cd ports/esp32 && make BOARD=ESP32_GENERIC FROZEN_MANIFEST=/path/to/this/repo/boards/manifest.py
#
# main.py stays a file on the board's filesystem (the board boots it as
# before, and it imports the frozen app); so does board.py, the device's own
# definition, unless a directory holding the board file copied as board.py is
# named: include("/path/to/boards/manifest.py", board_dir="/path/to/dir").
# Not built in this repository's CI (no cross toolchain here); its content is
# checked by host_tools/tests/test_freeze_manifest.py.
options.defaults(board_dir=None, port_manifest=True)

if options.port_manifest:
    # What the port freezes by default (asyncio, the port's drivers...).
    include("$(PORT_DIR)/boards/manifest.py")

# Every firmware module except main.py, one per line (the test above checks
# this list against firmware/*.py).
FIRMWARE = (
    "access",
    "access_commands",
    "alarm_commands",
    "alarms",
    "annunciator",
    "app",
    "autotune",
    "auxout",
    "bmp280",
    "channel",
    "channels",
    "cmdargs",
    "cmderror",
    "command_help",
    "commands",
    "commission",
    "commission_commands",
    "commission_result",
    "config",
    "config_commands",
    "console",
    "controller",
    "drivers",
    "fixmath",
    "frame",
    "hwclock",
    "laser",
    "laser_programs",
    "lazy",
    "leakrate",
    "mprls",
    "multichannel",
    "outputs",
    "param_commands",
    "passcode",
    "phasecheck",
    "pid",
    "program_help",
    "programs",
    "relay",
    "safety",
    "sensor",
    "serial_link",
    "session",
    "store",
    "telemetry",
    "textbuf",
    "therapylog",
    "tune_commands",
    "tune_result",
    "units",
    "version",
    "xgzp6897d",
)

for name in FIRMWARE:
    module(name + ".py", base_path="../firmware")

if options.board_dir:
    module("board.py", base_path=options.board_dir)
