# Everything runs from a project-local environment built from uv.lock; the only thing the
# machine needs is Python 3.10+ (`PYTHON=python3.12 make test` picks another interpreter).
PYTHON ?= python3
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
SYNCED := $(VENV)/.synced
export UV_PYTHON_DOWNLOADS := never

.PHONY: demo emulators stop-emulators test bench lint typecheck check dist clean

demo: $(SYNCED) ## Sync the demo tenant into output/gainsight.duckdb through Meltano
	$(VENV)/bin/python scripts/demo.py

emulators: $(SYNCED) ## Start the PX (:8080) and CS (:8081) emulators in the background, on one clock
	$(VENV)/bin/python scripts/emulators.py start

stop-emulators: ## Stop the emulators `make emulators` started
	$(PYTHON) scripts/emulators.py stop

test: $(SYNCED) ## Run the whole test suite, one test process per core
	$(VENV)/bin/python -m pytest -n auto

bench: $(SYNCED) ## Tap vs the best plain client: backfill at 0 and 50 ms, a daily run at 200 ms (docs/benchmarks.md)
	$(VENV)/bin/python scripts/bench.py

lint: $(SYNCED) ## Ruff lint and format check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(SYNCED) ## mypy over the package
	$(VENV)/bin/mypy

check: lint typecheck test

dist: | $(UV) ## Build the sdist and the wheel into dist/ and check that the wheel is complete
	rm -rf dist
	$(UV) build --python $(PYTHON) --out-dir dist
	$(TOOLS)/bin/python scripts/check_dist.py dist

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(SYNCED): pyproject.toml uv.lock | $(UV)
	$(UV) sync --locked --all-groups --compile-bytecode --python $(PYTHON)
	touch $@

clean:
	rm -rf $(TOOLS) $(VENV) .meltano .emulators.pids dist output/*.duckdb output/.*.from-emulator output/*.jsonl
