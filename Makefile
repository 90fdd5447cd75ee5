# The two set-up commands of the README:
#   make run   install into .venv and start the server with demo data (GraphiQL on :4000)
#   make test  install into .venv (with test tools) and run the whole test suite
# Both need only Python >= 3.11 on PATH (as python3, or set PYTHON=...).

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# A PostgreSQL server the plan tests run on too, when it answers (the suite embeds its own).
PLANS_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/postgres
PIP    := $(BIN)/python -m pip

.PHONY: run test lint schema bench clean test-packages

$(VENV)/.python-ok:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "OpsGraph needs Python >= 3.11 (set PYTHON=python3.11)")'
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	@touch $@

$(VENV)/.installed: $(VENV)/.python-ok pyproject.toml constraints.txt
	$(PIP) install --quiet -c constraints.txt -e .
	@touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(PIP) install --quiet -c constraints.txt -e ".[test]"
	@touch $@

run: $(VENV)/.installed
	$(BIN)/opsgraph serve --demo

# Debian programs the tests drive, as "file that shows it is there:package": chromium for the
# wallboard's browser test, rabbitmq-server for the message bus export's broker restarts,
# prometheus-alertmanager for the alert receiver's. Installed when missing and we may (root
# with apt-get); elsewhere those tests skip, except under CI where they fail.
TEST_PACKAGES := /usr/bin/chromium:chromium \
	/usr/lib/rabbitmq/bin/rabbitmq-server:rabbitmq-server \
	/usr/bin/prometheus-alertmanager:prometheus-alertmanager

test-packages:
	@missing=""; for entry in $(TEST_PACKAGES); do \
		[ -x "$${entry%%:*}" ] || missing="$$missing $${entry#*:}"; \
	done; \
	if [ -n "$$missing" ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing$$missing for the tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

test: $(VENV)/.installed-test test-packages
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	@# Bytecode once for every process the tests start (PYTHONDONTWRITEBYTECODE may be set).
	$(BIN)/python -m compileall -q opsgraph db resolvers subgraphs router bench tests >/dev/null
	$(BIN)/python -m pytest
	@# What the plans read, again on the system's PostgreSQL when one answers (CI's is 15;
	@# the embedded one another major version, whose planner chooses otherwise).
	@if $(BIN)/python -m tests.server_answers "$(PLANS_DATABASE_URL)"; then \
		echo "plan tests on $(PLANS_DATABASE_URL)"; \
		DATABASE_URL="$(PLANS_DATABASE_URL)" $(BIN)/python -m pytest -m plans -q; \
	else \
		echo "no PostgreSQL at $(PLANS_DATABASE_URL): plan tests ran on the embedded one only"; \
	fi

schema: $(VENV)/.installed
	$(BIN)/opsgraph schema export

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
