# Tenantdesk — two commands: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
# Parallel test workers (2 cores here; override with `make test WORKERS=4`).
WORKERS ?= 2
# Local development runs with DEBUG on unless the environment or .env says otherwise.
DEV := DEBUG=$${DEBUG:-1}

.PHONY: run test test-pooled install services browser pgbouncer migrate seed bench bench-demo lint fmt clean

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

# The pooling tests (tests/test_pgbouncer.py) start a real pgbouncer: install it if missing.
pgbouncer:
	@bash scripts/pgbouncer.sh

migrate: services
	$(DEV) $(PY) manage.py migrate --noinput

seed: migrate
	$(DEV) $(PY) manage.py seed_demo
	$(DEV) $(PY) manage.py seed_demo_kb

run: seed
	@bash scripts/run.sh

test: services browser pgbouncer
	$(PY) -m pytest -n $(WORKERS) --cov --cov-report=term $(PYTEST_ARGS)

# The isolation and row-level-security tests with the runtime connection through a fresh
# PgBouncer in transaction mode (one server connection per test database); the owner
# connection that creates the test databases stays direct (docs/operations.md).
POOLED_TESTS ?= tests/test_isolation.py tests/tenants/test_rls_raw.py \
	tests/tenants/test_rls_raw_owner.py tests/tenants/test_rls_catalog.py \
	tests/tenants/test_context.py \
	tests/tenants/test_context_edges.py tests/tickets/search/test_isolation_and_index.py
test-pooled: services pgbouncer
	$(PY) -m tests.pgbouncer --pool-size 1 -- $(PY) -m pytest -n $(WORKERS) $(POOLED_TESTS) $(PYTEST_ARGS)

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
