# Hài Lòng — chores. `make run` shows the product, `make test` runs every test.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1:8000

.PHONY: run test install lint format messages demo worker constraints clean

$(BIN)/python:
	$(PY) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml constraints.txt
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# The local settings `make run` and the README's commands read: DEBUG on and a random
# secret key. Written once; an existing .env is never overwritten.
.env: | $(BIN)/python
	@printf '# Local development settings (make run); never used in production.\nDEBUG=1\nSECRET_KEY=%s\n' \
		"$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))')" > .env
	@echo "wrote .env (DEBUG=1 and a new SECRET_KEY)"

## run: set up everything, load the demo (surveys and the reform index), run the analysis, serve on http://$(HOST)
run: install .env
	@scripts/ensure-system-packages.sh --runtime
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_demo
	$(BIN)/python manage.py load_reform_demo
	@echo ""
	@echo "  Hài Lòng is running on http://$(HOST)/"
	@echo "    results (published):   http://$(HOST)/results/"
	@echo "    a survey link to try:  http://$(HOST)$$($(BIN)/python manage.py demo_link)"
	@echo "    questionnaire builder: http://$(HOST)/questionnaires/"
	@echo "    reform index:          http://$(HOST)/index/   (appraiser: thamdinh / hailong-demo)"
	@echo "    API:                   http://$(HOST)/api/v1/estimates/"
	@echo "    API documentation:     http://$(HOST)/api/docs/"
	@echo "    admin:                 http://$(HOST)/admin/   login: admin / hailong-demo"
	@echo ""
	PUBLIC_BASE_URL=$${PUBLIC_BASE_URL:-http://$(HOST)} $(BIN)/python manage.py runserver $(HOST)

## test: the whole suite (set DATABASE_URL / REDIS_URL for PostgreSQL, Redis and a real worker)
test: install
	@scripts/ensure-system-packages.sh
	HAILONG_ALLOW_DEV_KEY=1 $(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/ruff check .
	$(BIN)/mypy analysis/estimators
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## messages: refresh and compile translations (needs GNU gettext)
messages: install
	$(BIN)/python manage.py makemessages -l vi -l en --ignore=.venv --ignore=tests
	$(BIN)/python manage.py makemessages -d djangojs -l vi -l en --ignore=.venv --ignore=tests
	$(BIN)/python manage.py compilemessages --ignore=.venv

worker: install
	$(BIN)/celery -A config worker --loglevel=info

## constraints: re-pin every installed package (after changing pyproject.toml)
constraints: install
	$(BIN)/pip freeze --exclude-editable | grep -v '^hailong' > constraints.txt

clean:
	rm -rf $(VENV) db.sqlite3 .pytest_cache
