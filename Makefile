# Two commands: `make run` and `make test`. Everything else is set up on the way.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

# Django 6 needs Python >= 3.12: try the usual names, then pyenv's versions.
PYTHON ?= $(shell for p in python3.13 python3.12 python3 \
	$$(ls -d $$(pyenv root 2>/dev/null)/versions/3.1[2-9]*/bin/python3 2>/dev/null | sort -r); do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' \
	2>/dev/null && { command -v $$p; break; }; done)

.PHONY: install run test test-fast bench lint format chromium worker clean

$(STAMP): pyproject.toml
	@if [ -z "$(PYTHON)" ]; then \
		echo "error: annotator needs Python 3.12 or newer and none was found." >&2; \
		echo "       Install one (e.g. 'pyenv install 3.12') or run 'make PYTHON=/path/to/python3.12'." >&2; \
		exit 1; fi
	@echo "Using $(PYTHON) ($$($(PYTHON) --version))"
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@mkdir -p var
	@touch $(STAMP)

install: $(STAMP)

# Browser tests drive Debian's Chromium; install it when missing and we may.
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
		else echo "warning: /usr/bin/chromium missing; browser tests will be skipped (apt-get install chromium)" >&2; fi; \
	fi

# The worker runs beside the web server and stops with it.
run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py demo --url http://$(HOST):$(PORT)/
	@$(VENV)/bin/celery -A annotator.celery worker --pool=solo --loglevel=WARNING & \
	worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(PY) manage.py runserver $(HOST):$(PORT)

worker: install
	$(VENV)/bin/celery -A annotator.celery worker --pool=solo --loglevel=INFO

test: install chromium
	$(VENV)/bin/pytest

test-fast: install
	$(VENV)/bin/pytest -m "not browser" -x

bench: install
	$(PY) bench/run.py

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf $(VENV) var/*.sqlite3

# Refresh the vendored front-end files from npm (they are committed; running the app needs no npm).
vendor:
	npm install --no-audit --no-fund
	cp node_modules/htmx.org/dist/htmx.min.js static/annotator/vendor/htmx-$$(node -p 'require("htmx.org/package.json").version').min.js
	# axe-core: only the browser tests load it (accessibility checks); no page links it.
	cp node_modules/axe-core/axe.min.js static/annotator/vendor/axe-$$(node -p 'require("axe-core/package.json").version').min.js
