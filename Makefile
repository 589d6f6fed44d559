# The two commands of the quick start: `make up` and `make test`.
# Both create .venv when it is missing and (re)install when pyproject.toml changes.

VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 8000
PYTEST_ARGS ?=
# The suite runs in two worker processes (pytest-xdist), a file at a time each: most slow tests
# wait on a server process or a browser. Each worker has its own database (tests/conftest.py).
TEST_WORKERS ?= 2

# The first Python 3.11+ on PATH.
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
	&& { echo $$p; break; }; done)

NODE_DEPS := $(VENV)/node/node_modules/typescript/package.json
SDK_GENERATOR := openapi-python-client==0.29.1
SDKGEN := $(VENV)/sdkgen/bin/openapi-python-client

.PHONY: up test fuzz lint format chromium espeak clean

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "Python 3.11 or newer is required" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

up: $(STAMP) espeak
	$(BIN)/layers up --host $(HOST) --port $(PORT)

test: $(STAMP) $(NODE_DEPS) $(SDKGEN) chromium espeak lint
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder $(PYTEST_ARGS)

# Schemathesis over the whole OpenAPI document with many more examples per operation than the
# suite's 25 (tests/test_openapi_fuzz.py reads LAYERS_FUZZ_EXAMPLES). On PostgreSQL, set
# LAYERS_TEST_DATABASE_URL as for `make test`.
FUZZ_EXAMPLES ?= 250

fuzz: $(STAMP)
	LAYERS_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest tests/test_openapi_fuzz.py $(PYTEST_ARGS)

# The TypeScript compiler, for the end-to-end test that runs the seed's TypeScript quickstart.
$(NODE_DEPS):
	npm install --prefix $(VENV)/node --no-save --no-package-lock --no-audit --no-fund \
		--loglevel=error typescript@5.9.3

# The client generator, for the test that runs the quickstart through a client generated from
# /openapi.json. In a virtualenv of its own: it pins an older Typer than the CLI's.
$(SDKGEN): | $(BIN)/python
	$(BIN)/python -m venv $(VENV)/sdkgen
	$(VENV)/sdkgen/bin/python -m pip install --quiet '$(SDK_GENERATOR)'

lint: $(STAMP)
	$(BIN)/ruff check src tests bench migrations scripts
	$(BIN)/ruff format --check src tests bench migrations scripts
	$(BIN)/mypy
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff check --fix src tests bench migrations scripts
	$(BIN)/ruff format src tests bench migrations scripts

# Browser tests drive Debian's chromium; install it when it is missing.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "installing chromium for the browser tests"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null); }

# Videos are voiced offline by Debian's espeak-ng (docs/content.md, Sound); install it when it
# is missing. Without it (no root, no network) videos get a music bed instead of a voice.
espeak:
	@command -v espeak-ng >/dev/null 2>&1 || { \
		echo "installing espeak-ng for offline voice-overs"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq espeak-ng >/dev/null) \
		|| echo "espeak-ng not installed: videos get a music bed instead of a voice"; }

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
