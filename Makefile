# Two commands for a new user: `make demo` (everything up, sample ingested) and `make test`.
# Run as root on Debian: missing Debian packages are installed with apt-get.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
PYTHON ?= python3
export OMP_THREAD_LIMIT := 1
APT_PACKAGES := tesseract-ocr tesseract-ocr-jpn tesseract-ocr-eng poppler-utils fonts-ipaexfont-gothic \
	fonts-seto fonts-klee fonts-yozvox-yozfont fonts-noto-cjk redis-server redis-tools chromium \
	postgresql-client python3-venv docker-compose
DEMO_ENV := INTAKE_VAR_DIR=var INTAKE_REDIS_URL=redis://127.0.0.1:6379/0

.PHONY: setup system venv services test lint demo clean lock

setup: system venv

system:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then echo "installing Debian packages: $$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; fi

venv: $(VENV)/.installed

# Exactly the locked versions (requirements-dev.lock, from `make lock`), then the project itself without resolving.
$(VENV)/.installed: pyproject.toml requirements-dev.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements-dev.lock
	$(BIN)/pip install -q --no-deps -e .
	touch $@

# Re-resolve the locks after changing pyproject.toml's dependencies (the image uses requirements.lock).
LOCK_FLAGS := --quiet --strip-extras --no-emit-index-url --no-emit-find-links
lock: venv
	$(BIN)/pip-compile $(LOCK_FLAGS) -o requirements.lock pyproject.toml
	$(BIN)/pip-compile $(LOCK_FLAGS) --extra dev -o requirements-dev.lock pyproject.toml

# Redis and PostgreSQL on loopback: start them if none answers.
services:
	@redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 || { echo "starting redis-server on 127.0.0.1:6379"; \
	  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no; sleep 1; }
	@pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null || { \
	  if command -v pg_ctlcluster >/dev/null; then echo "starting PostgreSQL"; \
	    pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql | head -1) main start || true; \
	  else echo "no PostgreSQL here: the PostgreSQL half of the tests will say it is skipped and why"; fi; }

lint: venv
	$(BIN)/ruff check intake ocr models review_ui tests tools
	$(BIN)/mypy intake ocr models

test: setup services lint
	$(BIN)/pytest -p no:cacheprovider

demo: setup services
	@bash scripts/demo.sh

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
