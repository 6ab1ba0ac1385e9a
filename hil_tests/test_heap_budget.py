"""The firmware's RAM against the smallest board's heap (docs/reliability.md,
"Memory"): a short session on the simulated ESP32-DevKitC, its peak live heap
counted from main.py's import, estimated for a 32-bit MCU, plus the largest
on-demand service module, must stay within FIRMWARE_HEAP_BUDGET_PCT of
HEAP_BYTES. Runs the sim directly (no port): a few seconds. A regression
guard on the 64-bit figure only: the 32-bit bytes are measured by make
check-32bit (hil_tests/test_check_32bit.py), which found the /2 estimate
optimistic (160 000 B here, 124 080 B at 32 bits with the same .py layout)."""
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
import bench  # tools/bench (pytest.ini pythonpath)
import launcher  # boards/sim


@pytest.fixture(scope="module")
def service():
    return bench.service_module_bytes()


def test_service_modules_are_measured(service):
    assert set(service) == {"command_help", "program_help", "param_commands", "tune_commands", "config_commands", "tune_result",
                            "commission_commands", "commission", "commission_result"}
    assert all(v > 0 for v in service.values())


def test_short_session_fits_the_smallest_board_within_budget(service, needs_sim):
    smallest = min(bench.BOARDS, key=launcher.board_heap_bytes)
    ok, rep = bench.heap_run("default", smallest, None, session_s=3, until_ms=5000)
    assert ok == "no MemoryError, session ended", ok
    fw = rep["firmware_peak_bytes"]
    # The sim's own code is not the firmware's: at least the physics and the
    # boot loop are live before main.py (about 95 KB on this port).
    assert rep["sim_baseline_bytes"] > 50_000 and fw > 50_000, rep
    est = (fw + max(service.values())) // launcher.WORD_SIZE_FACTOR
    budget = launcher.board_heap_bytes(smallest) * launcher.FIRMWARE_HEAP_BUDGET_PCT // 100
    assert est <= budget, "estimated 32-bit peak %d B > budget %d B (%d %% of %s's heap)" % (
        est, budget, launcher.FIRMWARE_HEAP_BUDGET_PCT, smallest)
