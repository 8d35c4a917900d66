# omd-gov: `make run` serves the app on embedded defaults; `make test` runs the suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export OMD_INSTANCE_DIR ?= $(CURDIR)/instance

.PHONY: setup system-deps translations run test test-sqlite test-postgres lint bench fuzz clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

system-deps:
	bash scripts/install-system-deps.sh

setup: system-deps $(STAMP) translations

# The pages' message catalogues: the .po sources are in git, the .mo files are built.
PO_FILES := $(wildcard omd_gov/web/translations/*/LC_MESSAGES/messages.po)
translations: $(PO_FILES:.po=.mo)
%/LC_MESSAGES/messages.mo: %/LC_MESSAGES/messages.po $(STAMP)
	$(BIN)/pybabel compile --statistics -i $< -o $@

run: setup
	OMD_DEMO=1 bash scripts/run-embedded.sh

# Every benchmark once in smoke mode, then the suite on SQLite and on PostgreSQL.
test: setup
	bash scripts/start-services.sh
	bash scripts/test.sh

test-sqlite: setup
	bash scripts/start-services.sh
	OMD_TEST_STEPS=sqlite bash scripts/test.sh

test-postgres: setup
	bash scripts/start-services.sh
	OMD_TEST_STEPS=postgres bash scripts/test.sh

lint: $(STAMP)
	$(BIN)/ruff check omd_gov tests bench celery_worker.py
	$(BIN)/ruff format --check omd_gov tests bench celery_worker.py
	$(BIN)/mypy
	$(BIN)/mypy bench

bench: setup
	bash bench/run.sh

# The generated API contract test, long and with fresh random seeds (CI runs a
# short, derandomised pass). FUZZ_EXAMPLES per operation and input mode.
fuzz: setup
	bash scripts/start-services.sh
	OMD_CONTRACT_EXAMPLES=$${FUZZ_EXAMPLES:-200} OMD_CONTRACT_RANDOM=1 OMD_TEST_STEPS="sqlite postgres" \
		bash scripts/test.sh tests/integration/test_contract.py

clean:
	rm -rf $(VENV) instance .pytest_cache .mypy_cache .ruff_cache
