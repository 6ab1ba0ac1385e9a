#!/usr/bin/env python3
"""make powercut: every power-cut sweep at every cut point, and the count.

* store level (firmware/tests/test_store_powercut.py, MicroPython): record
  saves, log appends and log rotations on a littlefs image;
* whole firmware (firmware/tests/test_firmware_powercut.py, MicroPython):
  the firmware's own commands and logs (config commits, unlocks, passcode
  changes, therapy sessions, alarm records) on the simulated board's flash;
* through the serial link (hil_tests/test_storage.py -k power_cut): a config
  commit on a running simulated board, cut at each of its flash writes.

Each cut: torn write, reboot, the board safe and every datum old or new.
Prints each sweep's line, the total and the wall time.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MPY = os.path.join(ROOT, ".venv", "bin", "micropython")


def _mpy(test: str) -> tuple[int, str]:
    env = dict(os.environ, POWERCUT_ALL="1")
    r = subprocess.run([MPY, "-X", "heapsize=8M", "tools/testing/mpy_unittest.py", test], cwd=ROOT, env=env,
                       capture_output=True, text=True)
    lines = [ln for ln in r.stdout.splitlines() if "sweep" in ln or "FAIL" in ln or " passed, " in ln]
    for ln in lines:
        print(ln)
    if r.returncode != 0:
        print(r.stdout[-3000:] + r.stderr[-3000:])
        raise SystemExit(1)
    m = re.search(r"sweep[^:]*: (\d+) cuts", r.stdout)
    return int(m.group(1)) if m else 0, r.stdout


def main() -> int:
    t0 = time.monotonic()
    store, _ = _mpy("firmware/tests/test_store_powercut.py")
    whole, _ = _mpy("firmware/tests/test_firmware_powercut.py")
    env = dict(os.environ, POWERCUT_ALL="1")
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-n", "auto", "hil_tests/test_storage.py", "-k", "power_cut"],
                       cwd=ROOT, env=env, capture_output=True, text=True)
    tail = r.stdout.strip().splitlines()[-1] if r.stdout.strip() else r.stderr[-500:]
    print("serial link, config commit cut at each flash write: %s" % tail)
    if r.returncode != 0:
        print(r.stdout[-3000:])
        return 1
    m = re.search(r"(\d+) passed", tail)
    link = int(m.group(1)) if m else 0
    total = store + whole + link
    print("power cuts: %d in all (store level %d, whole firmware %d, through the serial link %d), each boot safe with the old or new data; %.0f s wall"
          % (total, store, whole, link, time.monotonic() - t0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
