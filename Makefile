# Firewatch: two commands on a fresh machine.
#   make demo  - create .venv, install, generate the synthetic scenario, run the pipeline, start the dashboard
#   make test  - create .venv, install with test extras, run the test suite
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
DEMO_OUT ?= demo-out

.PHONY: demo test bench venv install install-test clean

$(VENV)/bin/activate:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

install: $(VENV)/bin/activate
	$(PIP) install --quiet -e .

install-test: $(VENV)/bin/activate
	$(PIP) install --quiet -e '.[test]'

demo: install
	$(VENV)/bin/firewatch demo --out $(DEMO_OUT) $(DEMO_ARGS)

test: install-test
	$(PY) -m pytest $(PYTEST_ARGS)

bench: install-test
	$(PY) bench/run_all.py

clean:
	rm -rf $(VENV) $(DEMO_OUT) .pytest_cache
