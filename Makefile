# The two commands: `make demo` and `make test`. Everything else is documented in README.md.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test install lint clean bench

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/sakip init
	$(BIN)/sakip org load examples/org-kutorejo.yaml
	$(BIN)/sakip demo --unit kutorejo $(if $(PASSWORD),--password $(PASSWORD),)
	$(BIN)/sakip serve --host 127.0.0.1 --port 5000

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

# Two workers, one per core. Tests are handed out one by one, so a slow module does not keep one
# worker busy alone at the end; a module whose module-scoped fixture is costly (a server stack)
# carries an xdist_group mark and stays on one worker.
PYTEST_WORKERS ?= 2

test: lint
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadgroup

# Benchmarks (issue #8): writes bench/results.json and bench/RESULTS.md; see bench/run.py for the knobs.
bench: $(STAMP)
	$(BIN)/pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[bench]'
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) instance .pytest_cache .mypy_cache .ruff_cache
