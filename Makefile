# Quick start: `make demo` and `make test`. Both set everything up first and are
# idempotent: a second run only re-checks stamps and exits fast.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SYSDEPS_STAMP := $(VENV)/.sysdeps
# Mesa's EGL + DRI drivers for headless GL (llvmpipe), Xvfb for the windowed tests.
SYSTEM_PACKAGES := libegl1 libegl-mesa0 libgl1-mesa-dri libgl1 xvfb xauth iproute2

.PHONY: setup demo test test-all lint bench docs clean

setup: $(STAMP) $(SYSDEPS_STAMP)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

$(SYSDEPS_STAMP): Makefile | $(BIN)/python
	@missing=""; for p in $(SYSTEM_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing system packages:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi
	touch $@

demo: setup
	$(BIN)/stage demo

test: setup
	$(BIN)/python -m pytest -q

test-all: setup
	$(BIN)/python -m pytest -q --run-slow

lint: setup
	$(BIN)/ruff check stage tracking renderer tests benchmarks

bench: setup
	$(BIN)/python -m benchmarks

docs: setup
	$(BIN)/python -m stage.app.docgen
	$(BIN)/python -m stage.app.orchestrator.osc_tablet

clean:
	rm -rf $(VENV) out logs .pytest_cache
