#!/bin/sh
# make test's last step: the hardware selection (make test-board) against ONE
# simulated board that keeps running for the whole run, as a board on the bench
# does: started once here, paced (device time at BOARD_SIM_SPEED x real time,
# default 5) so that the tests' real-time assumptions are exercised, and
# stopped at the end even when a test fails or the run is interrupted. The
# tests marked long are left out, as on a real board (BOARD_SIM_LONG=1 adds
# them: the service role's 10.5 min of device time is about 2 min of wall time at 5x);
# make test runs their behaviour unpaced on --port sim.
# Its registry is a directory of its own: nothing else's boards are touched.
set -u
VENV=${VENV:-.venv}
SPEED=${BOARD_SIM_SPEED:-5}
LONG=
[ "${BOARD_SIM_LONG:-0}" = 1 ] && LONG=--long
NAME=ci-board
REG=$(mktemp -d)
export VACUUM_SIM_REGISTRY="$REG"

finish() {
    "$VENV/bin/vacuumctl" sim --stop "$NAME" >/dev/null 2>&1
    rm -rf "$REG"
}
trap finish EXIT
trap 'exit 130' INT TERM

"$VENV/bin/vacuumctl" sim default --detach --name "$NAME" --speed "$SPEED" || exit 1
"$VENV/bin/python" -m pytest hil_tests --port "sim@$NAME" -q -p no:xdist -rfE $LONG
