#!/usr/bin/env bash
# Builds the dashboard into web/dist with the locked npm packages; skips the work when nothing changed.
set -euo pipefail
cd "$(dirname "$0")/../web"
# Debian's node trusts its own CA list; point it at the system's too, so that a registry reached
# through a proxy with a locally installed CA (update-ca-certificates) works.
if [ -z "${NODE_EXTRA_CA_CERTS:-}" ] && [ -f /etc/ssl/certs/ca-certificates.crt ]; then
  export NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
fi
[ -f package.json ] || { echo "build-web: web/package.json missing"; exit 1; }
stamp=node_modules/.rallyuxr-lock-stamp
if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json "$stamp"
fi
npm run build --silent
