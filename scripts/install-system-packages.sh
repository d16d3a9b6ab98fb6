#!/usr/bin/env bash
# Debian packages the tests and benchmarks need beyond Python: chromium (the browser tests,
# driven by Playwright; never a Playwright browser download), dcmtk (echoscu, storescu, img2dcm,
# dcmodify, dcmdump for the DICOM tests), orthanc (the benchmark's peer receiver) and socat (to
# reach Orthanc inside its loopback-only network namespace, see shared/RECIPES.md), nginx (the
# reverse proxy of docker-compose.yml, run natively by tests/integration/test_slow_clients.py).
# Idempotent: `apt-get update` runs only when a package is missing. Run as root (CI is root).
set -euo pipefail

PACKAGES=(dcmtk orthanc socat chromium nginx)

missing=()
for package in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "System packages present: ${PACKAGES[*]}"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  SUDO=sudo
else
  SUDO=
fi
echo "Installing: ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
# The tests start their own nginx on loopback; Debian's default site would listen on port 80 of
# every interface where apt starts services (it does not in containers).
if command -v systemctl >/dev/null && systemctl is-active --quiet nginx 2>/dev/null; then
  $SUDO systemctl disable --now nginx
fi
