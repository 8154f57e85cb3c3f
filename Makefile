# ClinicFlow — the two commands a newcomer needs are `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
HOST   ?= 127.0.0.1
PORT   ?= 8000
PYTEST_ARGS ?=

.PHONY: help install assets migrate demo demo-reset run serve test test-fast lint format bench bench-reminders worker beat clean

help:
	@echo "make run     - install everything, migrate, load the demo and serve http://$(HOST):$(PORT)"
	@echo "make test    - the whole test suite (PostgreSQL when DATABASE_URL points at one)"
	@echo "make lint    - ruff check, ruff format --check, mypy, migrations up to date, OpenAPI schema valid"
	@echo "make bench   - benchmarks, printed as JSON"
	@echo "make worker / make beat - Celery worker and scheduler (need REDIS_URL)"

# ---------------------------------------------------------------- installation
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python requirements.lock pyproject.toml
	$(BIN)/python -m pip install --quiet -r requirements.lock
	touch $@

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

static/vendor/.copied: node_modules/.package-lock.json scripts/vendor_assets.py
	$(BIN)/python scripts/vendor_assets.py
	touch $@

install: $(VENV)/.installed static/vendor/.copied

assets: static/vendor/.copied

migrate: install
	$(MANAGE) migrate --no-input -v 0

demo: migrate
	$(MANAGE) seed_demo --quiet-logins

demo-reset: migrate
	$(MANAGE) seed_demo --reset --base-url http://$(HOST):$(PORT)

# ---------------------------------------------------------------- running
# One seed_demo: it loads the demo (or finds it loaded) and prints the sign-ins and the board
# links with the address served here (make run HOST=0.0.0.0 PORT=8080).
run: migrate
	@$(MANAGE) seed_demo --base-url http://$(HOST):$(PORT)
	@echo ""
	@echo "ClinicFlow is starting on http://$(HOST):$(PORT)/  (Ctrl-C to stop)"
	@$(BIN)/uvicorn config.asgi:application --host $(HOST) --port $(PORT) --log-level warning

serve: install
	$(BIN)/uvicorn config.asgi:application --host $(HOST) --port $(PORT) --workers 2 --log-level warning

worker: install
	$(BIN)/celery -A config worker --loglevel INFO

beat: install
	$(BIN)/celery -A config beat --loglevel INFO --schedule var/celerybeat-schedule

# ---------------------------------------------------------------- quality
test: install
	$(BIN)/pytest $(PYTEST_ARGS)

test-fast: install
	$(BIN)/pytest -m "not e2e" -x -q $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy clinicflow
	$(MANAGE) makemigrations --check --dry-run
	$(MANAGE) spectacular --validate --fail-on-warn --file /dev/null

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install
	$(BIN)/python bench/run.py

# The reminder sweep and the outbox's delivery (needs DATABASE_URL, REDIS_URL and a loaded
# bench database: see bench/README.md).
bench-reminders: install
	$(BIN)/python bench/reminders.py

clean:
	rm -rf $(VENV) node_modules static/vendor var .pytest_cache .mypy_cache .ruff_cache
