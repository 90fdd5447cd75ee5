# The two set-up commands of the README:
#   make run   install into .venv and start the server with demo data (GraphiQL on :4000)
#   make test  install into .venv (with test tools) and run the whole test suite
# Both need only Python >= 3.11 on PATH (as python3, or set PYTHON=...).

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip

.PHONY: run test lint schema bench clean browser alertmanager

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

# The wallboard's browser test drives Debian's chromium; install it when it is missing and
# we may (root with apt-get). Elsewhere the test skips, except under CI where it fails.
browser:
	@if [ ! -x /usr/bin/chromium ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing chromium for the browser test"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	fi

# The alert receiver's tests drive Debian's prometheus-alertmanager: installed likewise when
# missing and root; elsewhere those tests skip, except under CI where they fail.
alertmanager:
	@if [ ! -x /usr/bin/prometheus-alertmanager ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing prometheus-alertmanager for the alert receiver's tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus-alertmanager >/dev/null; \
	fi

test: $(VENV)/.installed-test browser alertmanager
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/python -m pytest

schema: $(VENV)/.installed
	$(BIN)/opsgraph schema export

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
