# lockerplan: two commands on a fresh machine.
#   make plan   create .venv, install lockerplan, plan central Helsinki offline
#   make test   same set-up, then lint and the whole test suite (with the docs' build)
#   make test-fast  the same without the slow tests (city-scale runs, browsers)
#   make docs   the documentation site into site/ (mkdocs build --strict)
#   make notebook   JupyterLab on notebooks/ (installs the notebook extra)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: plan test test-fast lint bench clean browser-deps docs notebook

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,bench,docs]'
	touch $(STAMP)

$(VENV)/.notebook: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[notebook]'
	touch $(VENV)/.notebook

plan: $(STAMP)
	$(BIN)/lockerplan plan

# offline: no web fonts, no plugin that fetches; MkDocs' banner about its next major
# version is silenced (NO_MKDOCS_2_WARNING)
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

# (as root, e.g. in a container, JupyterLab needs --allow-root to start)
notebook: $(VENV)/.notebook
	$(BIN)/jupyter lab notebooks/ $(if $(filter 0,$(shell id -u)),--allow-root)

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
	rm -rf $(VENV) maps/*.html maps/*/ .pytest_cache site
