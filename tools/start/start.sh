#!/usr/bin/env bash
# `npm start`: starts PostgreSQL, Redis and RabbitMQ if they are down, migrates every service database,
# then runs every app (apps/*/src/main.ts) with local defaults, each log line prefixed with its app.
# Ctrl-C stops them all (each gets SIGTERM and shuts down gracefully).
# EBB_NODE_FLAGS adds node flags to every app, e.g. EBB_NODE_FLAGS="--cpu-prof --cpu-prof-dir=tmp/prof"
# (profiles are written when the apps stop).
set -uo pipefail
cd "$(dirname "$0")/../.."
export NODE_ENV=${NODE_ENV:-development}
# a fresh clone: install the pinned dependencies first
[ -x node_modules/.bin/jest ] || npm ci --no-audit --no-fund || exit 1
bash tools/infra/up.sh || exit 1
bash tools/migrate/run.sh || exit 1
# the operator console (apps/console): its page built once, served on CONSOLE_PORT (3000) beside the services,
# and every service grants CORS to its origin (unless CORS_ORIGINS says otherwise)
CONSOLE_PORT=${CONSOLE_PORT:-3000}
export CORS_ORIGINS=${CORS_ORIGINS:-http://localhost:${CONSOLE_PORT},http://127.0.0.1:${CONSOLE_PORT}}
npm run --silent console:build || exit 1

shopt -s nullglob
mains=(apps/*/src/main.ts)
if [ ${#mains[@]} -eq 0 ]; then
  echo "no apps to start yet"
  exit 0
fi

pids=()
stop() {
  echo "stopping ${#pids[@]} apps…"
  kill -TERM "${pids[@]}" 2>/dev/null
  wait "${pids[@]}" 2>/dev/null
  exit 0
}
trap stop INT TERM

for main in "${mains[@]}"; do
  app=$(basename "$(dirname "$(dirname "$main")")")
  # shellcheck disable=SC2086 # the flags are words on purpose
  port_env=()
  [ "$app" = console ] && port_env=(PORT="$CONSOLE_PORT")
  env "${port_env[@]}" node ${EBB_NODE_FLAGS:-} -r ./tools/register.js "$main" > >(sed -u "s/^/[$app] /") 2>&1 &
  pids+=($!)
done
echo "started: ${mains[*]}"
echo "operator console: http://localhost:${CONSOLE_PORT}"
wait "${pids[@]}"
