# Firewatch: two commands on a fresh machine.
#   make demo  - create .venv, install, generate the synthetic scenario, run the pipeline, start the dashboard
#   make test  - create .venv, install with test extras, run the test suite
#
# The interpreter is part of the set-up. Exact DJI R-JPEG decoding (the `dji` extra, dji-thermal-cli) needs
# Python >= 3.12, and 3.13 decodes the Zenmuse H20T 2-4x faster than 3.12 (its exact float emulation uses
# math.fma, new in 3.13; bench/dji_decode.py). So the Makefile takes the first of python3.13, python3.12 (on PATH
# or in ~/.pyenv/versions, whatever pyenv's global version is) that runs, else any python3 >= 3.11, which works for
# everything but DJI R-JPEG temperatures (those frames are then refused with a message saying to use >= 3.12).
# `make PYTHON=/path/to/python3.x test` chooses one yourself.
PYTHON ?= $(shell for candidate in python3.13 $(wildcard $(HOME)/.pyenv/versions/3.13*/bin/python3.13) \
                     /usr/local/bin/python3.13 python3.12 $(wildcard $(HOME)/.pyenv/versions/3.12*/bin/python3.12) \
                     /usr/local/bin/python3.12 python3; do \
                     "$$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1 \
                     && { echo "$$candidate"; break; }; done)
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
DEMO_OUT ?= demo-out
# pip's output goes to .venv/install.log (shown when the install fails), so the demo's first lines are Firewatch's.
comma := ,
# The `dji` extra (AGPL-3.0, see the README) installs only on Python >= 3.12 (an environment marker).
pip_install = $(PIP) install --quiet -e '.[$(1)]' >$(VENV)/install.log 2>&1 || { cat $(VENV)/install.log; \
              echo "Firewatch: the install failed (above; the log is $(VENV)/install.log)" >&2; exit 1; }

.PHONY: demo test bench venv install install-test clean

$(VENV)/bin/activate:
	@test -n "$(PYTHON)" || { echo "no Python >= 3.11 found: install python3.12 or newer, or run make PYTHON=/path/to/python3.12" >&2; exit 1; }
	@echo "Firewatch: creating $(VENV) with $(PYTHON) ($$($(PYTHON) --version 2>&1))"
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip >/dev/null 2>&1 || true
	@$(PY) -c 'import sys; sys.exit(sys.version_info < (3, 12))' || echo "Firewatch: Python < 3.12, so the 'dji' extra is left out: DJI R-JPEG frames will be refused (use Python >= 3.12 for them)" >&2

install: $(VENV)/bin/activate
	@$(call pip_install,dji)

install-test: $(VENV)/bin/activate
	@$(call pip_install,test$(comma)dji)

demo: install
	$(VENV)/bin/firewatch demo --out $(DEMO_OUT) $(DEMO_ARGS)

test: install-test
	$(PY) -m pytest $(PYTEST_ARGS)

bench: install-test
	$(PY) bench/run_all.py

clean:
	rm -rf $(VENV) $(DEMO_OUT) .pytest_cache
