# nomul: everyday targets. `make test` and `make demo` set everything up first.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
NOMUL  := $(VENV)/bin/nomul
EXAMPLES := $(wildcard examples/*.toml)

.PHONY: setup iverilog test demo verilog bench soak clean

setup: $(VENV)/.installed iverilog

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

# Icarus Verilog comes from the system package manager.
iverilog:
	@command -v iverilog >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" -ne 0 ] && ! command -v sudo >/dev/null 2>&1; then \
	    echo "make setup: iverilog is missing and installing it needs root: run 'sudo apt-get install iverilog'" >&2; exit 1; \
	  fi; \
	  SUDO=$$([ "$$(id -u)" -eq 0 ] || echo sudo); \
	  echo "make setup: installing Icarus Verilog (apt-get install iverilog)"; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq iverilog >/dev/null; \
	}
	@iverilog -V 2>/dev/null | head -n 1

test: setup
	$(PY) -m pytest -n 2 -q

demo: setup
	$(PY) examples/demo.py

verilog: setup
	@for design in $(EXAMPLES); do $(NOMUL) verilog $$design -o build/verilog || exit 1; done

# Benchmarks print figures; they are not tests.
bench: setup
	$(PY) bench/generate.py
	$(PY) bench/simulators.py --soak 0
	$(PY) bench/synth_fwht.py
	$(PY) bench/synth_xnor.py
	$(PY) bench/streaming.py

# 1,000,000 vectors through the fastest simulator, every register compared (about 20 min).
soak: setup
	$(PY) bench/simulators.py --soak 1000000

clean:
	rm -rf build out sim_build .pytest_cache .hypothesis
