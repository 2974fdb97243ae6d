# Two commands on a fresh clone: `make run` (the clinic web app with a seeded demo clinic) and `make test`
# (everything CI checks). `make demo` runs the command-line demo assessment.
# Both bootstrap .venv from nothing and are idempotent: the install re-runs only when pyproject.toml changes.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run demo test lint typecheck contracts unit bench fuzz clean debian-libs browser-tools postgresql

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

# Programs the visual tests drive (tests/visual): Debian's Chromium, which Playwright only drives (it never
# downloads a browser of its own), poppler's pdftoppm and pdftotext, and a font; installed only when missing.
browser-tools:
	@command -v chromium >/dev/null && command -v pdftoppm >/dev/null && command -v pdftotext >/dev/null || { \
		apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium poppler-utils fonts-dejavu-core; }

# PostgreSQL for the database tests (tests/db start a throw-away cluster of their own as the postgres user and
# stop it afterwards; the package's own cluster is not used); installed only when missing.
postgresql:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
		apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql; }

run: $(STAMP)
	$(BIN)/glutemed serve

demo: $(STAMP)
	$(BIN)/glutemed demo --out glutemed-out/demo

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy

contracts: $(STAMP)
	$(BIN)/lint-imports

unit: $(STAMP) browser-tools postgresql
	$(BIN)/pytest

test: lint typecheck contracts unit

bench: $(STAMP)
	$(BIN)/python -m benchmarks

# The camera validation study (validation/README.md): 200 random virtual phone cameras film the two mocap
# runners, `glutemed batch` analyses the recordings, the errors against the 3-D truth go into
# docs/validation.md. A quicker run: `$(BIN)/python -m validation.camera_study --cameras 20`.
.PHONY: validation
validation: $(STAMP)
	nice -n 10 $(BIN)/python -m validation.camera_study --write-doc

# FUZZ_COUNT generated inputs per reader (half byte-mutated seeds, half Hypothesis format-aware documents), each
# reader in its own process under a 1 GiB address-space cap; crashing inputs land in tests/fuzz/corpus/ (replayed
# by `make test`).
FUZZ_COUNT ?= 10000
fuzz: $(STAMP)
	$(BIN)/python -m tests.fuzz.run --count $(FUZZ_COUNT) --memory-mb 1024 --jobs 2

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
