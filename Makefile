# One-line targets. `make demo` and `make test` are the README's two quick-start commands.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo test lint types imports rules pytest bench clean docs assets
ASSETS := src/zhiben/web/static/vendor/VERSIONS.json

$(BIN)/zhiben: pyproject.toml
	$(PYTHON) -m venv $(VENV) && $(BIN)/pip install -q --upgrade pip && $(BIN)/pip install -q -e . && touch $@

$(VENV)/.dev: pyproject.toml
	$(PYTHON) -m venv $(VENV) && $(BIN)/pip install -q --upgrade pip && $(BIN)/pip install -q -e '.[dev]' && touch $@

# The web UI's front-end libraries, from the npm registry through frontend/package-lock.json.
$(ASSETS): frontend/package.json frontend/package-lock.json tools/build_assets.py
	$(BIN)/python tools/build_assets.py

assets: $(BIN)/zhiben $(ASSETS)

demo: $(BIN)/zhiben $(ASSETS)
	$(BIN)/zhiben demo --host $(HOST) --port $(PORT)

test: $(VENV)/.dev $(ASSETS) lint types imports rules pytest

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
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis frontend/node_modules src/zhiben/web/static/vendor src/zhiben/web/static/geo

docs: $(BIN)/zhiben
	$(BIN)/python tools/gen_api_doc.py
