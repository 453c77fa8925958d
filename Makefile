# Policy Benchmark Tracker (政策標竿追蹤系統) — developer commands.
#
#   make run    install, migrate, seed and serve on http://127.0.0.1:5000 (SQLite)
#   make test   install test dependencies and run the whole suite
#
# Needs only Python 3.11+ (Debian/Ubuntu). Browser tests and PDF/office checks
# need system packages: sudo make deps-system.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:

VENV   ?= .venv
PY     := $(VENV)/bin/python
FLASK  := $(PY) -m flask --app tracker
HOST   ?= 127.0.0.1
PORT   ?= 5000
# `make run` adds demo accounts (new passwords printed on every run) so there is
# someone to sign in as; `make run RUN_SEED_FLAGS=` loads the report only.
RUN_SEED_FLAGS ?= --demo

# Test switches (all overridable: make test PYTEST_WORKERS=0 PYTEST_ARGS="-x -k seed").
TEST_POSTGRES_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/postgres
CHROMIUM          ?= /usr/bin/chromium
PYTEST_WORKERS    ?= 2
PYTEST_ARGS       ?=
REQUIRE_POSTGRES  ?= 0
REQUIRE_BROWSER   ?= 0
export REQUIRE_POSTGRES REQUIRE_BROWSER REQUIRE_OFFICE REQUIRE_NGINX CHROMIUM

PYTEST := $(PY) -m pytest -p no:cacheprovider -n $(PYTEST_WORKERS) -rfEs $(PYTEST_ARGS)

# Stamps record which requirements file was installed, so a second run skips pip.
RUN_STAMP := $(VENV)/.installed-requirements
DEV_STAMP := $(VENV)/.installed-requirements-dev

.PHONY: help run serve install install-dev translations i18n-extract i18n-update i18n-check i18n-fold migrate seed demo test test-sqlite \
        test-browser test-postgres deps-system bench bench-pages lock screenshots lint clean

help:
	@echo "make run          install, migrate, seed (+ demo accounts) and serve on http://$(HOST):$(PORT) (SQLite)"
	@echo "make test         install test deps, run the suite on SQLite (+ browser) and PostgreSQL if reachable"
	@echo "make deps-system  (root) apt-get install Chromium, CJK fonts, Cairo, poppler, LibreOffice"
	@echo "make migrate      flask db upgrade"
	@echo "make seed         load the report seed (idempotent)"
	@echo "make demo         seed plus demo accounts and update history (refused in production)"
	@echo "make bench        run the benchmarks in bench/ (BENCH_ARGS=... passed to each)"
	@echo "make bench-pages  every everyday page under gunicorn + wrk at 10,000 items, SQLite and PostgreSQL (docs/performance.md)"
	@echo "make screenshots  retake the README screenshots (needs Chromium)"
	@echo "make i18n-update  extract msgids into translations/messages.pot and update the zh-TW catalog"
	@echo "make i18n-fold F=translations/src/x.po  fold a fragment's translations into the catalog"
	@echo "make lint         ruff check and ruff format --check (also run by make test)"
	@echo "make clean        remove the virtualenv, caches and compiled catalogs"

# --- installation ----------------------------------------------------------

$(PY):
	@scripts/bootstrap_venv.sh $(VENV)

# requirements*.txt are lock files with hashes (pip checks every download against them);
# the app itself is installed editable on top, without touching the pins.
$(RUN_STAMP): requirements.txt pyproject.toml | $(PY)
	$(PY) -m pip install --disable-pip-version-check -q -r requirements.txt
	$(PY) -m pip install --disable-pip-version-check -q --no-deps -e .
	@touch $@

$(DEV_STAMP): requirements.txt requirements-dev.txt pyproject.toml | $(PY)
	$(PY) -m pip install --disable-pip-version-check -q -r requirements-dev.txt
	$(PY) -m pip install --disable-pip-version-check -q --no-deps -e .
	@touch $@ $(RUN_STAMP)

install: $(RUN_STAMP)

install-dev: $(DEV_STAMP)

# --- translations (one gettext catalog, Babel's own commands; docs/translations.md) --
#
# Every user-visible string is an English msgid; translations/messages.pot lists them
# (committed), translations/zh_Hant_TW/LC_MESSAGES/messages.po translates them (committed),
# messages.mo is compiled here and not committed. zh_Hant_TW is the name Babel gives the
# locale zh_TW (Traditional Chinese, Taiwan), so it is the directory Flask-Babel reads.
PYBABEL      := $(VENV)/bin/pybabel
CATALOG_DIR  := translations
POT          := $(CATALOG_DIR)/messages.pot
CATALOG      := $(CATALOG_DIR)/zh_Hant_TW/LC_MESSAGES/messages.po
I18N_KEYWORDS := -k _l -k lazy_gettext -k lazy_ngettext:1,2 -k lazy_pgettext:1c,2

translations: install
	$(PYBABEL) compile --statistics -d $(CATALOG_DIR)

# Code and templates -> messages.pot (then `make i18n-update`).
i18n-extract: install-dev
	$(PYBABEL) extract -F babel.cfg $(I18N_KEYWORDS) -c TRANSLATORS: --sort-by-file --width 100 \
	    --ignore-dirs ".* __pycache__ node_modules static" \
	    --project "Policy Benchmark Tracker" --version $$($(PY) -c 'import tracker; print(tracker.__version__)') \
	    -o $(POT) .

# messages.pot -> the catalog: new msgids appear untranslated, removed ones become obsolete (#~).
i18n-update: i18n-extract
	$(PYBABEL) update -i $(POT) -d $(CATALOG_DIR) --width 100 --no-fuzzy-matching

# Fails while a msgid of messages.pot has no translation (or a translation breaks a placeholder).
i18n-check: install-dev
	$(PY) -m pytest -p no:cacheprovider -n 0 -q tests/test_translations_complete.py

# Fold a fragment's translations into the catalog: make i18n-fold F=translations/src/pages.po
# (its msgids are added or their translations replaced; nothing else in the catalog changes;
# the fragment itself is left for `git rm`). Then `make i18n-update i18n-check`.
i18n-fold: install-dev
	@test -n "$(F)" || { echo "usage: make i18n-fold F=translations/src/pages.po" >&2; exit 1; }
	$(PY) scripts/i18n_fold.py "$(F)" $(CATALOG)

# --- running ---------------------------------------------------------------

migrate: install
	$(FLASK) db upgrade

seed: migrate
	$(FLASK) seed

demo: migrate
	$(FLASK) seed --demo

run: install translations migrate
	$(FLASK) seed $(RUN_SEED_FLAGS)
	@if [ -n "$(RUN_SEED_FLAGS)" ]; then echo "Sign in with one of the demo accounts above."; \
	else echo "Create an account: $(FLASK) create-user EMAIL --role admin"; fi
	@$(MAKE) --no-print-directory serve

serve:
	@echo "Serving on http://$(HOST):$(PORT)  (Ctrl-C to stop)"
	$(FLASK) run --host $(HOST) --port $(PORT)

# --- tests -----------------------------------------------------------------

# One pass per database; the browser journey runs once (on SQLite). The
# REQUIRE_* switches turn a missing server or browser into a failure.
test: install-dev translations lint test-sqlite test-browser test-postgres

test-sqlite: install-dev translations
	@echo "=== Test pass 1/3: SQLite (unit and request-level) ==="
	$(PYTEST) tests --ignore=tests/e2e

test-browser: install-dev translations
	@if [ -x "$(CHROMIUM)" ] || [ "$(REQUIRE_BROWSER)" = "1" ]; then \
	    echo "=== Test pass 2/3: browser (Chromium $(CHROMIUM), SQLite) ==="; \
	    $(PYTEST) tests/e2e; \
	else \
	    echo "=== Test pass 2/3: browser SKIPPED: $(CHROMIUM) not found (sudo make deps-system) ==="; \
	fi

test-postgres: install-dev translations
	@if $(PY) scripts/pg_reachable.py "$(TEST_POSTGRES_URL)"; then \
	    echo "=== Test pass 3/3: PostgreSQL ($(TEST_POSTGRES_URL)) ==="; \
	    TEST_DATABASE_URL="$(TEST_POSTGRES_URL)" $(PYTEST) tests --ignore=tests/e2e; \
	elif [ "$(REQUIRE_POSTGRES)" = "1" ]; then \
	    echo "=== Test pass 3/3: PostgreSQL REQUIRED but unreachable at $(TEST_POSTGRES_URL) ===" >&2; \
	    exit 1; \
	else \
	    echo "=== Test pass 3/3: PostgreSQL SKIPPED: no server at $(TEST_POSTGRES_URL) ==="; \
	fi

# --- other -----------------------------------------------------------------

deps-system:
	scripts/install_system_deps.sh

# Every bench/*_bench.py in turn (each prints a table and writes bench/results/*.json).
bench: install-dev translations
	@set -e; found=0; for script in bench/*_bench.py; do \
	    [ -f "$$script" ] || continue; [ "$$script" != bench/pages_bench.py ] || continue; found=1; \
	    echo "=== $$script ==="; $(PY) "$$script" $(BENCH_ARGS); \
	done; \
	if [ "$$found" = 0 ]; then echo "no bench/*_bench.py found" >&2; exit 1; fi

# The page benchmark of docs/performance.md (needs wrk: sudo make deps-system).
# BENCH_PAGES_ARGS="--items 1000 --duration 5" for a quicker run.
BENCH_PAGES_ARGS ?= --items 10000 --updates-per-item 20 --reports 200 --departments 40 --databases both --reuse
bench-pages: install-dev translations
	@command -v wrk >/dev/null || { echo "wrk not found: sudo make deps-system" >&2; exit 1; }
	$(PY) bench/pages_bench.py $(BENCH_PAGES_ARGS)

# Recompile the lock files from pyproject.toml (keeps current pins unless a range excludes them).
LOCK_FLAGS := --generate-hashes --strip-extras --allow-unsafe --no-emit-index-url --no-emit-find-links --no-emit-trusted-host
lock: install-dev
	$(PY) -m pip install -q pip-tools
	$(PY) -m piptools compile -q $(LOCK_FLAGS) -o requirements.txt pyproject.toml
	$(PY) -m piptools compile -q $(LOCK_FLAGS) --extra test -o requirements-dev.txt pyproject.toml

screenshots: install-dev translations
	$(PY) scripts/screenshots.py docs/screenshots

# ruff (pinned in requirements-dev.txt) lints and checks formatting; part of `make test` and CI.
lint: install-dev
	@echo "=== Lint: ruff check, ruff format --check ==="
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

clean:
	rm -rf $(VENV) .pytest_cache build out
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
	find translations -name '*.mo' -delete
