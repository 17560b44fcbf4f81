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

# Every figure issue 16's goals ask for (send, fairness, queries, pages, memory; then the day,
# limiter and import benches) into bench/RESULTS.md, its goals table generated from the run
# (bench/suite.py). SQLite by default (data/bench/); PostgreSQL:
#   make bench BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench_queries
# (seeded schemas bench_<size> reused; `<name>_fair` dropped and created for the fairness runs).
# BENCH_PARTS=queries,pages runs some parts only; the goals table keeps the others' last figures.
BENCH_SIZES ?= 100000,1000000
BENCH_SUITE = $(PY) -m bench.suite $(if $(BENCH_DATABASE_URL),--database-url "$(BENCH_DATABASE_URL)") \
	$(if $(BENCH_PARTS),--parts $(BENCH_PARTS))
.PHONY: bench-quick
bench: install
	$(BENCH_SUITE) --sizes $(BENCH_SIZES)

# The same parts at small sizes (10,000 unless BENCH_SIZES is given) and short runs, into
# bench/RESULTS-quick.md (RESULTS.md untouched).
bench-quick: install
	$(BENCH_SUITE) --quick --sizes $(if $(filter command line environment,$(origin BENCH_SIZES)),$(BENCH_SIZES),10000)

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
