#!/usr/bin/env bash
# API contract check: schemathesis against the server's own OpenAPI schema, served the way
# production serves it (gunicorn, production settings, PostgreSQL), authenticated as a clinician.
#
# Fails on any 5xx and on any response the schema does not describe (status code, content type,
# headers, body). Runs on a scratch database (<DATABASE_URL's name>_contract) seeded with the demo
# cohort, so the fuzzer's writes and deletes touch nothing else; it is dropped on exit.
#
# Arguments are passed to schemathesis (e.g. --include-path-regex lesions to replay one area).
# Both runs last their whole time budget: schemathesis keeps fuzzing until it is spent.
# Env: DATABASE_URL (postgres://...; required), CONTRACT_PORT (default: a free port),
#      CONTRACT_EXAMPLES (per operation, default 30), CONTRACT_MAX_SECONDS (clinician run,
#      default 200), CONTRACT_ADMIN_SECONDS (center admin run on memberships, default 40),
#      CONTRACT_SEED (default: random; printed, so a failure can be replayed).
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\n== %s\n' "$*"; }

case "${DATABASE_URL:-}" in
  postgres://* | postgresql://*) ;;
  *) echo "api_contract_check: set DATABASE_URL to a postgres:// URL" >&2; exit 2 ;;
esac
base_url="${DATABASE_URL%%\?*}"
scratch_db="${base_url##*/}_contract"
server_url="${base_url%/*}"
admin_url="$server_url/postgres"
workdir="$(mktemp -d -t api-contract-XXXXXX)"
gunicorn_pid=""
examples="${CONTRACT_EXAMPLES:-30}"
max_seconds="${CONTRACT_MAX_SECONDS:-200}"
admin_seconds="${CONTRACT_ADMIN_SECONDS:-40}"
seed="${CONTRACT_SEED:-$RANDOM$RANDOM}"

cleanup() {
  status=$?
  if [ -n "$gunicorn_pid" ] && kill -0 "$gunicorn_pid" 2>/dev/null; then
    kill -TERM "$gunicorn_pid" 2>/dev/null || true
    for _ in $(seq 1 20); do kill -0 "$gunicorn_pid" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "$gunicorn_pid" 2>/dev/null || true
  fi
  psql -q "$admin_url" -c "DROP DATABASE IF EXISTS \"$scratch_db\" WITH (FORCE)" >/dev/null || true
  if [ "$status" -ne 0 ] && [ -f "$workdir/gunicorn.log" ]; then
    echo "--- server errors (gunicorn log without the 4xx warnings) ---" >&2
    grep -v ' WARNING django.request ' "$workdir/gunicorn.log" | tail -n 300 >&2
  fi
  rm -rf "$workdir"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

random_key() { .venv/bin/python -c "import secrets; print(secrets.token_urlsafe(48))"; }

# Production settings with what they require; no broker: tasks run in-process, so nothing
# is queued for another environment's workers.
export DATABASE_URL="$server_url/$scratch_db"
export DJANGO_SETTINGS_MODULE=registry.settings.production
export DJANGO_SECRET_KEY="$(random_key)"
export REGISTRY_DICOM_UID_KEY="$(random_key)"
export REGISTRY_EXPORT_KEY="$(random_key)"
export DJANGO_ALLOWED_HOSTS=127.0.0.1,localhost
export DJANGO_SECURE_SSL_REDIRECT=false
export DJANGO_MEDIA_ROOT="$workdir/media"
export REGISTRY_THROTTLE_USER=100000/min
export REGISTRY_THROTTLE_ANON=100000/min
export CELERY_BROKER_URL=""

log "Scratch database $scratch_db"
psql -q "$admin_url" -c "DROP DATABASE IF EXISTS \"$scratch_db\" WITH (FORCE)" >/dev/null
psql -q "$admin_url" -c "CREATE DATABASE \"$scratch_db\"" >/dev/null
.venv/bin/python manage.py migrate --noinput -v0
.venv/bin/python manage.py seed_demo --patients 30 >/dev/null
token_of() { sed -n 's/^API token.*: //p'; }
token="$(.venv/bin/python manage.py registry_user token clinician@demo-north.example.org | token_of)"
# Memberships answer 403 to clinicians: a center admin's token exercises them.
admin_token="$(.venv/bin/python manage.py registry_user add admin@demo-north.example.org \
  --center demo-north --role center_admin --token | token_of)"
[ -n "$token" ] && [ -n "$admin_token" ] || { echo "api_contract_check: no token" >&2; exit 1; }

port="${CONTRACT_PORT:-$(.venv/bin/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}"
base="http://127.0.0.1:$port"
log "gunicorn on $base"
.venv/bin/gunicorn registry.wsgi --bind "127.0.0.1:$port" --workers 2 --timeout 60 \
  --error-logfile - >"$workdir/gunicorn.log" 2>&1 &
gunicorn_pid=$!
for _ in $(seq 1 60); do
  curl -fsS "$base/health/" >/dev/null 2>&1 && break
  kill -0 "$gunicorn_pid" 2>/dev/null || { echo "gunicorn exited" >&2; exit 1; }
  sleep 0.5
done
curl -fsS "$base/health/" || { echo "gunicorn did not become healthy" >&2; exit 1; }
echo

# Any 5xx, and any status code, content type, header or body the schema does not describe.
checks=not_a_server_error,status_code_conformance,content_type_conformance
checks=$checks,response_headers_conformance,response_schema_conformance
contract() {  # contract TOKEN SECONDS [schemathesis options]
  local bearer="$1" seconds="$2"
  shift 2
  .venv/bin/schemathesis run "$base/api/schema/" \
    --header "Authorization: Bearer $bearer" \
    --checks "$checks" \
    --phases examples,coverage,fuzzing,stateful \
    --max-examples "$examples" \
    --max-time "$seconds" \
    --seed "$seed" \
    --workers 1 \
    --request-timeout 30 \
    --generation-database none \
    --no-color \
    "$@"
}

failed=0
log "schemathesis as a clinician, every operation (seed $seed, $examples examples, ${max_seconds} s)"
contract "$token" "$max_seconds" "$@" || failed=1
log "schemathesis as a center admin, memberships (seed $seed, ${admin_seconds} s)"
contract "$admin_token" "$admin_seconds" --include-path-regex '^/api/v1/memberships/' "$@" \
  || failed=1
exit "$failed"
