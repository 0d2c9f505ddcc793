# Folio's everyday commands. `make help` lists them.
#
# Docker targets run compose.yaml alone (the production stack); `make stack-dev` adds
# compose.override.yaml. Base images can be swapped through PYTHON_IMAGE, NGINX_IMAGE,
# POSTGRES_IMAGE and REDIS_IMAGE, read from .offline-images.env when that file exists.

SHELL := /bin/bash
.DEFAULT_GOAL := help

-include .offline-images.env
export PYTHON_IMAGE NGINX_IMAGE POSTGRES_IMAGE REDIS_IMAGE

GIT_SHA := $(shell git rev-parse --short HEAD 2>/dev/null || echo dev)
REGISTRY ?= local
TAG ?= $(GIT_SHA)
# An extra tag for `make push`, e.g. VERSION_TAG=v1.2.0.
VERSION_TAG ?=
REVISION ?= $(GIT_SHA)
IMAGE_SOURCE ?= $(shell git config --get remote.origin.url 2>/dev/null)
export REGISTRY TAG REVISION
ifneq ($(IMAGE_SOURCE),)
export IMAGE_SOURCE
endif

COMPOSE ?= docker compose
STACK := $(COMPOSE) -f compose.yaml
DEV_STACK := $(COMPOSE) -f compose.yaml -f compose.override.yaml
IMAGES := folio-web folio-worker folio-nginx folio-backup
SEED ?= 1
WAIT_TIMEOUT ?= 120
SHELL_SCRIPTS = $(wildcard scripts/*.sh) .ci/run
DOCKERFILES := Dockerfile nginx/Dockerfile mailcatcher/Dockerfile monitoring/standin/Dockerfile

# uv: the one on PATH, or one installed with pip into a private venv on first use.
UV_HOME ?= $(HOME)/.local/share/folio-uv
UV := $(shell command -v uv 2>/dev/null || echo $(UV_HOME)/bin/uv)
FLASK := $(UV) run --frozen flask --app folio_web.wsgi

.PHONY: help
help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_-]+:.*## / {printf "  %-14s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

# --- the stack in Docker --------------------------------------------------------------------

.PHONY: require-docker
require-docker:
	@command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1 || { \
	  echo "No Docker engine answers on this machine, so the container stack cannot start."; \
	  echo "Run Folio without Docker instead:  make dev   (needs only Python 3.11+)"; \
	  exit 1; }

.env:
	@scripts/init-env.sh .env

.PHONY: build
build: require-docker .env ## Build the web, worker, backup and nginx images (REGISTRY/folio-*:TAG, TAG = git SHA)
	$(STACK) build

# `make up` adds a local mail catcher (compose.mail.yaml) so sign-up mails arrive somewhere;
# LOCAL_MAIL=0 sends through MAIL_SERVER from .env instead, as a deployment does.
LOCAL_MAIL ?= 1
UP_STACK := $(STACK) $(if $(filter 1,$(LOCAL_MAIL)),-f compose.mail.yaml)

.PHONY: up
up: build ## Build, start every service and a mail catcher, wait until healthy, seed, print the URLs
	@start=$$(date +%s); \
	if [ "$(LOCAL_MAIL)" = 1 ]; then MAILPIT_IMAGE="$$(scripts/mailpit-image.sh)" || exit 1; export MAILPIT_IMAGE; fi; \
	scripts/up.sh $(WAIT_TIMEOUT) $(UP_STACK) && \
	echo "all services healthy after $$(( $$(date +%s) - start ))s"
	@if [ "$(SEED)" = 1 ]; then $(STACK) exec -T web flask --app folio_web.wsgi seed; fi
	@$(STACK) config --format json | python3 -c 'import json, sys; env = json.load(sys.stdin)["services"]["web"]["environment"]; print("Folio is up: %s://%s" % (env.get("PREFERRED_URL_SCHEME") or "https", env["SERVER_NAME"]))'
	@if [ "$(LOCAL_MAIL)" = 1 ]; then echo "Mail it sends (confirmations, resets): http://localhost:$$($(UP_STACK) port mailpit 8025 | sed 's/.*://')"; fi

.PHONY: stack-dev
stack-dev: require-docker .env ## The stack with compose.override.yaml: bind-mounted source, reload, console mail
	$(DEV_STACK) build
	scripts/up.sh $(WAIT_TIMEOUT) $(DEV_STACK)
	@echo "Folio (development stack) is up: http://localhost:$$($(DEV_STACK) port nginx 8080 | sed 's/.*://')"

.PHONY: down
down: require-docker ## Stop and remove the containers (data volumes are kept)
	$(DEV_STACK) down --remove-orphans

.PHONY: logs
logs: require-docker ## Follow the logs of every service (S=web for one)
	$(COMPOSE) logs -f --tail 100 $(S)

.PHONY: ps
ps: require-docker ## Show the services and their health
	$(COMPOSE) ps -a

.PHONY: migrate
migrate: require-docker ## Run the database migrations now (one-shot migrate service)
	$(STACK) run --rm migrate

.PHONY: seed
seed: require-docker ## Load the demo data into the running stack (idempotent)
	$(STACK) exec -T web flask --app folio_web.wsgi seed

.PHONY: shell
shell: require-docker ## Flask shell inside the running web container
	$(COMPOSE) exec web flask --app folio_web.wsgi shell

.PHONY: psql
psql: require-docker ## psql on the stack's database
	$(COMPOSE) exec db sh -c 'psql -U "$$POSTGRES_USER" -d "$$POSTGRES_DB"'

.PHONY: redis-cli
redis-cli: require-docker ## redis-cli on the stack's Redis
	$(COMPOSE) exec redis redis-cli

# --- backups ------------------------------------------------------------------------------

BACKUP_DIR ?= backups

.PHONY: backup
backup: require-docker ## Back up the running stack now into BACKUP_DIR/<name>/ (default backups/); prints <name>
	@BACKUP_DIR="$(BACKUP_DIR)" STACK="$(STACK)" scripts/backup.sh create

.PHONY: restore
restore: require-docker ## Restore into the running stack: make restore BACKUP=<name> CONFIRM=yes (without: a dry run)
	@BACKUP_DIR="$(BACKUP_DIR)" STACK="$(STACK)" scripts/backup.sh restore "$(BACKUP)" "$(CONFIRM)"

.PHONY: restore-drill
restore-drill: sync ## Back up a seeded throwaway stack, down -v, restore, compare every table and file
	UV=$(UV) scripts/ops-test.sh tests/ops/test_restore_drill.py

.PHONY: push
push: require-docker .env ## Build and push the images: make push REGISTRY=host/ns TAG=... [VERSION_TAG=v1.2.0]
	@if [ "$(REGISTRY)" = local ]; then echo "set REGISTRY, e.g. make push REGISTRY=registry.example.com/folio"; exit 1; fi
	$(STACK) build
	$(STACK) push nginx web worker backup
	@if [ -n "$(VERSION_TAG)" ]; then \
	  for image in $(IMAGES); do \
	    docker tag $(REGISTRY)/$$image:$(TAG) $(REGISTRY)/$$image:$(VERSION_TAG) && \
	    docker push -q $(REGISTRY)/$$image:$(VERSION_TAG) || exit 1; \
	  done; fi
	@for image in $(IMAGES); do echo "pushed $(REGISTRY)/$$image:$(TAG) $(VERSION_TAG)"; done

.PHONY: up-test
up-test: sync ## make up in a fresh clone on free ports: register, confirm through the mail catcher
	UV=$(UV) scripts/up-test.sh

.PHONY: registry-test
registry-test: require-docker ## Push to a throwaway local registry, then start the stack from it in an empty directory
	scripts/registry-test.sh

.PHONY: deploy
deploy: require-docker .env ## Rolling update to TAG, migrations first, nothing dropped: make deploy TAG=...
	COMPOSE_CMD="$(STACK)" scripts/deploy.sh $(TAG)

.PHONY: rollback
rollback: require-docker ## Rolling update back to the tag deployed before the current one
	COMPOSE_CMD="$(STACK)" scripts/deploy.sh --rollback

.PHONY: rollout-test
rollout-test: sync ## Throwaway stack, web x3: each replica serves; deploy and rollback under load drop nothing
	UV=$(UV) scripts/rollout-test.sh

.PHONY: swarm-test
swarm-test: sync ## Throwaway single-node swarm: stack deploy, journeys, 3 web replicas, rolling update under load
	UV=$(UV) scripts/swarm-test.sh

# --- without Docker -------------------------------------------------------------------------

$(UV_HOME)/bin/uv:
	@echo "uv not found: installing it with pip into $(UV_HOME)"
	python3 -m venv $(UV_HOME)
	$(UV_HOME)/bin/pip install --quiet uv

.PHONY: uv
uv: $(if $(shell command -v uv 2>/dev/null),,$(UV_HOME)/bin/uv)

.PHONY: sync
sync: uv ## Install the workspace and dev tools into .venv (uv sync)
	$(UV) sync --frozen

.PHONY: dev
dev: sync ## Run Folio without Docker: SQLite, in-process tasks, mail in the log, debug toolbar, on 127.0.0.1:5000
	@export FOLIO_ENV=development FLASK_SKIP_DOTENV=1; unset DATABASE_URL REDIS_URL MAIL_BACKEND; \
	$(FLASK) migrate && $(FLASK) seed && \
	echo "Folio (development) on http://127.0.0.1:5000" && \
	exec $(FLASK) run --debug --host 127.0.0.1 --port 5000

.PHONY: test
test: sync ## Unit and integration tests with coverage (throwaway Postgres/Redis if none answer)
	UV=$(UV) scripts/test.sh

.PHONY: e2e
e2e: sync ## Build the images, start a throwaway stack and run tests/e2e through nginx
	UV=$(UV) scripts/e2e.sh

# The same test as in `make e2e`, alone: CI runs it there.
.PHONY: audit
audit: sync ## Lighthouse (100/100/100, performance >= 95) and axe-core on a throwaway stack; reports in e2e-artifacts/
	UV=$(UV) scripts/e2e.sh -k test_page_quality

.PHONY: chaos
chaos: sync ## Break a throwaway stack (kill -9, stop, restart) under load; table of lost work (S="all" for every scenario)
	UV=$(UV) scripts/chaos.sh $(S)

# Out of CI: seeding and exporting 260,000 posts takes about ten minutes on a shared machine.
.PHONY: chaos-export
chaos-export: sync ## Export a 260,000-post account in a throwaway stack; worker memory peak vs its limit
	UV=$(UV) scripts/chaos.sh export-260k-posts

.PHONY: bench
bench: require-docker ## Load a throwaway stack with wrk, write bench/results/<date>-<sha>.md (< 10 min)
	python3 -m bench.run

.PHONY: bench-scale
bench-scale: require-docker ## Grow a throwaway stack to 1M posts; p50/p99 of every list at 1k and 1M (< 20 min)
	python3 -m bench.scale.run

.PHONY: policy
policy: sync ## Check compose.yaml against the hardening rules
	$(UV) run --frozen pytest tests/stack -p no:cacheprovider

.PHONY: lint
lint: sync ## ruff check, ruff format --check, hadolint on every Dockerfile, shellcheck on every script, actionlint on CI
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .
	$(UV) run --frozen hadolint $(DOCKERFILES)
	$(UV) run --frozen shellcheck -x $(SHELL_SCRIPTS)
	$(UV) run --frozen actionlint .github/workflows/ci.yml

# --- operations: TLS from an ACME CA, monitoring ------------------------------------------

.PHONY: monitoring
monitoring: require-docker .env ## Start the stack with compose.monitoring.yaml (Prometheus, exporter)
	scripts/up.sh $(WAIT_TIMEOUT) $(STACK) -f compose.monitoring.yaml

.PHONY: acme
acme: require-docker .env ## Start the stack with compose.acme.yaml: certbot gets and renews ACME_DOMAIN's certificate
	scripts/up.sh $(WAIT_TIMEOUT) $(STACK) -f compose.acme.yaml

.PHONY: monitoring-check
monitoring-check: require-docker ## promtool check config and rules (Prometheus stand-in image if needed)
	scripts/check-monitoring.sh

.PHONY: ops-test
ops-test: sync ## ACME issuance and renewal with pebble, the cipher check, the metrics test
	OPS_FILES="compose.monitoring.yaml compose.acme.yaml" OPS_OVERLAY=tests/ops/compose.ops.yaml UV=$(UV) \
	  scripts/ops-test.sh tests/ops/test_tls.py tests/ops/test_metrics.py
