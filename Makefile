# The two commands of the README: `make run` and `make test`. Each installs what is missing first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Deployment (docs/deploying.md): osls and its plugins from package-lock.json; cfn-lint and
# checkov in a venv of their own (checkov's dependencies conflict with the project's).
NODE_STAMP := node_modules/.installed
TOOLS := .venv-tools
TOOLS_STAMP := $(TOOLS)/.installed
# The AWS CLI v1 that tests/integration/test_endpoint_clients.py drives: it carries its own botocore.
AWSCLI := .venv-awscli
AWSCLI_STAMP := $(AWSCLI)/.installed
# `osls package` calls no AWS API; these keep it from picking up real credentials all the same.
OFFLINE_AWS := env -u AWS_PROFILE -u AWS_SESSION_TOKEN AWS_ACCESS_KEY_ID=offline AWS_SECRET_ACCESS_KEY=offline

.PHONY: run test check lint unit integration e2e bench soak mutation proof proof-full schemas package lock tools browser clean

$(STAMP): pyproject.toml requirements.txt
	@echo "listmgr: installing the project into $(VENV) (first run, or dependencies changed; a few minutes)"
	@echo "listmgr: creating $(VENV) with $(PYTHON)"
	@$(PYTHON) -m venv $(VENV)
	@echo "listmgr: upgrading pip"
	@$(BIN)/pip install --quiet --upgrade pip
	@echo "listmgr: installing the project and its dependencies (moto, boto3, Flask, pytest, ...)"
	@$(BIN)/pip install --quiet -e '.[local,dev]'
	@touch $(STAMP)
	@echo "listmgr: installed"

run: $(STAMP)
	$(BIN)/listmgr up

test: $(STAMP) lint tools browser
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy shared services listmgr tests bench examples
	$(BIN)/lint-imports --no-logo

unit: $(STAMP)
	$(BIN)/pytest -q tests/unit

integration: $(STAMP)
	$(BIN)/pytest -q tests/integration

e2e: $(STAMP)
	$(BIN)/pytest -q tests/e2e

# The proof of the guarantees (docs/reliability.md): the stateful property test with seeded faults,
# in memory and on moto with SQLite and MariaDB archives, and the malformed-record corpus. `make
# test` runs them at the small scale too; proof-full runs them at full scale (minutes).
PROOF_TESTS := tests/unit/test_fault_layer.py tests/unit/test_stateful.py tests/unit/test_malformed_corpus.py \
	tests/unit/test_found_by_proof.py tests/integration/test_stateful_moto.py

proof: $(STAMP)
	$(BIN)/pytest -q -s $(PROOF_TESTS)

proof-full: $(STAMP)
	LISTMGR_PROOF=full $(BIN)/pytest -q -s $(PROOF_TESTS)

# Every figure against its baseline into bench/results.json (docs/benchmarks.md); about 15 minutes.
# `python -m bench --parts stack` reruns one part and keeps the others' figures.
bench: $(STAMP)
	$(BIN)/python -m bench

# The outage and soak scenarios at full size (docs/reliability.md); `make test` runs them
# small. Figures (records, faults, time, records/s, peak RSS) are printed, not asserted.
SOAK_RECORDS ?= 100000
OUTAGE_RECORDS ?= 2000
soak: $(STAMP)
	LISTMGR_SOAK_RECORDS=$(SOAK_RECORDS) LISTMGR_OUTAGE_RECORDS=$(OUTAGE_RECORDS) \
		$(BIN)/pytest -q -s -p no:cacheprovider tests/integration/test_mariadb_outage.py tests/e2e/test_soak.py

# Mutation testing of the pure core ([tool.mutmut] in pyproject.toml says what and with which
# tests); long on two cores, so bounded by MUTATION_TIMEOUT seconds (a run resumes where it
# stopped). MUTATE picks mutants by name, e.g. `make mutation MUTATE='shared.lists.*'`.
MUTATE ?=
MUTATION_TIMEOUT ?= 3600
mutation: $(STAMP)
	timeout $(MUTATION_TIMEOUT) $(BIN)/mutmut run --max-children 2 $(MUTATE) || test $$? -eq 124
	$(BIN)/mutmut results

schemas: $(STAMP)
	$(BIN)/python -m shared.events.catalog --write

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

$(TOOLS_STAMP): tests/deploy/requirements-tools.txt
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --upgrade pip
	$(TOOLS)/bin/pip install --quiet -r tests/deploy/requirements-tools.txt
	touch $(TOOLS_STAMP)

$(AWSCLI_STAMP): tests/integration/clients/requirements-awscli.txt
	$(PYTHON) -m venv $(AWSCLI)
	$(AWSCLI)/bin/pip install --quiet --upgrade pip
	$(AWSCLI)/bin/pip install --quiet -r tests/integration/clients/requirements-awscli.txt
	touch $(AWSCLI_STAMP)

# What tests/deploy runs (osls with its plugins, cfn-lint and checkov) and the clients the local
# endpoint is tested with (the JavaScript SDK v3 from package.json, the AWS CLI v1).
tools: $(NODE_STAMP) $(TOOLS_STAMP) $(AWSCLI_STAMP)

# The deployment artifact and template in .serverless/, offline, as `osls deploy` would upload them
# (with bytecode: artifact/bytecode-plugin.js). A placeholder database host: it has no default.
package: $(NODE_STAMP)
	$(OFFLINE_AWS) npx osls package --stage dev --param dbHost=$(or $(DB_HOST),archive.db.internal)
	@du -h .serverless/list-manager.zip

# requirements.lock, what the artifact is installed from: requirements.txt and everything it
# pulls in, hashed, for the functions' platform (Linux arm64, CPython 3.12), not this machine's.
lock: $(TOOLS_STAMP)
	$(TOOLS)/bin/uv pip compile --quiet --python-platform aarch64-manylinux2014 --python-version 3.12 \
		--generate-hashes --output-file requirements.lock requirements.txt

# The browser the console's tests drive (tests/e2e/test_console.py): Debian's Chromium, installed
# when missing and this is root (as CI is); Playwright's own browser downloads are never used.
# Anywhere it cannot be installed, those tests skip and say why.
CHROMIUM := /usr/bin/chromium
browser:
	@if [ -x $(CHROMIUM) ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "listmgr: installing Debian's chromium for the console's browser tests (apt-get)"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
			|| echo "listmgr: chromium could not be installed: the console's browser tests will be skipped"; \
	else \
		echo "listmgr: $(CHROMIUM) is missing and installing it needs root and apt-get:" \
			"the console's browser tests will be skipped"; \
	fi

clean:
	rm -rf $(VENV) mutants .listmgr .pytest_cache .mypy_cache .ruff_cache .import_linter_cache .grimp_cache $(TOOLS) $(AWSCLI) node_modules .serverless
