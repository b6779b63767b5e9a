# The README's two commands (`make demo`, `make test`) do all set-up on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_STAMP := $(VENV)/.installed-demo

.PHONY: install test lint types unit sessions browser demo screenshot bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The demo needs the Flask adapter and the crossgate command only, not the test toolchain, so a
# first `make demo` starts in seconds; `make test` adds the rest to the same venv.
$(DEMO_STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e '.[flask,cli]'
	touch $(DEMO_STAMP)

install: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check src tests examples benchmarks noxfile.py
	$(BIN)/ruff format --check src tests examples benchmarks noxfile.py

types: $(STAMP)
	$(BIN)/mypy

# One run of the suite on the venv's Python and libraries: quick, for working on the code.
unit: $(STAMP)
	$(BIN)/pytest --cov --cov-report=term-missing

# The supported range, tested at both ends, and the wheel and sdist checked (noxfile.py): the
# oldest Python with the oldest supported Flask, Werkzeug, Starlette and FastAPI; the newest
# Python with the newest releases, browsers and the coverage gate; `twine check`. Each session
# has its own virtualenv under .nox.
sessions: $(STAMP)
	$(BIN)/nox --error-on-missing-interpreters

test: lint types sessions

# `make demo PORT=8002 API_PORT=8001` when 5002 or 5001 is taken: the page (open it) and the API.
PORT ?= 5002
API_PORT ?= 5001

demo: $(DEMO_STAMP)
	$(BIN)/python -m examples.demo --page-port $(PORT) --api-port $(API_PORT)

# docs/demo.png, taken by the Chromium demo test (a plain test run never rewrites it).
screenshot: $(STAMP)
	CROSSGATE_SCREENSHOT=1 $(BIN)/pytest -q -p no:cacheprovider tests/browser/test_chromium_demo.py

bench: $(STAMP)
	$(BIN)/python -m benchmarks.run

clean:
	rm -rf $(VENV) .nox .pytest_cache .mypy_cache .ruff_cache .coverage
