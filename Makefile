# cardiowatch: `make demo` runs the product, `make test` runs every check. Both set up .venv themselves.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test test-fast venv clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev,train]'
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/cardiowatch demo

# Every check: unit tests, the full-data checks on the real databases, firmware host tests.
test: $(STAMP)
	$(PY) -m pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

# Unit tests only (no real databases): a quick loop while editing.
test-fast: $(STAMP)
	$(PY) -m pytest -n 2 -m "not data" $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache build
