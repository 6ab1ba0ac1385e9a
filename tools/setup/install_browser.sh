#!/bin/sh
# Headless Chromium from the system's packages, for the dashboard's browser
# tests (hil_tests/test_ui_browser.py, driven by Playwright with this
# executable; Playwright's own browser downloads are never used).
# Idempotent: returns at once when a browser is there. Installs only where it
# can (root on Debian/Ubuntu with apt-get); elsewhere it says how, and the
# browser tests skip with the same sentence (on CI they fail instead).
set -u
# Debian 12's security update of chromium; if the archive has moved on, the
# current one is installed instead and named.
PINNED=156.0.8078.114-1~deb12u1

for exe in "${VACUUM_CHROMIUM:-}" /usr/bin/chromium /usr/bin/chromium-browser; do
    if [ -n "$exe" ] && [ -x "$exe" ]; then
        exit 0
    fi
done
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "make browser: no Chromium found and cannot install one here (needs root and apt-get):" \
         "the dashboard's browser tests will be skipped. Install it with 'sudo apt-get install chromium'" \
         "(Debian/Ubuntu), or set VACUUM_CHROMIUM=/path/to/chromium." >&2
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
echo "make browser: installing chromium from the system's packages (once)" >&2
apt-get update -qq >/dev/null 2>&1 || true
if ! apt-get install -y -qq --no-install-recommends "chromium=$PINNED" "chromium-common=$PINNED" >/dev/null 2>&1; then
    apt-get install -y -qq --no-install-recommends chromium >/dev/null 2>&1 || true
fi
if [ -x /usr/bin/chromium ]; then
    echo "make browser: $(dpkg-query -W -f='chromium ${Version}' chromium 2>/dev/null) installed" >&2
else
    echo "make browser: installing chromium failed: the dashboard's browser tests will be skipped" \
         "('sudo apt-get install chromium' enables them)" >&2
fi
exit 0
