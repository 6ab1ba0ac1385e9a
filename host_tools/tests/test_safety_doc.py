"""docs/safety.md names its verification tests: each one must exist, and each
fault-matrix cell it names must be one `make test` runs (fault_matrix.subset())."""
import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import fault_matrix  # tools/bench (pytest.ini pythonpath)

DOC = open(os.path.join(ROOT, "docs", "safety.md"), encoding="utf-8").read()


def test_every_named_test_function_exists():
    named = set(re.findall(r"((?:firmware/tests|hil_tests|boards/sim/tests)/\w+\.py)::(\w+)", DOC))
    assert len(named) > 20
    missing = [n for n in sorted(named) if "def %s(" % n[1] not in open(os.path.join(ROOT, n[0]), encoding="utf-8").read()]
    assert not missing, missing


def test_every_named_matrix_cell_runs_in_make_test():
    cells = set(re.findall(r"test_fault_cell\[([a-z_]+-[a-z_]+)\]", DOC)) | set(re.findall(r"…\[([a-z_]+-[a-z_]+)\]", DOC))
    assert len(cells) > 20
    run = {"%s-%s" % c for c in fault_matrix.subset()}
    assert not cells - run, sorted(cells - run)
