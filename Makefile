# Everything from a fresh clone: `make run` serves the demo, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
BUNDLE ?= messaging/fixtures/demo-bundle.json
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install assets migrate demo-data lint check security clean bench serve load drills scanner

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[test]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

static/build/.built: node_modules/.installed $(wildcard static/src/*)
	npm run --silent build
	touch $@

install: $(VENV)/.installed

# The attachment scanner: Debian's clamd with the project's small signature database (it
# detects the EICAR test file), in the background, its socket in .scanner/ (idempotent).
scanner:
	bash .ci/ensure-scanner
	bash scanner/start

assets: static/build/.built

migrate: install
	$(PY) manage.py migrate --noinput

# The demo environment: the demo bundle, both flags on for everyone.
demo-data: migrate
	$(PY) manage.py load_bundle $(BUNDLE)
	$(PY) manage.py rollout set E --flag mhv_secure_messaging_curated_list_flow --actor make-demo-data --reason "demo data" > /dev/null
	$(PY) manage.py rollout set E --flag mhv_secure_messaging_recent_recipients --actor make-demo-data --reason "demo data" > /dev/null
	$(PY) manage.py simulate_traffic --veterans 30 --days 14

run: install assets scanner demo-data
	@echo "Serving on http://$(HOST):$(PORT)/ — sign in as a demo veteran at /sign-in/demo/"
	@# The metric rollup job (every 60 s) runs beside the server and stops with it.
	$(PY) manage.py rollup_metrics --every 60 & job=$$!; trap 'kill $$job 2>/dev/null' EXIT INT TERM; \
	$(PY) manage.py runserver $(HOST):$(PORT)

test: install assets scanner
	bash .ci/ensure-chromium
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# Static security check of the product code (bandit): fails on medium severity and above; an
# accepted finding carries `# nosec BXXX` with its reason on the line above.
security: install
	$(VENV)/bin/bandit -q -r sm_portal messaging devtools --severity-level medium

check: install
	$(PY) manage.py makemigrations --check --dry-run
	DJANGO_PROFILE=production SECRET_KEY=check-only-$$(date +%s)-not-a-real-secret-key-0123456789abcdef ALLOWED_HOSTS=example.org $(PY) manage.py check --deploy --fail-level WARNING

# Production-like serving: gunicorn (gunicorn.conf.py), the production profile, collected
# and compressed static files. Needs SECRET_KEY and ALLOWED_HOSTS; DATABASE_URL/REDIS_URL
# point at the real services. SECURE_SSL_REDIRECT=false when there is no TLS proxy in front.
serve: install assets
	DJANGO_PROFILE=production $(PY) manage.py collectstatic --noinput -v0
	DJANGO_PROFILE=production $(PY) manage.py migrate --noinput
	DJANGO_PROFILE=production $(PY) manage.py rollup_metrics --every 60 & job=$$!; trap 'kill $$job 2>/dev/null' EXIT INT TERM; \
	DJANGO_PROFILE=production $(VENV)/bin/gunicorn -c gunicorn.conf.py

# Ratios and timings from one run (never asserted in tests). First over HTTP (gunicorn,
# production profile, its own PostgreSQL database sm_bench and Redis db 11, both dropped
# after; BENCH_HTTP_ARGS e.g. --rounds 60), then in-process figures as a second section.
# BENCH_EVENTS: the dashboard's sizes (PostgreSQL, database sm_bench; add 10000000 for the
# 10M figure, a few minutes more).
BENCH_EVENTS ?= 10000,1000000
bench: install assets
	$(PY) bench/pages_http.py $(BENCH_HTTP_ARGS)
	@echo "== in-process (Django test client, SQLite): second section =="
	$(PY) bench/finder.py
	DJANGO_SETTINGS_MODULE=sm_portal.settings LOG_LEVEL=WARNING $(PY) bench/dashboard.py --events $(BENCH_EVENTS)
	$(PY) bench/pages.py

# Load test and fault drills (bench/load/, locust from the `load` extra; never part of
# `make test`). Each makes and drops its own PostgreSQL database (sm_load, sm_drill) and
# uses its own Redis db (5, 6); `drills` stops and restarts PostgreSQL and Redis.
$(VENV)/.load-installed: $(VENV)/.installed pyproject.toml
	$(VENV)/bin/pip install --quiet -e '.[load]'
	touch $@

load: install assets $(VENV)/.load-installed
	$(PY) bench/load/run.py $(LOAD_ARGS)

drills: install assets $(VENV)/.load-installed
	$(PY) bench/load/drills.py $(DRILLS_ARGS)

clean:
	rm -rf static/build staticfiles node_modules $(VENV) db.sqlite3 media
