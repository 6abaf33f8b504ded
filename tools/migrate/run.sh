#!/usr/bin/env bash
# `npm run migrate`: creates each service's database if missing and applies its pending migrations.
# Every app that owns a database has `src/migrate.ts` (the same migrations it runs before it listens).
set -euo pipefail
cd "$(dirname "$0")/../.."
bash tools/infra/up.sh
shopt -s nullglob
found=0
for entry in apps/*/src/migrate.ts; do
  found=1
  app=$(basename "$(dirname "$(dirname "$entry")")")
  echo "── migrating $app"
  node -r ./tools/register.js "$entry"
done
[ "$found" -eq 1 ] || echo "no service databases to migrate yet"
