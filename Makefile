# The two commands: `make demo` and `make test`. Both build .venv from pyproject.toml first.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SECONDS ?=
DEMO_ARGS := $(if $(SECONDS),--seconds $(SECONDS),)

.PHONY: demo test lint typecheck unit system-deps clean

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "make: Python 3.11 not found (python3.11 or python3)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

system-deps:
	@bash simulator/install_rtsp_server.sh

demo: $(STAMP) system-deps
	$(BIN)/tianwang demo $(DEMO_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

test: $(STAMP) system-deps lint typecheck
	$(BIN)/pytest -ra

clean:
	rm -rf $(VENV) data .mypy_cache .ruff_cache .pytest_cache
