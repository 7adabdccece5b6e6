# lockerplan: two commands on a fresh machine.
#   make plan   create .venv, install lockerplan, plan central Helsinki offline
#   make test   same set-up, then lint and the whole test suite
#   make test-fast  the same without the slow tests (city-scale runs, browsers)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: plan test test-fast lint bench clean browser-deps

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	touch $(STAMP)

plan: $(STAMP)
	$(BIN)/lockerplan plan

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# headless Chromium (Debian) and the local Leaflet/folium assets (npm) for the map tests
browser-deps:
	bash tests/browser/setup.sh

# the suite on every core; tests that share one expensive run (Porto Alegre, the
# Dask LocalClusters) are kept on one worker by their xdist_group
test: lint browser-deps
	$(BIN)/python -m pytest -n auto --dist loadgroup

# everything but the tests marked slow (Porto Alegre, the browser): minutes, not many
test-fast: lint
	$(BIN)/python -m pytest -n auto --dist loadgroup -m "not slow"

clean:
	rm -rf $(VENV) maps/*.html maps/*/ .pytest_cache
