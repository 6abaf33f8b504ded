#!/usr/bin/env bash
# Starts PostgreSQL, Redis, RabbitMQ and the S3-compatible object storage (s3rver, from node_modules,
# with the vouchers' bucket) when they are down, then waits until each answers.
# Idempotent: a server that already answers is left alone. Used by `npm start`, `npm test` and .ci/run.
set -uo pipefail
cd "$(dirname "$0")/../.."

PGHOST_=${EBB_PG_HOST:-127.0.0.1}; PGPORT_=${EBB_PG_PORT:-5432}
REDIS_HOST_=${EBB_REDIS_HOST:-127.0.0.1}; REDIS_PORT_=${EBB_REDIS_PORT:-6379}
AMQP_HOST_=${EBB_AMQP_HOST:-127.0.0.1}; AMQP_PORT_=${EBB_AMQP_PORT:-5672}
S3_HOST_=${EBB_S3_HOST:-127.0.0.1}; S3_PORT_=${EBB_S3_PORT:-4569}; S3_DIR_=${EBB_S3_DIR:-tmp/s3}
S3_BUCKET_=${OBJECT_STORAGE_BUCKET:-ebb-vouchers}
WAIT_SECONDS=${EBB_INFRA_WAIT_SECONDS:-120}

log() { printf '[infra] %s\n' "$*"; }

pg_up() { pg_isready -q -h "$PGHOST_" -p "$PGPORT_" 2>/dev/null; }
redis_up() { [ "$(redis-cli -h "$REDIS_HOST_" -p "$REDIS_PORT_" ping 2>/dev/null)" = "PONG" ]; }
# a TCP accept is not enough for RabbitMQ: the node must have finished booting its apps
rabbit_up() {
  (exec 3<>"/dev/tcp/$AMQP_HOST_/$AMQP_PORT_") 2>/dev/null || return 1
  if command -v rabbitmq-diagnostics >/dev/null 2>&1 && [ "$AMQP_HOST_" = 127.0.0.1 ]; then
    rabbitmq-diagnostics -q check_running >/dev/null 2>&1
  fi
}

start_pg() {
  local version
  version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)
  [ -n "$version" ] || { log "PostgreSQL is not installed (no /etc/postgresql)"; return 1; }
  pg_ctlcluster --skip-systemctl-redirect "$version" main start >/dev/null 2>&1 || true
}
start_redis() {
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$REDIS_PORT_" --save "" \
    --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log >/dev/null 2>&1 || true
}
start_rabbit() { rabbitmq-server -detached >/dev/null 2>&1 || true; }
# s3rver answers any request once it listens; its data stays in $S3_DIR_ (git-ignored) across restarts
s3_up() { (exec 3<>"/dev/tcp/$S3_HOST_/$S3_PORT_") 2>/dev/null; }
start_s3() {
  if [ ! -f node_modules/s3rver/bin/s3rver.js ]; then log "s3rver is not installed: run npm ci first"; return 1; fi
  mkdir -p "$S3_DIR_" tmp
  setsid nohup node node_modules/s3rver/bin/s3rver.js -d "$S3_DIR_" -a "$S3_HOST_" -p "$S3_PORT_" --silent \
    --configure-bucket "$S3_BUCKET_" >tmp/s3rver.log 2>&1 </dev/null &
}

ensure() {
  local name=$1 probe=$2 start=$3 waited=0
  if $probe; then log "$name is up"; return 0; fi
  log "$name is down: starting it"
  $start
  until $probe; do
    sleep 1; waited=$((waited + 1))
    if [ "$waited" -ge "$WAIT_SECONDS" ]; then log "$name did not answer within ${WAIT_SECONDS}s"; return 1; fi
  done
  log "$name is up after ${waited}s"
}

status=0
ensure PostgreSQL pg_up start_pg || status=1
ensure Redis redis_up start_redis || status=1
ensure RabbitMQ rabbit_up start_rabbit || status=1
ensure "object storage (s3rver)" s3_up start_s3 || status=1
exit $status
