# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo emulator test test-fast lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

## Runs the emulator, localstripe (installed in .venv-localstripe) and the reservation module on SQLite and
## prints the URLs to open.
demo: $(STAMP)
	PYTHON=$(PYTHON) bash scripts/localstripe.sh >/dev/null
	$(BIN)/linemod demo

## Runs the LINE Platform emulator alone on http://127.0.0.1:9000.
emulator: $(STAMP)
	$(BIN)/linemod emulator --port 9000

## Runs every test: installs Debian's Chromium and the CJK fonts when missing (or says how), Debian's Dovecot for the
## help desk's mail tests, Debian's nginx and systemd-analyze for the deployment test (docs/deploy.md), and
## localstripe in its own virtualenv (.venv-localstripe); PostgreSQL on 127.0.0.1:5432.
test: $(STAMP)
	bash scripts/browser-deps.sh
	bash scripts/mail-servers.sh
	bash scripts/deploy-deps.sh
	PYTHON=$(PYTHON) bash scripts/localstripe.sh >/dev/null
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy

## Benchmarks (not part of `make test`): the emulator, the webhook intake, the workers, end to end through the
## emulator (linemod beside the SDK pattern, then 1 to 10,000 OAs), billing (metering and a 10,000-tenant invoice
## run, several minutes). wrk drives the HTTP load; plots go to .cache/bench/.
bench: $(STAMP)
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk >/dev/null)
	$(BIN)/pip install --quiet -e '.[bench]'
	mkdir -p .cache/bench
	$(BIN)/python benchmarks/emulator.py
	$(BIN)/python benchmarks/emulator.py --case fanout --plot .cache/bench/emulator-fanout.png
	$(BIN)/python benchmarks/ingest.py
	$(BIN)/python benchmarks/worker.py
	$(BIN)/python benchmarks/e2e.py --plot .cache/bench/e2e.png
	$(BIN)/python benchmarks/tenants.py --plot .cache/bench/tenants.png
	bash scripts/browser-deps.sh
	$(BIN)/python benchmarks/billing.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
