# One-line targets. `make demo` and `make test` are the README's two quick-start commands.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo test lint types imports rules pytest bench clean docs

$(BIN)/zhiben: pyproject.toml
	$(PYTHON) -m venv $(VENV) && $(BIN)/pip install -q --upgrade pip && $(BIN)/pip install -q -e . && touch $@

$(VENV)/.dev: pyproject.toml
	$(PYTHON) -m venv $(VENV) && $(BIN)/pip install -q --upgrade pip && $(BIN)/pip install -q -e '.[dev]' && touch $@

demo: $(BIN)/zhiben
	$(BIN)/zhiben demo --host $(HOST) --port $(PORT)

test: $(VENV)/.dev lint types imports rules pytest

lint: $(VENV)/.dev
	$(BIN)/ruff check src tests bench

types: $(VENV)/.dev
	$(BIN)/mypy src

imports: $(VENV)/.dev
	$(BIN)/lint-imports

rules: $(VENV)/.dev
	$(BIN)/zhiben rules check

pytest: $(VENV)/.dev
	$(BIN)/pytest

bench: $(VENV)/.dev
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis

docs: $(BIN)/zhiben
	$(BIN)/python tools/gen_api_doc.py
