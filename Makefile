# The two commands a newcomer needs: `make run` (serve with demo data) and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := wsgi

.PHONY: run test lint install translations catalogue clean

$(BIN)/maintenance: pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(BIN)/maintenance

install: $(BIN)/maintenance translations

## Compile the Dutch catalogue (English is the source language).
translations: $(BIN)/maintenance
	$(BIN)/pybabel compile -d maintenance/translations

## Refresh the catalogue from the code and templates after changing texts, then translate.
catalogue: $(BIN)/maintenance
	$(BIN)/pybabel extract -F babel.cfg -k _l -o maintenance/translations/messages.pot .
	$(BIN)/pybabel update -N -i maintenance/translations/messages.pot -d maintenance/translations

## Set up, migrate a SQLite database under instance/, load demo data, serve web + scheduler on :5000.
run: install
	$(BIN)/maintenance db upgrade
	$(BIN)/maintenance demo
	$(BIN)/maintenance serve --host 127.0.0.1 --port 5000

## Set up and run the whole test suite (TEST_DATABASE_URL selects PostgreSQL).
test: install
	$(BIN)/python -m pytest -q -p no:cacheprovider

## Lint, formatting and types, as CI runs them before the tests.
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

clean:
	rm -rf $(VENV) instance/*.sqlite3 instance/outbox
