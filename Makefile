# Two commands on a fresh machine: `make run` (install, migrate, seed once, serve) and `make test`.
# With DATABASE_URL / CELERY_BROKER_URL set they use PostgreSQL and a real broker.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
UV := .tools/bin/uv
UV_VERSION := 0.13.9
HOST ?= 127.0.0.1:8000
DEMO_PATIENTS ?= 200
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: install run test lint bench worker clean

install: $(VENV)/.installed

# The OpenID provider of the single sign-on tests (tests/oidc_provider, pinned by its
# package-lock.json). Without npm the SSO tests skip (and fail under REGISTRY_REQUIRE_SERVICES=1).
OIDC_PROVIDER := tests/oidc_provider
.PHONY: oidc-provider
oidc-provider: $(OIDC_PROVIDER)/node_modules/.package-lock.json

$(OIDC_PROVIDER)/node_modules/.package-lock.json: $(OIDC_PROVIDER)/package-lock.json
	@if command -v npm >/dev/null; then cd $(OIDC_PROVIDER) && npm ci --no-audit --no-fund; \
	else echo "npm not found: the single sign-on tests will skip"; fi

# axe-core for the accessibility tests (tests/a11y, pinned by its package-lock.json), injected
# into each page by Playwright. Without npm those tests skip (and fail under REGISTRY_REQUIRE_SERVICES=1).
A11Y := tests/a11y
.PHONY: axe-core
axe-core: $(A11Y)/node_modules/.package-lock.json

$(A11Y)/node_modules/.package-lock.json: $(A11Y)/package-lock.json
	@if command -v npm >/dev/null; then cd $(A11Y) && npm ci --no-audit --no-fund; \
	else echo "npm not found: the accessibility tests will skip"; fi

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet "uv==$(UV_VERSION)"

$(VENV)/.installed: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --python $(PYTHON)
	@touch $@

run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo --if-empty --patients $(DEMO_PATIENTS)
	$(PY) manage.py runserver $(HOST)

test: install oidc-provider axe-core
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	$(PY) manage.py makemigrations --check --dry-run

bench: install
	$(PY) benchmarks/run.py $(BENCH_ARGS)

worker: install
	$(VENV)/bin/celery -A registry worker --loglevel INFO

# Debian packages for the DICOM tests and benchmark (dcmtk, orthanc, socat); needs root or sudo.
.PHONY: system-packages
system-packages:
	scripts/install-system-packages.sh

clean:
	rm -rf $(VENV) .tools var/registry.sqlite3
