#!/usr/bin/env python3
"""Refresh the vendored uPlot (the dashboard's chart, `vacuumctl ui`).

    python tools/setup/vendor_uplot.py            # re-fetch the pinned version and check it
    python tools/setup/vendor_uplot.py --check    # only compare the vendored files with the pinned package

The dashboard serves its assets itself (no CDN, no build step), so uPlot's
npm package is kept in host_tools/vacuumctl/ui/static/vendor/uplot/. This
script runs `npm pack uplot@VERSION` in a temporary folder, checks the
tarball against the registry's recorded SHA-512 integrity (pinned below, so
a changed package is refused), and copies the three files the page uses plus
the licence and package.json. To move to a newer uPlot: change VERSION and
INTEGRITY (`npm view uplot@X.Y.Z dist.integrity`), run this, run the browser
tests (hil_tests/test_ui_browser.py), commit.
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

VERSION = "1.6.32"
INTEGRITY = "sha512-KIMVnG68zvu5XXUbC4LQEPnhwOxBuLyW1AHtpm6IKTXImkbLgkMy+jabjLgSLMasNuGGzQm/ep3tOkyTxpiQIw=="
FILES = ("dist/uPlot.iife.min.js", "dist/uPlot.min.css", "LICENSE", "package.json")
DEST = Path(__file__).resolve().parents[2] / "host_tools" / "vacuumctl" / "ui" / "static" / "vendor" / "uplot"


def fetch(tmp: Path) -> Path:
    r = subprocess.run(["npm", "pack", "uplot@%s" % VERSION, "--silent"], cwd=tmp, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit("vendor_uplot: npm pack failed: %s" % (r.stderr.strip() or r.stdout.strip()))
    tgz = tmp / ("uplot-%s.tgz" % VERSION)
    digest = "sha512-" + base64.b64encode(hashlib.sha512(tgz.read_bytes()).digest()).decode()
    if digest != INTEGRITY:
        sys.exit("vendor_uplot: uplot-%s.tgz has integrity %s, not the pinned %s" % (VERSION, digest, INTEGRITY))
    out = tmp / "x"
    with tarfile.open(tgz) as tar:
        for name in FILES:
            member = tar.getmember("package/" + name)
            data = tar.extractfile(member)
            assert data is not None
            target = out / Path(name).name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data.read())
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--check", action="store_true", help="compare only; exit 1 if the vendored files differ")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as d:
        got = fetch(Path(d))
        differ = [f.name for f in sorted(got.iterdir())
                  if not (DEST / f.name).exists() or (DEST / f.name).read_bytes() != f.read_bytes()]
        if args.check:
            print("vendored uPlot %s: %s" % (VERSION, "differs: " + ", ".join(differ) if differ else "matches the package"))
            return 1 if differ else 0
        DEST.mkdir(parents=True, exist_ok=True)
        for f in got.iterdir():
            shutil.copyfile(f, DEST / f.name)
    print("uPlot %s vendored into %s (%s)" % (VERSION, DEST, ", ".join(sorted(p.name for p in DEST.iterdir()))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
