# Anjian — set-up and the two jobs of the README's quick start.
# `make run`: set up, build the demo province when the data directory holds none, serve it.
# `make demo`: set up, build the demo province afresh on the embedded default, print one history.
# `make test`: set up, then ruff, the dependency rule (import-linter), mypy --strict and the
# whole pytest suite (starts its own PostgreSQL and EVM node on free loopback ports).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Keyed on everything `pip install -e` builds from: the project metadata and the C extension.
BUILT_FROM := pyproject.toml setup.py ledger/_ed25519.c
STAMP := $(VENV)/.installed-$(shell cat $(BUILT_FROM) | sha256sum | cut -c1-16)

.PHONY: setup run demo test lint typecheck pytest clean

setup: $(STAMP) node_modules/.package-lock.json

$(STAMP): $(BUILT_FROM)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $@

# The local EVM node (anvil) ships in an npm package; nothing is downloaded at run time.
node_modules/.package-lock.json: package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# The data directory is private (0700, files 0600): create it so from the start.
# `anjian serve` prints the URL, the data directory and the demo's logins; Ctrl-C stops it cleanly.
run: setup
	umask 077 && mkdir -p var && $(BIN)/anjian demo --if-empty --enterprises 200 --months 24 --seed 2018 --json > /dev/null
	exec $(BIN)/anjian serve

demo: setup
	umask 077 && mkdir -p var && $(BIN)/anjian demo --enterprises 200 --months 24 --seed 2018 --reset --json > var/demo.json
	$(BIN)/anjian history --enterprise "$$($(BIN)/python -c 'import json; print(json.load(open("var/demo.json"))["showcase"])')"

# The dependency rule of the layers (pyproject.toml [tool.importlinter], docs/ARCHITECTURE.md).
lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-logo

typecheck: setup
	$(BIN)/mypy

pytest: setup
	$(BIN)/pytest -n 2 --dist loadgroup -q

test: lint typecheck pytest

clean:
	rm -rf $(VENV) node_modules var
