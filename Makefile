# Two commands on a fresh clone: `make run` (the demo) and `make test` (everything CI checks).
# Both bootstrap .venv from nothing and are idempotent: the install re-runs only when pyproject.toml changes.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck contracts unit bench clean debian-libs

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "error: neither python3.11 nor python3 is on PATH" >&2; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@$(BIN)/python -c "import cv2" 2>/dev/null || $(MAKE) --no-print-directory debian-libs
	@$(BIN)/python -c "import weasyprint" 2>/dev/null || $(MAKE) --no-print-directory debian-libs
	@touch $(STAMP)

# Shared libraries that OpenCV (libGL, GLib) and WeasyPrint (Pango) load; installed only when an import fails.
debian-libs:
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends libgl1 libglib2.0-0 libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0

run: $(STAMP)
	$(BIN)/glutemed demo --out glutemed-out/demo

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy

contracts: $(STAMP)
	$(BIN)/lint-imports

unit: $(STAMP)
	$(BIN)/pytest

test: lint typecheck contracts unit

bench: $(STAMP)
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
