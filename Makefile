# Two commands for a newcomer: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := wsgi:app

.PHONY: run test test-postgres lint format bench clean-venv help

help:
	@echo "make run    – install, migrate, load the demo when empty, serve on http://127.0.0.1:5000"
	@echo "make test   – install the dev requirements and run the whole suite"
	@echo "make bench  – run the benchmarks and write docs/benchmarks.md"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

# A development checkout's settings for the `flask` command (python-dotenv reads .env from the current folder):
# after `make run`, `.venv/bin/flask users token EMAIL` works in a new shell. Git-ignored; never in production.
.env:
	@printf '%s\n' '# Written by `make run` for this development checkout (git-ignored). The flask command reads it.' \
	  'APP_ENV=development' 'FLASK_APP=wsgi:app' > $@
	@echo "Wrote .env (APP_ENV=development) for the flask command in this checkout."

run: $(VENV)/.installed .env
	APP_ENV=$${APP_ENV:-development} $(BIN)/flask db upgrade
	APP_ENV=$${APP_ENV:-development} $(BIN)/flask demo seed --if-empty
	@echo ""
	@echo "Serving on http://$${BIND:-127.0.0.1:5000}  (Ctrl+C to stop)"
	@echo "  Convenor login: convenor@example.org / demo-pledge-2026"
	@echo "  Member login:   member@example.org / demo-pledge-2026"
	@echo ""
	APP_ENV=$${APP_ENV:-development} $(BIN)/gunicorn --config gunicorn.conf.py --workers 1 wsgi:app

test: $(VENV)/.installed-dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-postgres: $(VENV)/.installed-dev
	TEST_DATABASE_URL=$${TEST_DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test} $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(VENV)/.installed-dev
	$(BIN)/python -m bench.run

clean-venv:
	rm -rf $(VENV)
