"""docker-compose.yml cannot run here (no Docker engine): its pieces are checked natively."""

import shutil
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def test_compose_has_the_production_shape():
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    assert set(services) == {"postgres", "redis", "web", "worker", "beat"}
    for name in ("web", "worker", "beat"):
        environment = services[name]["environment"]
        assert environment["DJANGO_SETTINGS_MODULE"] == "registry.settings.production"
        assert environment["DATABASE_URL"].startswith("postgres://")
        assert environment["CELERY_BROKER_URL"].startswith("redis://")
    assert "gunicorn registry.wsgi" in services["web"]["command"]
    assert services["worker"]["command"].startswith("celery -A registry worker")
    assert services["beat"]["command"].startswith("celery -A registry beat")


def test_the_programs_compose_runs_are_installed():
    """gunicorn and celery come from the project's own dependencies (tested running elsewhere:
    gunicorn in scripts/api_contract_check.sh, celery workers in tests/integration)."""
    for program in ("gunicorn", "celery"):
        assert (BIN / program).exists() or shutil.which(program), program
