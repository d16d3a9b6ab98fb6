"""docker-compose.yml cannot run here (no Docker engine): its pieces are checked natively."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml
from django.conf import settings

from tests.conftest import missing_service

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
NGINX_TEMPLATE = "deploy/nginx/registry.conf.template"


def compose_services() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]


def test_compose_has_the_production_shape():
    services = compose_services()
    assert set(services) == {"postgres", "redis", "web", "worker", "beat", "nginx"}
    for name in ("web", "worker", "beat"):
        environment = services[name]["environment"]
        assert environment["DJANGO_SETTINGS_MODULE"] == "registry.settings.production"
        assert environment["DATABASE_URL"].startswith("postgres://")
        assert environment["CELERY_BROKER_URL"].startswith("redis://")
    assert "gunicorn registry.wsgi" in services["web"]["command"]
    assert services["worker"]["command"].startswith("celery -A registry worker")
    assert services["beat"]["command"].startswith("celery -A registry beat")


def test_finding5_only_nginx_publishes_a_port():
    """gunicorn sits behind nginx: no other service is reachable from outside."""
    services = compose_services()
    published = {name for name, service in services.items() if service.get("ports")}
    assert published == {"nginx"}
    assert services["nginx"]["environment"]["REGISTRY_UPSTREAM"] == "web:8000"
    assert "--bind 0.0.0.0:8000" in services["web"]["command"]


def test_finding5_nginx_is_configured_from_the_tested_template():
    """The image renders the same template the integration test runs, with every variable set;
    its body limit defaults to the app's upload limit."""
    nginx = compose_services()["nginx"]
    assert f"./{NGINX_TEMPLATE}:/etc/nginx/templates/default.conf.template:ro" in nginx["volumes"]
    template = (ROOT / NGINX_TEMPLATE).read_text()
    variables = set(re.findall(r"\$\{(\w+)\}", template))
    assert variables == set(nginx["environment"])
    limit = re.fullmatch(
        r"\$\{REGISTRY_UPLOAD_MAX_BODY_BYTES:-(\d+)\}",
        nginx["environment"]["REGISTRY_UPLOAD_MAX_BODY_BYTES"],
    )
    assert limit and int(limit[1]) == settings.REGISTRY_UPLOAD_MAX_BODY_BYTES
    for directive in (
        "client_max_body_size ${REGISTRY_UPLOAD_MAX_BODY_BYTES};",
        "proxy_request_buffering on;",
        "client_body_timeout",
        "client_header_timeout",
        "send_timeout",
        "proxy_set_header X-Forwarded-For $remote_addr;",
    ):
        assert directive in template, directive


def test_the_programs_compose_runs_are_installed():
    """gunicorn and celery come from the project's own dependencies (tested running elsewhere:
    gunicorn in scripts/api_contract_check.sh and tests/integration/test_slow_clients.py, celery
    workers in tests/integration)."""
    for program in ("gunicorn", "celery"):
        assert (BIN / program).exists() or shutil.which(program), program


def test_the_tested_nginx_is_the_composed_version():
    """Debian's nginx (run by tests/integration/test_slow_clients.py) and the compose image share
    their minor version, so the template is tested against the nginx that runs it."""
    if not shutil.which("nginx"):
        missing_service("Debian nginx (scripts/install-system-packages.sh)")
    version = subprocess.run(["nginx", "-v"], capture_output=True, text=True).stderr
    image = compose_services()["nginx"]["image"]
    assert image == "nginx:" + ".".join(re.search(r"nginx/(\d+)\.(\d+)", version).groups())


def test_access_logs_leave_query_strings_out():
    """A search (?q=local id), a filter or a delete reason (?reason=) may hold a direct
    identifier: nginx and gunicorn log the path without its query string, and no referrer
    (review of issue #16)."""
    template = (ROOT / NGINX_TEMPLATE).read_text()
    log_format = re.search(r"log_format registry_no_query (.*?);", template, re.S).group(1)
    for leaky in ("$request ", "$request_uri", "$args", "$query_string", "$http_referer"):
        assert leaky not in log_format, leaky
    assert "access_log /dev/stdout registry_no_query;" in template
    command = compose_services()["web"]["command"]
    assert "--access-logformat" in command and "%(U)s" in command
    for leaky in ("%(r)s", "%(q)s", "%(f)s"):
        assert leaky not in command, leaky
