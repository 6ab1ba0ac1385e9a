# Holds the one simulated world the emulated `machine` module talks to.
#
# Real hardware is a singleton too: there is exactly one I2C0 peripheral. The
# simulation runner installs its World here before the firmware is imported.
world = None


def install(w):
    global world
    world = w


def current():
    if world is None:
        raise RuntimeError("no simulated world installed: run the firmware via boards/sim/runner.py")
    return world
