# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY      = $(VENV)/bin/python
HOST   ?= 127.0.0.1
PORT   ?= 8000
# pytest workers for `make test`, each with its own database (and embedded server); files stay whole.
TEST_WORKERS ?= 2

.PHONY: install run test test-external lint typecheck bench clean openapi ci-tools wheel

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "NIJA needs Python 3.11+"'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

install: $(VENV)/.installed

run: install admin-build mobile-build  ## set up and run the platform on embedded defaults (admin panel at /admin, traders' app at /app)
	$(VENV)/bin/nija run --host $(HOST) --port $(PORT)

test: install admin-build mobile-build browser-deps ci-tools  ## set up and run every test: the panel's, the app's, then Python's with the browser and ops tests (embedded PostgreSQL unless NIJA_TEST_DATABASE_URL is set)
	$(MAKE) test-admin
	$(MAKE) test-mobile
	NIJA_REQUIRE_BROWSER=1 NIJA_REQUIRE_TOOLS=1 $(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: install
	$(VENV)/bin/mypy

openapi: install admin/node_modules mobile/node_modules  ## refresh docs/openapi.json (and the typed clients of the app and the panel)
	$(VENV)/bin/nija openapi --output docs/openapi.json
	cd admin && npm run --silent generate
	$(MAKE) mobile-schema

# The ops tests' system tools: promtool (Debian's prometheus package) checks the alerting rules.
# hadolint and python-hcl2 come with the venv's dev extras. `make test` requires the tools.
ci-tools:
	@if command -v promtool >/dev/null 2>&1; then \
		echo "promtool: $$(command -v promtool)"; \
	else \
		SUDO=$$( [ "$$(id -u)" -eq 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends prometheus; \
	fi

wheel: install  ## build the platform's wheel into dist/ (with admin/dist and mobile/dist when built)
	$(PY) -m pip wheel --no-deps --no-build-isolation --wheel-dir dist .

bench: install
	$(PY) bench/orders.py

clean:  ## remove the venv, caches and the embedded database (refused while its server runs)
	@pid=$$(head -n1 .nija/pg/postmaster.pid 2>/dev/null); \
	if [ -n "$$pid" ] && kill -0 "$$pid" 2>/dev/null; then \
		echo "make clean: the embedded PostgreSQL (pid $$pid) is running on .nija; stop 'nija run' first" >&2; \
		exit 1; \
	fi
	rm -rf $(VENV) .nija .pytest_cache .mypy_cache .ruff_cache

# ---- admin panel (admin/: React + TypeScript, built with Vite, served at /admin) ----------
.PHONY: admin-build test-admin browser-deps admin-screenshots
ADMIN_SOURCES := $(shell find admin/src admin/public -type f 2>/dev/null) \
	admin/index.html admin/vite.config.ts admin/tsconfig.json admin/package.json

admin/node_modules: admin/package.json admin/package-lock.json  ## the panel's pinned packages
	@command -v npm >/dev/null || { echo "the admin panel needs Node.js 20+ and npm" >&2; exit 1; }
	cd admin && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

admin/dist/index.html: admin/node_modules $(ADMIN_SOURCES)
	cd admin && npx vite build --logLevel warn

admin-build: admin/dist/index.html  ## build the panel into admin/dist (only when its sources changed)

test-admin: admin/node_modules  ## the panel's type check and tests (Vitest + Testing Library)
	cd admin && npx tsc --noEmit && npx vitest run

admin-screenshots: install admin-build browser-deps  ## refresh admin/docs/screenshots (the browser test's)
	NIJA_UPDATE_SCREENSHOTS=1 NIJA_REQUIRE_BROWSER=1 $(PY) -m pytest -q tests/browser

browser-deps:  ## Debian's Chromium for the browser tests (tests/browser), installed when missing
	@if [ ! -x /usr/bin/chromium ]; then \
		sudo=""; [ "$$(id -u)" -eq 0 ] || sudo="sudo"; \
		$$sudo apt-get update -qq && $$sudo apt-get install -y -qq chromium; \
	fi

# ---- the traders' app (mobile/: Expo, served for the web at /app) --------------------------
NPM ?= npm
MOBILE_SOURCES := $(shell find mobile/app mobile/src -type f 2>/dev/null) \
	mobile/app.json mobile/package.json mobile/tsconfig.json

.PHONY: mobile-build mobile-schema test-mobile

mobile/node_modules: mobile/package.json mobile/package-lock.json  ## the app's pinned packages
	@command -v npm >/dev/null || { echo "the traders' app needs Node.js 20+ and npm" >&2; exit 1; }
	cd mobile && $(NPM) ci --no-audit --no-fund --loglevel=error
	@touch $@

# Rebuilt only when a source is newer than the export.
mobile/dist/index.html: mobile/node_modules $(MOBILE_SOURCES) mobile/scripts/web-layout.mjs
	cd mobile && CI=1 $(NPM) run --silent build:web
	@touch $@

mobile-build: mobile/dist/index.html  ## the app's web export (mobile/dist), served at /app

mobile-schema: mobile/node_modules  ## the app's typed client from docs/openapi.json
	cd mobile && $(NPM) run --silent generate

test-mobile: mobile/node_modules  ## the app: typed client matches docs/openapi.json, tsc strict, Jest
	cd mobile && $(NPM) run --silent check-schema
	cd mobile && npx tsc --noEmit
	cd mobile && npx jest --ci
