# ChirpWorks: `make run` starts everything on the embedded defaults; `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install system-deps run test lint lint-imports format migrate demo schema clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

# Debian packages some tests use: headless Chromium (admin dashboard), espeak-ng and sox (speech),
# faketime (CI's shifted-clock pass), curl (the README walk-through test).
SYSTEM_TOOLS := chromium espeak-ng sox faketime curl
system-deps:
	@missing=""; for tool in $(SYSTEM_TOOLS); do command -v $$tool >/dev/null || missing="$$missing $$tool"; done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

migrate: install
	mkdir -p var
	$(BIN)/python manage.py migrate --no-input

demo: migrate
	$(BIN)/python manage.py load_demo

# Ctrl-C is how `make run` is meant to stop: honcho then exits 130, which is not an error here.
run: demo
	@echo "API and admin on http://127.0.0.1:8000 (docs: /api/docs/, admin: /admin/). Ctrl-C stops all."
	@trap '' INT; $(BIN)/honcho start -f Procfile.dev; status=$$?; \
	  if [ $$status -eq 130 ]; then echo "Stopped."; else exit $$status; fi

test: install
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Each app imports only the apps below it: the layers contract in pyproject.toml (issue 12).
lint-imports: install
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

schema: install
	$(BIN)/python manage.py spectacular --validate --fail-on-warn --file var/schema.yml

clean:
	rm -rf $(VENV) var

# App-view benchmark on PostgreSQL (issue 5). BENCH_DB is dropped and re-created by bench-views-data.
BENCH_DB ?= bench5
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/$(BENCH_DB)
.PHONY: bench-views-data bench-views bench-insights
bench-views-data: install
	dropdb -h 127.0.0.1 -U postgres --if-exists $(BENCH_DB)
	createdb -h 127.0.0.1 -U postgres $(BENCH_DB)
	DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python manage.py migrate --no-input -v0
	DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python bench/generate_views_data.py
	# COPY bypasses the writers' hooks: the daily rollups are built once, as after a deploy.
	DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python manage.py rollups_rebuild --days 400 --no-progress

bench-views: install
	DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python bench/views_bench.py

# Buyer-book benchmark on PostgreSQL (issue 15): merge, timeline, tag-filtered list.
BENCH_BUYERS_DB ?= bench_buyers
.PHONY: bench-buyers
bench-buyers: install
	dropdb -h 127.0.0.1 -U postgres --if-exists $(BENCH_BUYERS_DB)
	createdb -h 127.0.0.1 -U postgres $(BENCH_BUYERS_DB)
	DATABASE_URL=postgres://postgres@127.0.0.1:5432/$(BENCH_BUYERS_DB) $(BIN)/python bench/buyers_bench.py

# Reconciliation at 100,000 calls a side and the 5,000-item call-log sync (issue 18), on
# PostgreSQL: BENCH_RECONCILE_DB's call, meeting and buyer tables are emptied between runs.
BENCH_RECONCILE_DB ?= reconcile
.PHONY: bench-reconcile
bench-reconcile: install
	createdb -h 127.0.0.1 -U postgres $(BENCH_RECONCILE_DB) 2>/dev/null || true
	$(BIN)/python bench/reconcile_bench.py --database-url postgres://postgres@127.0.0.1:5432/$(BENCH_RECONCILE_DB)

.PHONY: bench-insights
bench-insights: install
	DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python manage.py migrate --no-input -v0
	DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python bench/insights_bench.py
