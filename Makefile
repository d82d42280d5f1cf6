# Backend Skills Lab. Every target sets itself up on a fresh clone where only python3 exists.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
UV     := $(BIN)/uv
# Two locks: requirements.lock is the course (what make lab, Binder and conda install);
# requirements-dev.lock adds the test tools. `uv pip sync` makes .venv exactly one of them,
# so a package dropped from a lock leaves .venv too. The dev set contains the course set at
# the same versions: once a .venv has the dev set, the course targets keep it in step with
# the dev lock rather than strip the test tools out.
STAMP     := $(VENV)/.synced-course
DEV_STAMP := $(VENV)/.synced-dev
# xdist workers: one per CPU the process may use (2 on the course's CI machine).
JOBS   ?= auto
# One BLAS thread per test worker: the workers already fill the cores, and OpenBLAS's
# threads spin against each other on a busy machine (a numpy model fit measured 59 s with
# two threads per process against 9.5 s with one, at a load of 9 on 2 cores).
TEST_ENV := OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
# The shipped JupyterLab config: news and update checks off, opens the course map.
LAB_ENV := JUPYTER_CONFIG_DIR=$(CURDIR)/jupyter JUPYTERLAB_SETTINGS_DIR=$(CURDIR)/jupyter/lab/user-settings

.PHONY: install install-dev sync lab course test test-fast bench-harness execute lint lock doctor clean

install: $(STAMP)
install-dev: $(DEV_STAMP)

$(UV):
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) \
	  || { echo "make: python3 -m venv failed: on Debian or Ubuntu, apt-get install python3-venv"; exit 2; }
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==0.13.8

$(STAMP): requirements.lock requirements-dev.lock pyproject.toml | $(UV)
	if [ -f $(DEV_STAMP) ]; then $(MAKE) --no-print-directory sync LOCK=requirements-dev.lock \
	  && touch $(DEV_STAMP); else $(MAKE) --no-print-directory sync LOCK=requirements.lock; fi
	touch $(STAMP)

$(DEV_STAMP): requirements-dev.lock requirements.lock pyproject.toml | $(UV)
	$(MAKE) --no-print-directory sync LOCK=requirements-dev.lock
	touch $(DEV_STAMP) $(STAMP)

# Make .venv exactly LOCK, then the course package itself, editable (the locks leave it out).
sync:
	$(UV) pip sync --quiet --python $(BIN)/python $(LOCK)
	$(UV) pip install --quiet --python $(BIN)/python --no-deps -e .

lab: $(STAMP)
	$(LAB_ENV) $(BIN)/jupyter lab --ServerApp.ip=127.0.0.1 $(if $(filter 0,$(shell id -u)),--allow-root) notebooks/00-start-here.ipynb

course: $(STAMP)
	$(BIN)/backend-skills run --build build --jobs 1

# loadgroup keeps each notebook's nbval cells on one worker, in order (see conftest.py) and
# spreads every other test, the papermill runs included, over all workers.
test: $(DEV_STAMP)
	$(TEST_ENV) $(BIN)/python -m pytest -n $(JOBS) --dist loadgroup

# Where the suite spends its time: the suite with a junit file, then test-seconds by kind
# (reported even when a test fails; the target still fails then).
bench-harness: $(DEV_STAMP)
	mkdir -p build
	$(TEST_ENV) $(BIN)/python -m pytest -n $(JOBS) --dist loadgroup --junitxml=build/junit.xml; status=$$?; \
	  $(BIN)/python -m backend_skills.harness_report build/junit.xml && exit $$status

# The suite without executing notebooks (seconds, for the edit loop).
test-fast: $(DEV_STAMP)
	$(TEST_ENV) $(BIN)/python -m pytest -n $(JOBS) -m "not notebook"

# Re-execute every notebook in place from a clean top-to-bottom run (stored outputs = code).
execute: $(STAMP)
	$(BIN)/backend-skills execute $(NOTEBOOKS)

lint: $(DEV_STAMP)
	$(BIN)/ruff check src tests skills data notebooks conftest.py
	$(BIN)/ruff format --check src tests skills data notebooks conftest.py
	$(BIN)/backend-skills lint

doctor: $(STAMP)
	$(BIN)/backend-skills doctor

# Re-resolve both locks from requirements*.in and pyproject.toml's floors (the dev lock is
# constrained to the course lock, so the two agree on every package they share).
lock: | $(UV)
	$(UV) pip compile requirements.in -o requirements.lock --python-version 3.11 --no-emit-package backend-skills
	$(UV) pip compile requirements-dev.in -o requirements-dev.lock --python-version 3.11 --no-emit-package backend-skills

clean:
	rm -rf build .pytest_cache
