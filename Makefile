# Tenantdesk — two commands: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
# Parallel test workers (2 cores here; override with `make test WORKERS=4`).
WORKERS ?= 2
# Local development runs with DEBUG on unless the environment or .env says otherwise.
DEV := DEBUG=$${DEBUG:-1}

.PHONY: run test install services browser migrate seed bench bench-demo lint fmt clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP)

services: install
	@bash scripts/services.sh

browser:
	@bash scripts/browser.sh

migrate: services
	$(DEV) $(PY) manage.py migrate --noinput

seed: migrate
	$(DEV) $(PY) manage.py seed_demo
	$(DEV) $(PY) manage.py seed_demo_kb

run: seed
	@bash scripts/run.sh

test: services browser
	$(PY) -m pytest -n $(WORKERS) --cov --cov-report=term $(PYTEST_ARGS)

# The ticket API as ratios to a floor measured in the same run, on its own database
# (bench/run_floor.sh; SEARCH250K=1 adds search at 250k tickets). Results: bench/RESULTS.md.
bench: services
	bash bench/run_floor.sh $(BENCH_ARGS)

# The older benchmark of the API plumbing on the demo data (bench/run.sh).
bench-demo: seed
	bash bench/run.sh $(BENCH_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(DEV) $(PY) manage.py makemigrations --check --dry-run

fmt: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .coverage htmlcov staticfiles
