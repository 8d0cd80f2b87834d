# Two commands set everything up: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export QT_QPA_PLATFORM ?= offscreen

.PHONY: run test lint format typecheck bench screenshots demo bundle bundle-test icons clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,dev]'
	touch $(STAMP)

run: QT_QPA_PLATFORM :=
run: $(STAMP)
	$(BIN)/python -m incidentdesk.qt_libraries
	$(BIN)/incidentdesk

# Two workers: the suite is mostly Qt event loops and database round trips, so it halves on two
# cores; a single file still runs alone with `.venv/bin/python -m pytest tests/…`.
test: $(STAMP)
	$(BIN)/python -m pytest -n 2

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: $(STAMP)
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python -m bench

screenshots: $(STAMP)
	$(BIN)/python tools/screenshots.py

# The one-folder application in dist/IncidentDesk/ (packaging/README.md).
BUNDLE_STAMP := $(VENV)/.bundle-installed
$(BUNDLE_STAMP): pyproject.toml | $(STAMP)
	$(BIN)/pip install --quiet -e '.[test,dev,bundle]'
	touch $(BUNDLE_STAMP)

bundle: $(BUNDLE_STAMP)
	$(BIN)/pyinstaller --noconfirm --clean --log-level WARN --distpath dist --workpath build \
		packaging/incidentdesk.spec

# Builds the bundle, then runs it: smoke tests on SQLite and PostgreSQL, report, contents, and
# the Linux desktop entry and metainfo (desktop-file-utils and appstream from Debian).
bundle-test: bundle
	$(BIN)/python packaging/check_bundle.py

icons: $(STAMP)
	$(BIN)/python tools/render_icons.py

clean:
	rm -rf $(VENV) build dist .bench bench-results.json .pytest_cache .mypy_cache .ruff_cache
