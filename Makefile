# Backend Skills Lab. Every target sets itself up on a fresh clone where only python3 exists.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
UV     := $(BIN)/uv
STAMP  := $(VENV)/.installed
JOBS   ?= 2
# The shipped JupyterLab config: news and update checks off, opens the course map.
LAB_ENV := JUPYTER_CONFIG_DIR=$(CURDIR)/jupyter JUPYTERLAB_SETTINGS_DIR=$(CURDIR)/jupyter/lab/user-settings

.PHONY: install lab course test test-fast execute lint lock doctor clean

install: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==0.13.8
	$(UV) pip install --quiet --python $(BIN)/python -r requirements.lock
	$(UV) pip install --quiet --python $(BIN)/python --no-deps -e .
	touch $(STAMP)

lab: $(STAMP)
	$(LAB_ENV) $(BIN)/jupyter lab --ServerApp.ip=127.0.0.1 $(if $(filter 0,$(shell id -u)),--allow-root) notebooks/00-start-here.ipynb

course: $(STAMP)
	$(BIN)/backend-skills run --build build --jobs 1

test: $(STAMP)
	$(BIN)/python -m pytest -n $(JOBS) --dist loadfile

# The suite without executing notebooks (seconds, for the edit loop).
test-fast: $(STAMP)
	$(BIN)/python -m pytest -n $(JOBS) -m "not notebook"

# Re-execute every notebook in place from a clean top-to-bottom run (stored outputs = code).
execute: $(STAMP)
	$(BIN)/backend-skills execute $(NOTEBOOKS)

lint: $(STAMP)
	$(BIN)/ruff check src tests skills data conftest.py
	$(BIN)/ruff format --check src tests skills data conftest.py
	$(BIN)/backend-skills lint

doctor: $(STAMP)
	$(BIN)/backend-skills doctor

# Re-resolve requirements.lock from requirements.in and pyproject.toml's floors.
lock: $(STAMP)
	$(UV) pip compile requirements.in -o requirements.lock --python-version 3.11 --no-emit-package backend-skills

clean:
	rm -rf build .pytest_cache
