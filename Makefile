# Two commands on a fresh machine with Python 3.11 and make:  `make demo`  and  `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt | cksum | cut -d' ' -f1)

.PHONY: demo test lint bench clean venv

venv: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/stalking-profile demo

test: $(STAMP)
	$(BIN)/python -m pytest -q tests stalking_profile --ignore=stalking_profile/__main__.py

lint: $(STAMP)
	$(BIN)/ruff check stalking_profile tests benchmarks
	$(BIN)/mypy stalking_profile

bench: $(STAMP)
	$(BIN)/python -m benchmarks.run --out benchmarks/results.json

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache
