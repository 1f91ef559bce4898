#!/usr/bin/env bash
# Builds the dashboard into web/dist with the locked npm packages; skips the work when nothing changed.
set -euo pipefail
cd "$(dirname "$0")/../web"
[ -f package.json ] || { echo "build-web: web/package.json missing"; exit 1; }
stamp=node_modules/.rallyuxr-lock-stamp
if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json "$stamp"
fi
npm run build --silent
