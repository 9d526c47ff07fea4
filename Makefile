# cardiowatch: `make demo` runs the product, `make test` runs every check. Both set up .venv themselves.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test test-fast venv system-deps clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev,train,server,eval,postgres]'
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/cardiowatch demo

# Debian packages the checks need: C toolchains (host, RISC-V + QEMU, Xtensa) and chromium for the
# browser tests. Idempotent; installs only what is missing (needs root or sudo).
system-deps:
	bash firmware/tools/install-toolchains.sh
	bash tests/dashboard/install-chromium.sh

# Every check: unit tests, the full-data checks on the real databases, firmware host tests, browser tests.
# Tests marked `alone` (the timed DS2 replay through the server) run afterwards, by themselves; exit code 5
# is pytest's "nothing selected" when PYTEST_ARGS picks other tests.
test: $(STAMP) system-deps
	$(PY) -m pytest -n 2 --dist loadgroup -m "not alone" $(PYTEST_ARGS)
	$(PY) -m pytest -m alone $(PYTEST_ARGS) || [ $$? -eq 5 ]

# Unit tests only (no real databases): a quick loop while editing.
test-fast: $(STAMP)
	$(PY) -m pytest -n 2 -m "not data" $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache build
