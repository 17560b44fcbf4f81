# Shipbridge. `make run` and `make test` set everything up on a fresh machine.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt | sha1sum | cut -c1-12)

.PHONY: install run test test-fast bench lint format chromium clean

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c constraints.txt -e ".[dev]"
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

run: install
	$(PY) -m services.cli run

# Debian's chromium drives the end-to-end tests (Playwright cannot download browsers here).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "installing Debian's chromium for the browser tests"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) \
		|| sudo sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium'; }

test: install chromium
	$(PY) -m pytest -q -n 2 --dist loadgroup

test-fast: install
	$(PY) -m pytest -q -n 2 --dist loadgroup -m "not e2e"

# Pure functions only, no database, no sandbox: seconds, for every save.
.PHONY: test-unit
test-unit: install
	$(PY) -m pytest -q tests/unit

# SQLite by default; PostgreSQL: make bench BENCH_DATABASE_URL=postgresql://… (a fresh schema
# in that database). More: BENCH_ARGS="--with fairness,queries".
bench: install
	$(PY) -m bench $(if $(BENCH_DATABASE_URL),--database-url "$(BENCH_DATABASE_URL)") $(BENCH_ARGS)
	$(PY) -m bench.import_bench

# The queue's fault scenarios (issue 13) at 1,000 shipments each; writes bench/CHAOS.md.
# PostgreSQL: make chaos CHAOS_ARGS="--database-url postgresql://…"
.PHONY: chaos
chaos: install
	$(PY) -m bench.chaos $(CHAOS_ARGS)

# What CI checks before any test: lint, formatting, the layers' import contracts, types.
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf data/*.sqlite3* tests/e2e/artifacts
