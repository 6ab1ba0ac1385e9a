# Proves the MicroPython unit-test runner itself runs under MicroPython.
import sys


def test_runs_in_micropython():
    assert sys.implementation.name == "micropython"
