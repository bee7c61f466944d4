# Two commands do all set-up: `make demo` and `make test` each create/refresh .venv first.
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c
PYTHON ?= python3
# pip warns about this machine's extra local indexes on every install; keep the output readable
QUIET_PIP := 2>&1 | { grep -v 'is ignored: it is neither a file nor a directory' || true; }
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-runtime
DEVSTAMP := $(VENV)/.installed-dev

.PHONY: demo test test-fast lint bench clean venv

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip $(QUIET_PIP)

$(STAMP): $(PY) requirements.txt setup.cfg pyproject.toml
	$(PY) -m pip install -q -r requirements.txt $(QUIET_PIP)
	$(PY) -m pip install -q --no-deps -e . $(QUIET_PIP)
	@touch $(STAMP)

$(DEVSTAMP): $(STAMP) requirements-dev.txt
	$(PY) -m pip install -q -r requirements-dev.txt $(QUIET_PIP)
	@touch $(DEVSTAMP)

venv: $(DEVSTAMP)

demo: $(STAMP)
	$(PY) -m spikevision.cli.demo

demo-%: $(STAMP)
	$(PY) -m spikevision.cli.demo --only $*

test: $(DEVSTAMP)
	$(PY) -m ruff check src tests benchmarks main.py
	$(PY) -m pytest -q

test-fast: $(DEVSTAMP)
	$(PY) -m pytest -q -m "not slow"

lint: $(DEVSTAMP)
	$(PY) -m ruff check src tests benchmarks main.py

bench: $(DEVSTAMP)
	$(PY) benchmarks/bench_events.py
	$(PY) benchmarks/bench_spikes.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
