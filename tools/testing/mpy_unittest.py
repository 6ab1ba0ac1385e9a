# Minimal unit-test runner that executes inside the MicroPython Unix port.
#
# Usage: micropython tools/testing/mpy_unittest.py [--pytest] TEST_FILE[::NAME] ...
#
# Each test file defines functions named test_*; a test passes when it returns
# without raising. The runner runs a file's tests in name order, prints one
# line per test and a closing "N passed, N failed" line, and exits 1 on any
# failure. FILE::NAME runs only that test of the file (repeat it for more).
# With --pytest each test's output (its prints, its result line and any
# traceback) is framed by "@@begin NAME" and "@@end NAME ok|fail" lines, after
# an "@@all NAME ..." line naming every test the file defines: the root
# conftest.py runs the tests this way, so pytest collects, selects and
# reports each one in the interpreter it will really run in. A test file's
# own folder is searched last for imports: helpers the tests share
# (firmware/tests/testbus.py) sit beside them.
import sys

_ROOT = __file__.rsplit("/tools/", 1)[0] if "/tools/" in __file__ else (".." if __file__.startswith("mpy_") else ".")
for _p in ("/firmware", "/boards/sim", "/boards"):
    sys.path.insert(0, _ROOT + _p)
# Put them in the intended priority: sim machine first, then firmware, then boards.
sys.path.remove(_ROOT + "/boards/sim")
sys.path.insert(0, _ROOT + "/boards/sim")


def _run_file(path, only, framed):
    passed = failed = 0
    folder = path.rsplit("/", 1)[0] if "/" in path else "."
    if folder not in sys.path:
        sys.path.append(folder)
    scope = {"__name__": "__test__", "__file__": path}
    with open(path) as f:
        source = f.read()
    exec(compile(source, path, "exec"), scope)
    names = sorted(k for k in scope if k.startswith("test_") and callable(scope[k]))
    if framed:
        print("@@all", " ".join(names))
    if only:
        missing = [n for n in only if n not in names]
        if missing:
            raise NameError("%s has no test %s" % (path, ", ".join(missing)))
        names = [n for n in names if n in only]
    for name in names:
        if framed:
            print("@@begin", name)
        try:
            scope[name]()
        except Exception as e:  # noqa: BLE001 - report every failure, keep going
            failed += 1
            print("FAIL", path, name)
            sys.print_exception(e)
            result = "fail"
        else:
            passed += 1
            print("ok  ", path, name)
            result = "ok"
        if framed:
            print("@@end", name, result)
    return passed, failed


def main(argv):
    framed = "--pytest" in argv
    files = {}  # path -> the names asked for (empty: all), in the order given
    for arg in argv:
        if arg == "--pytest":
            continue
        path, _, name = arg.partition("::")
        files.setdefault(path, [])
        if name:
            files[path].append(name)
    total_passed = total_failed = 0
    for path in files:
        p, f = _run_file(path, files[path], framed)
        total_passed += p
        total_failed += f
    print("%d passed, %d failed" % (total_passed, total_failed))
    return 1 if total_failed or not total_passed else 0


sys.exit(main(sys.argv[1:]))
