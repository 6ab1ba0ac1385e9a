# Minimal unit-test runner that executes inside the MicroPython Unix port.
#
# Usage: micropython tools/mpy_unittest.py TEST_FILE [TEST_FILE ...]
#
# Each test file defines functions named test_*; a test passes when it returns
# without raising. The runner prints one line per test and a closing
# "N passed, N failed" line, and exits 1 on any failure. CPython's pytest runs
# this through hil_tests/test_micropython_units.py so that `make test` covers
# firmware code in the interpreter it will really run in.
import sys

_ROOT = __file__.rsplit("/tools/", 1)[0] if "/tools/" in __file__ else (".." if __file__.startswith("mpy_") else ".")
for _p in ("/firmware", "/boards/sim", "/boards"):
    sys.path.insert(0, _ROOT + _p)
# Put them in the intended priority: sim machine first, then firmware, then boards.
sys.path.remove(_ROOT + "/boards/sim")
sys.path.insert(0, _ROOT + "/boards/sim")


def _run_file(path):
    passed = failed = 0
    scope = {"__name__": "__test__", "__file__": path}
    with open(path) as f:
        source = f.read()
    exec(compile(source, path, "exec"), scope)
    names = sorted(k for k in scope if k.startswith("test_") and callable(scope[k]))
    for name in names:
        try:
            scope[name]()
        except Exception as e:  # noqa: BLE001 - report every failure, keep going
            failed += 1
            print("FAIL", path, name)
            sys.print_exception(e)
        else:
            passed += 1
            print("ok  ", path, name)
    return passed, failed


def main(argv):
    total_passed = total_failed = 0
    for path in argv:
        p, f = _run_file(path)
        total_passed += p
        total_failed += f
    print("%d passed, %d failed" % (total_passed, total_failed))
    return 1 if total_failed or not total_passed else 0


sys.exit(main(sys.argv[1:]))
