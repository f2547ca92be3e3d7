#!/usr/bin/env bash
# A castforge cluster on loopback: Postgres (the Dagster instance), Redis (the Celery broker) and two Celery
# workers, one on the "gpu" queue (model steps) and one on the "cpu" queue. Usage: deploy/cluster.sh up|down|env
#   up    start everything (idempotent), write $CLUSTER_DIR/env to source: CASTFORGE_PROFILE=cluster and the URLs
#   down  stop the workers, Redis and Postgres (data kept under $CLUSTER_DIR)
#   env   print the settings of a running cluster
# CASTFORGE_CATALOG=postgres (or a full postgresql:// / ducklake: setting) gives the workers a shared catalog.
# State lives in $CASTFORGE_CLUSTER_DIR (default $CASTFORGE_HOME/cluster). Ports: CASTFORGE_PG_PORT (5439),
# CASTFORGE_REDIS_PORT (6390). Needs Debian's postgresql and redis-server and .venv-cluster.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)
HOME_DIR=${CASTFORGE_HOME:-$REPO/.castforge}
DIR=${CASTFORGE_CLUSTER_DIR:-$HOME_DIR/cluster}
PG_PORT=${CASTFORGE_PG_PORT:-5439}
REDIS_PORT=${CASTFORGE_REDIS_PORT:-6390}
CL=${VENV_CLUSTER:-$REPO/.venv-cluster}
PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}
PGDATA=$DIR/postgres
RUN_AS=()
# Postgres refuses to run as root: as root, the database runs as the postgres user
[ "$(id -u)" = 0 ] && RUN_AS=(runuser -u postgres --)

settings() {
  cat <<EOT
export CASTFORGE_PROFILE=cluster
export CASTFORGE_HOME=$HOME_DIR
export DAGSTER_HOME=$DIR/dagster
export CASTFORGE_POSTGRES_URL=postgresql+psycopg2://castforge@127.0.0.1:$PG_PORT/castforge?connect_timeout=5
export CASTFORGE_CELERY_BROKER=redis://127.0.0.1:$REDIS_PORT/0
export CASTFORGE_CELERY_RESULTS=redis://127.0.0.1:$REDIS_PORT/1
export PYTHONWARNINGS=ignore:Found\ version\ mismatch
EOT
  # the workers load the weights from the folders of the shell that started them
  [ -n "${CASTFORGE_MODELS:-}" ] && echo "export CASTFORGE_MODELS=$CASTFORGE_MODELS"
  # CASTFORGE_CATALOG=postgres puts the catalog's small tables in this cluster's Postgres (resources/catalog_shared.py)
  case "${CASTFORGE_CATALOG:-}" in
    postgres) echo "export CASTFORGE_CATALOG=postgresql://castforge@127.0.0.1:$PG_PORT/castforge" ;;
    ?*) echo "export CASTFORGE_CATALOG='$CASTFORGE_CATALOG'" ;;
  esac
  return 0
}

need() { command -v "$1" >/dev/null || [ -x "$1" ] || { echo "cluster: $1 is missing ($2)" >&2; exit 3; }; }

up() {
  need "$PG_BIN/postgres" "apt-get install postgresql"
  need redis-server "apt-get install redis-server"
  need "$CL/bin/celery" "bash install/setup_cluster.sh"
  mkdir -p "$DIR/logs" "$DIR/dagster"
  settings > "$DIR/env"
  # shellcheck disable=SC1091
  source "$DIR/env"
  if [ ! -s "$PGDATA/PG_VERSION" ]; then
    mkdir -p "$PGDATA"; [ ${#RUN_AS[@]} -gt 0 ] && chown postgres "$PGDATA"
    chmod 700 "$PGDATA"
    "${RUN_AS[@]}" "$PG_BIN/initdb" -D "$PGDATA" -U castforge --auth=trust -E UTF8 >"$DIR/logs/initdb.log"
  fi
  [ ${#RUN_AS[@]} -gt 0 ] && chown postgres "$DIR/logs" "$PGDATA"
  chmod 700 "$PGDATA"   # Postgres refuses a data folder others can read
  if ! "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT"; then
    "${RUN_AS[@]}" "$PG_BIN/pg_ctl" -D "$PGDATA" -l "$DIR/logs/postgres.log" -w -t 30 \
      -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PGDATA" start >/dev/null
  fi
  "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U castforge -d postgres -tAc \
    "SELECT 1 FROM pg_database WHERE datname='castforge'" | grep -q 1 \
    || "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U castforge castforge
  if ! redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null 2>&1; then
    redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$DIR" --save "" --appendonly no \
      --daemonize yes --pidfile "$DIR/redis.pid" --logfile "$DIR/logs/redis.log"
    for _ in $(seq 50); do redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
  fi
  cp deploy/dagster.cluster.yaml "$DAGSTER_HOME/dagster.yaml"
  for queue in gpu cpu; do
    if [ -s "$DIR/worker-$queue.pid" ] && kill -0 "$(cat "$DIR/worker-$queue.pid")" 2>/dev/null; then continue; fi
    # one process per worker: the gpu worker holds one model set; acks_late puts a killed worker's step back
    PYTHONPATH="$REPO${PYTHONPATH:+:$PYTHONPATH}" "$CL/bin/celery" -A orchestration.celery_app worker -Q "$queue" -c "${CASTFORGE_WORKER_CONCURRENCY:-1}" \
      -n "$queue@%h" --prefetch-multiplier=1 -l INFO --detach \
      --pidfile="$DIR/worker-$queue.pid" --logfile="$DIR/logs/worker-$queue.log"
  done
  for _ in $(seq 100); do
    [ "$("$CL/bin/celery" -A orchestration.celery_app inspect ping -t 1 2>/dev/null | grep -c pong)" -ge 2 ] && break
    sleep 0.5
  done
  echo "cluster up: Postgres 127.0.0.1:$PG_PORT, Redis 127.0.0.1:$REDIS_PORT, workers gpu + cpu (logs $DIR/logs)"
  echo "use it: source $DIR/env"
}

down() {
  for queue in gpu cpu; do
    pidfile=$DIR/worker-$queue.pid
    if [ -s "$pidfile" ]; then
      pid=$(cat "$pidfile"); kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      rm -f "$pidfile"
    fi
  done
  redis-cli -h 127.0.0.1 -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
  if [ -s "$PGDATA/postmaster.pid" ]; then
    "${RUN_AS[@]}" "$PG_BIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null || true
  fi
  echo "cluster down (state kept in $DIR)"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  env) settings ;;
  *) echo "usage: $0 up|down|env" >&2; exit 2 ;;
esac
