# One command for the main job, one for every test. Everything installs from
# this repository's pinned files into .venv on first use.
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
BOARDS := $(filter-out manifest,$(basename $(notdir $(wildcard boards/*.py))))
PYTEST := $(PY) -m pytest
# The 32-bit interpreter: the official MicroPython webassembly port from npm,
# pinned in tools/testing/wasm32/package-lock.json, run by the system's Node (>= 18).
WASM   := tools/testing/wasm32
WASM_STAMP := $(WASM)/node_modules/.installed-stamp

.PHONY: deploy all venv browser ui-screenshots sim test test-host test-hil test-board test-board-sim check-32bit bench bench-programs bench-ui bench-speed robustness safety-report mpy wiring powercut fuzz soak clean help

all: test

help:
	@echo "make sim    run a 30 s continuous-vacuum session (30 kPa) on the simulated board, live"
	@echo "make test   run every test: host-tool unit tests, firmware unit tests in MicroPython, simulated-board tests, the 32-bit check, the hardware selection on one long-running simulated board"
	@echo "make test-board PORT=/dev/ttyACM0   the hardware selection on a real board (or PORT=sim@NAME): duration said first, summary of what was exercised and skipped at the end"
	@echo "make check-32bit  the firmware in a 32-bit MicroPython (webassembly port): unit tests and a session per program and scenario; prints the 32-bit peak heap"
	@echo "make bench  measure control quality vs physical limit and peers, timing, simulation speed; preset table; laser interlock"
	@echo "make bench-programs  every preset's tracking error and time at target; pulse depth vs frequency per plant"
	@echo "make robustness  1000 random honest plants (pump +-40 % of its declaration on any curve, vent dead zones, tubing, sensor errors) x the programs in turn: no false alarm, the control targets met (by ground truth), and the fault matrix's cells on random plants detected and contained; prints the tables and counts (PLANTS=N, CROSS=1 for every program on every plant, FAULT_CELLS=M)"
	@echo "make bench-speed  simulation speed: plain, 20 Hz telemetry, ground truth, through vacuumctl; vs the firmware-only ceiling"
	@echo "make typecheck  check the host tool's type hints with mypy"
	@echo "make deploy PORT=/dev/ttyACM0 BOARD=pico   build, copy with mpremote, verify by hash, reset"
	@echo "make mpy    cross-compile the firmware with mpy-cross for every board into build/<board>/ and print sizes"
	@echo "make powercut  power-cut sweeps at every flash write: store level, the whole firmware's commands and logs, a config commit over the link; prints the count"
	@echo "make safety-report  fault matrix: every simulated fault x every program, detection, safe state, peak true vacuum"
	@echo "make fuzz   fuzz campaign: 5000 cases per fuzz test (protocol on the sim, alarms, config/scenario files, vacuumctl argv)"
	@echo "make soak   72 h of device time of intermittent wound therapy on the sim: heap, ticks, GC pauses, telemetry (~70 min wall on a 2-core PC like CI's; SOAK_HOURS=N for a shorter run)"
	@echo "make venv   create .venv from requirements.lock (done automatically by the targets above)"
	@echo "make browser  headless Chromium from the system's packages for the dashboard's browser tests (root + apt; make test runs it)"
	@echo "make ui-screenshots  run the dashboard's browser tests and keep their screenshots in docs/dashboard/"
	@echo "make bench-ui  the dashboard's update rate and latency from the port to the screen, in headless Chromium"

$(STAMP): requirements.lock host_tools/pyproject.toml
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements.lock
	$(VENV)/bin/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e host_tools
	touch $(STAMP)

$(WASM_STAMP): $(WASM)/package.json $(WASM)/package-lock.json
	cd $(WASM) && npm ci --no-audit --no-fund --loglevel=error
	touch $(WASM_STAMP)

venv: $(STAMP) $(WASM_STAMP)

# The main job: the unchanged firmware in real MicroPython on the simulated
# board, driven over a pseudo-terminal by the host tool. 30 s of device time
# at 3x real time, then release to ambient.
sim: $(STAMP)
	$(VENV)/bin/vacuumctl --port sim run continuous --target 30kPa --duration 30 --speed 3 \
		--show-every-ms 1000 --csv out/sim_session.csv --truth-csv out/sim_truth.csv

# The dashboard's browser tests need Chromium: installed from apt where possible
# (quick and silent when present; see tools/setup/install_browser.sh).
browser:
	@sh tools/setup/install_browser.sh

# Every test: in parallel (pytest-xdist) on one worker per core
# (TEST_WORKERS; one more fills the gaps where tests wait on a paced board, a
# browser or the clock, 207 s instead of ~225 s on 2 cores, but starved a
# watchdog test's reply once, so it is not the default: docs/simulation.md,
# "make test wall time"); then, apart from that CPU-bound run, the ones paced in real time: the few a starved run could fail
# (marker whole_machine, pytest.ini) beside the hardware selection on one
# long-running simulated board (both mostly wait on the clock; the former's
# report follows the latter's).
TEST_WORKERS ?= $(shell nproc 2>/dev/null || echo 1)
# Python's bytecode of every process the run starts (pytest's workers, each
# board's launcher, each vacuumctl) is kept under build/pycache, written once:
# with PYTHONDONTWRITEBYTECODE set (as in this workplace's shell) each of the
# hundreds of processes compiled the project's modules from source again.
test: export PYTHONDONTWRITEBYTECODE =
test: export PYTHONPYCACHEPREFIX = $(CURDIR)/build/pycache
test: $(STAMP) $(WASM_STAMP) browser
	$(PYTEST) -q -n $(TEST_WORKERS) --dist worksteal -m "not whole_machine"
	@log=$$(mktemp); $(PYTEST) -q -m whole_machine > $$log 2>&1 & pid=$$!; \
	VENV=$(VENV) sh tools/testing/test_board_sim.sh; board=$$?; \
	wait $$pid; whole=$$?; echo "--- the tests paced in real time (marker whole_machine):"; cat $$log; rm -f $$log; \
	test $$board = 0 && test $$whole = 0

test-host: $(STAMP)
	$(PYTEST) host_tools/tests -q

test-hil: $(STAMP) browser
	$(PYTEST) hil_tests -q

# The hardware selection on a board that keeps its state (a real board, or
# sim@NAME: a simulated board started with 'vacuumctl sim --detach'): one test
# at a time, each from a known state; says how long it will take before it
# starts, ends with what was exercised and what was skipped and why.
# LONG=1 adds the tests marked long (minutes of real time each).
test-board: $(STAMP)
	@test -n "$(PORT)" || { echo "make test-board: give the board's port, e.g. make test-board PORT=/dev/ttyACM0 (or PORT=sim@NAME for a board started with 'vacuumctl sim --detach --name NAME'); 'vacuumctl ports' lists them"; exit 2; }
	$(PYTEST) hil_tests --port $(PORT) -q -p no:xdist -rfE $(if $(LONG),--long)

# What make test runs last: make test-board against one simulated board
# started once for the whole run (BOARD_SIM_SPEED, default 5x real time);
# LONG=1 adds the tests marked long (the role timeout: about 2 min more at 5x).
test-board-sim: $(STAMP)
	VENV=$(VENV) BOARD_SIM_LONG=$(if $(LONG),1,0) sh tools/testing/test_board_sim.sh

# The screenshots in docs/dashboard.md, taken by the browser tests themselves.
ui-screenshots: $(STAMP) browser
	VACUUM_UI_SCREENSHOTS=docs/dashboard $(PYTEST) -q hil_tests/test_ui_browser.py
# The firmware in a 32-bit interpreter (also run by make test: hil_tests/test_check_32bit.py).
check-32bit: $(STAMP) $(WASM_STAMP)
	node $(WASM)/check32.mjs

# Static types of the host tool (settings in host_tools/pyproject.toml).
typecheck: $(STAMP)
	cd host_tools && ../$(VENV)/bin/mypy vacuumctl

bench: $(STAMP)
	$(PY) tools/bench/bench.py
	$(PY) tools/bench/presets.py
	$(PY) tools/bench/laser_interlock.py

bench-programs: $(STAMP)
	$(PY) tools/bench/presets.py

bench-ui: $(STAMP) browser
	$(PY) tools/bench/ui_latency.py

# Section 3 of make bench alone: simulation speeds and the firmware-only ceiling.
bench-speed: $(STAMP)
	$(PY) tools/bench/simspeed.py

robustness: $(STAMP)
	$(PY) tools/bench/robustness.py --plants $(or $(PLANTS),1000) $(if $(CROSS),--cross) $(if $(FAULT_CELLS),--fault-cells $(FAULT_CELLS))

# Build for BOARD and copy to the board on PORT with mpremote, each file
# verified by SHA-256, then reset: make deploy PORT=/dev/ttyACM0 BOARD=pico
deploy: $(STAMP)
	@test -n "$(PORT)" || { echo "make deploy: give the board's port, e.g. make deploy PORT=/dev/ttyACM0 BOARD=pico (boards: $(BOARDS))"; exit 2; }
	@test -f boards/$(or $(BOARD),pico).py || { echo "make deploy: there is no board '$(BOARD)' (no boards/$(BOARD).py); the boards are: $(BOARDS)"; exit 2; }
	$(PY) tools/deploy/deploy.py --board $(or $(BOARD),pico) --port $(PORT)

mpy: $(STAMP)
	$(PY) tools/deploy/mpy_build.py

# Regenerate the wiring diagrams in docs/wiring/ (committed PNGs).
wiring: $(STAMP)
	$(PY) tools/docs/wiring_diagrams.py
powercut: $(STAMP)
	$(PY) tools/bench/powercut.py

safety-report: $(STAMP)
	$(PY) tools/bench/fault_matrix.py

# The fuzz tests with 5000 derandomized cases each (make test runs 100).
fuzz: $(STAMP)
	@t0=$$(date +%s); \
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-5000} $(PYTEST) -q -s -n auto hil_tests/test_fuzz_protocol.py hil_tests/test_fuzz_alarm.py host_tools/tests/test_fuzz_inputs.py; \
	rc=$$?; echo "fuzz campaign: $$(( $$(date +%s) - t0 )) s wall"; exit $$rc

# Endurance: 72 h of device time at full speed (about 70 min of wall time on a 2-core PC like CI's; SOAK_HOURS=N).
soak: $(STAMP)
	$(PY) tools/bench/soak.py --hours $${SOAK_HOURS:-72}

clean:
	rm -rf $(VENV) out build .pytest_cache $(WASM)/node_modules
