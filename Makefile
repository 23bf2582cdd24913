# lmickg: the two commands of the quick start are `make run` and `make test`.
# Everything a fresh machine needs is installed from here: Debian packages (Chromium for the
# browser tests), the Python virtualenv, and the npm assets the web app serves.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
NPM_STAMP := node_modules/.installed
# Compiled translations (.mo) are build products: made from the .po files by `make setup`.
MO_FILES := $(patsubst %.po,%.mo,$(wildcard webapp/translations/*/LC_MESSAGES/*.po webapp/*/translations/*/LC_MESSAGES/*.po))
HOST   ?= 127.0.0.1
PORT   ?= 8000
WORKERS ?= 2
PYTEST_ARGS ?=

.PHONY: setup system-deps messages build run serve lint typecheck pytest test bench clean

setup: $(STAMP) $(NPM_STAMP) $(MO_FILES)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --upgrade pip
	$(BIN)/pip install -e '.[dev]'
	touch $@

$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

%.mo: %.po $(STAMP)
	$(BIN)/pybabel compile --use-fuzzy -i $< -o $@

# After changing the site's UI strings: refresh its template and French catalog, then translate.
messages: $(STAMP)
	$(BIN)/pybabel -q extract -F webapp/translations/babel.cfg -k _l -k lazy_gettext --no-location --sort-output \
	  --project lmickg -o webapp/translations/messages.pot webapp/i18n.py webapp/site webapp/templates/base.html webapp/templates/site
	$(BIN)/pybabel -q update -i webapp/translations/messages.pot -d webapp/translations \
	  --no-fuzzy-matching --width 100

# Debian's Chromium drives the browser tests (Playwright's own browser download is not used).
system-deps:
	@if ! command -v chromium >/dev/null 2>&1; then \
	  if [ "$$(id -u)" -ne 0 ]; then echo "chromium is missing: run 'sudo make system-deps'"; exit 1; fi; \
	  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium fonts-dejavu-core; \
	fi

build: setup
	$(BIN)/lmickg build

run: build
	$(BIN)/lmickg serve --host $(HOST) --port $(PORT) --workers $(WORKERS)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: setup
	$(BIN)/mypy

pytest: setup system-deps
	$(BIN)/pytest $(PYTEST_ARGS)

test: setup system-deps lint typecheck pytest

bench: setup
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) node_modules var .pytest_cache .mypy_cache .ruff_cache
