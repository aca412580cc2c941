# Two commands a user needs: `make demo` and `make test` (see README.md).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install demo test lint typecheck unit system-deps bench eval clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	@touch $(STAMP)

install: $(STAMP)

## make demo: audit seeds/ and write reports/latest/report.html
demo: $(STAMP)
	@$(BIN)/audit run seeds --out reports; code=$$?; \
	  if [ $$code -gt 1 ]; then exit $$code; fi; \
	  echo "open reports/latest/report.html"

## make test: lint, type-check and the whole test suite (browser and Redis included)
test: $(STAMP) system-deps lint typecheck unit

system-deps:
	@bash tests/setup_system.sh

lint: $(STAMP)
	$(BIN)/ruff check audit tests bench
	$(BIN)/ruff format --check audit tests bench

typecheck: $(STAMP)
	$(BIN)/mypy audit

unit: $(STAMP)
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python bench/run_all.py

## make eval: detection quality on the labelled data (dedup pairs/clusters, garble AUC)
eval: $(STAMP)
	$(BIN)/python bench/dedup_eval.py
	$(BIN)/python bench/garble_eval.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
