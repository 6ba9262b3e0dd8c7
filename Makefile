# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY      = $(VENV)/bin/python
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: install run test test-external lint typecheck bench clean openapi

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "NIJA needs Python 3.11+"'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

install: $(VENV)/.installed

run: install mobile-build  ## set up and run the platform on embedded defaults (the app at /app)
	$(VENV)/bin/nija run --host $(HOST) --port $(PORT)

test: install test-mobile mobile-build  ## set up and run the whole test suite (embedded PostgreSQL unless NIJA_TEST_DATABASE_URL is set)
	$(PY) -m pytest

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: install
	$(VENV)/bin/mypy

openapi: install  ## refresh docs/openapi.json (and the typed clients of the app and the panel)
	$(VENV)/bin/nija openapi --output docs/openapi.json
	$(MAKE) mobile-schema

bench: install
	$(PY) bench/orders.py

clean:  ## remove the venv, caches and the embedded database (refused while its server runs)
	@pid=$$(head -n1 .nija/pg/postmaster.pid 2>/dev/null); \
	if [ -n "$$pid" ] && kill -0 "$$pid" 2>/dev/null; then \
		echo "make clean: the embedded PostgreSQL (pid $$pid) is running on .nija; stop 'nija run' first" >&2; \
		exit 1; \
	fi
	rm -rf $(VENV) .nija .pytest_cache .mypy_cache .ruff_cache

# ---- the traders' app (mobile/: Expo, served for the web at /app) --------------------------
NPM ?= npm
MOBILE_SOURCES := $(shell find mobile/app mobile/src -type f 2>/dev/null) \
	mobile/app.json mobile/package.json mobile/tsconfig.json

.PHONY: mobile-build mobile-schema test-mobile

mobile/node_modules: mobile/package.json mobile/package-lock.json
	cd mobile && $(NPM) ci --no-audit --no-fund
	@touch $@

# Rebuilt only when a source is newer than the export.
mobile/dist/index.html: mobile/node_modules $(MOBILE_SOURCES)
	cd mobile && CI=1 npx expo export --platform web --output-dir dist
	@touch $@

mobile-build: mobile/dist/index.html  ## the app's web export (mobile/dist), served at /app

mobile-schema: mobile/node_modules  ## the app's typed client from docs/openapi.json
	cd mobile && $(NPM) run --silent generate

test-mobile: mobile/node_modules  ## the app: typed client matches docs/openapi.json, tsc strict, Jest
	cd mobile && $(NPM) run --silent check-schema
	cd mobile && npx tsc --noEmit
	cd mobile && npx jest --ci
