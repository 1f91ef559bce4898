#!/usr/bin/env bash
# Installs every Debian package the build and the tests need, only when something is missing.
# Idempotent: a second run on a ready machine does nothing but a dpkg query.
set -euo pipefail

PKGS=(
  build-essential cmake ninja-build pkg-config
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libsqlite3-dev sqlite3
  libspdlog-dev libfmt-dev libcli11-dev libhowardhinnant-date-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libpq-dev zlib1g-dev libssl-dev postgresql libsimdjson-dev
  curl ca-certificates python3 python3-yaml procps
)
# Extra groups, asked for by the Makefile targets that need them.
for extra in "$@"; do
  case "$extra" in
    web)      PKGS+=(nodejs npm) ;;
    e2e)      PKGS+=(nodejs npm chromium) ;;
    postgres) PKGS+=(postgresql) ;;
    bench)    PKGS+=(wrk nginx-light) ;;
    fuzz)     PKGS+=(clang libclang-rt-14-dev) ;;
  esac
done

missing=()
for p in "${PKGS[@]}"; do
  # nodejs from another repository (a newer one) counts as present, as does npm bundled with it.
  case "$p" in
    nodejs) command -v node >/dev/null 2>&1 && continue ;;
    npm)    command -v npm  >/dev/null 2>&1 && continue ;;
  esac
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [ "$status" = "installed" ] || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
