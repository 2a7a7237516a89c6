#!/usr/bin/env bash
# Starts or stops the project's own Kafka, PostgreSQL, Redis and S3 server for one profile.
#   infra/stack.sh start|stop|status [run|test|chaos]
#   infra/stack.sh stop-service chaos kafka|postgres|redis|s3
# Every process we start leaves a pid file under .infra/<profile>/pids; stop kills by pid.
# The test and chaos profiles start from empty data every time; the run profile keeps its data.
set -euo pipefail
ACTION=${1:?usage: stack.sh start|stop|status [run|test]}
PROFILE=${2:-${PROFILE:-run}}
. "$(dirname "$0")/env.sh"
PIDS="$STATE/pids"; LOGS="$STATE/logs"
mkdir -p "$PIDS" "$LOGS"
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)

# Throwaway profiles (test, chaos) start from empty data, unless KEEP_DATA=1 (a chaos run
# restarting one service of a live stack).
fresh() { [ "$PROFILE" != run ] && [ -z "${KEEP_DATA:-}" ]; }

alive() { [ -f "$PIDS/$1.pid" ] && kill -0 "$(cat "$PIDS/$1.pid")" 2>/dev/null; }

wait_for() {  # name, seconds, command...
  local name=$1 secs=$2; shift 2
  for _ in $(seq $((secs * 4))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.25; done
  log "$name did not become ready in ${secs}s; last log lines:"; tail -n 30 "$LOGS/$name.log" >&2 || true
  return 1
}

require_free_port() {  # name, port: refuse to start next to a stranger on our port
  if (exec 3<>"/dev/tcp/127.0.0.1/$2") 2>/dev/null; then
    log "$1: port $2 is taken by a process that is not ours (see: ss -ltnp | grep :$2)"; exit 1
  fi
}

start_postgres() {
  alive postgres && return
  require_free_port postgres "$PG_PORT"
  local d="$STATE/postgres"
  fresh && rm -rf "$d"
  if [ ! -f "$d/data/PG_VERSION" ]; then
    mkdir -p "$d"; chown -R postgres:postgres "$d"
    runuser -u postgres -- "$PGBIN/initdb" -D "$d/data" -U postgres -A trust -E UTF8 --no-sync >"$LOGS/postgres-init.log"
  fi
  chown -R postgres:postgres "$d"; touch "$LOGS/postgres.log"; chown postgres "$LOGS/postgres.log"
  local fast=""
  # Test data is thrown away: durability costs time and buys nothing there.
  [ "$PROFILE" != run ] && fast="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
  runuser -u postgres -- "$PGBIN/pg_ctl" -D "$d/data" -l "$LOGS/postgres.log" -w -t 60 \
    -o "-p $PG_PORT -k $d -c listen_addresses=127.0.0.1 -c max_connections=200 $fast" start >/dev/null
  head -1 "$d/data/postmaster.pid" > "$PIDS/postgres.pid"
  psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='lecturecast'" | grep -q 1 \
    || createdb -h 127.0.0.1 -p "$PG_PORT" -U postgres lecturecast
  log "postgres up on 127.0.0.1:$PG_PORT"
}

start_redis() {
  alive redis && return
  require_free_port redis "$REDIS_PORT"
  local d="$STATE/redis"; mkdir -p "$d"
  local persist=(--save "" --appendonly no)
  [ "$PROFILE" = run ] && persist=(--save "60 1000" --appendonly no)
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$d" --daemonize no "${persist[@]}" \
    >"$LOGS/redis.log" 2>&1 &
  echo $! > "$PIDS/redis.pid"
  wait_for redis 20 redis-cli -p "$REDIS_PORT" ping
  log "redis up on 127.0.0.1:$REDIS_PORT"
}

start_kafka() {
  alive kafka && return
  require_free_port kafka "$KAFKA_PORT"
  local d="$STATE/kafka" lib="$CACHE/kafka/lib"
  local l4j="-Dlog4j2.configurationFile=$ROOT/infra/kafka/log4j2.properties"
  fresh && rm -rf "$d"
  mkdir -p "$d"
  sed -e "s#@DIR@#$d#" -e "s#@PORT@#$KAFKA_PORT#" -e "s#@CPORT@#$KAFKA_CONTROLLER_PORT#" \
    "$ROOT/infra/kafka/server.properties" > "$d/server.properties"
  if [ ! -f "$d/data/meta.properties" ]; then
    # The agents' RocksDB tables record changelog offsets: new Kafka data, new tables.
    rm -rf "$AGENTS_DATA_DIR"
    local cid; cid=$(java -Xmx128m "$l4j" -cp "$lib/*" kafka.tools.StorageTool random-uuid)
    java -Xmx128m "$l4j" -cp "$lib/*" kafka.tools.StorageTool format -t "$cid" -c "$d/server.properties" \
      >"$LOGS/kafka-format.log" 2>&1
  fi
  : > "$LOGS/kafka.log"
  java -Xms256m -Xmx512m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:+ExplicitGCInvokesConcurrent \
    -XX:TieredStopAtLevel=1 -Djava.awt.headless=true "$l4j" -Dkafka.logs.dir="$LOGS" \
    -cp "$lib/*" kafka.Kafka "$d/server.properties" >"$LOGS/kafka.log" 2>&1 &
  echo $! > "$PIDS/kafka.pid"
  wait_for kafka 90 grep -q 'Kafka Server started' "$LOGS/kafka.log"
  log "kafka up on 127.0.0.1:$KAFKA_PORT"
}

start_s3() {
  alive s3 && return
  require_free_port s3 "$S3_PORT"
  local d="$STATE/s3"
  fresh && rm -rf "$d"
  mkdir -p "$d/data" "$d/meta"
  ROOT_ACCESS_KEY=$S3_ROOT_ACCESS_KEY ROOT_SECRET_KEY=$S3_ROOT_SECRET_KEY \
    "$CACHE/bin/versitygw" --port "127.0.0.1:$S3_PORT" posix --sidecar "$d/meta" "$d/data" \
    >"$LOGS/s3.log" 2>&1 &
  echo $! > "$PIDS/s3.pid"
  wait_for s3 20 bash -c "exec 3<>/dev/tcp/127.0.0.1/$S3_PORT"
  log "s3 (versitygw) up on 127.0.0.1:$S3_PORT"
}

stop_one() {
  local name=$1 pid
  [ -f "$PIDS/$name.pid" ] || return 0
  pid=$(cat "$PIDS/$name.pid")
  if kill -0 "$pid" 2>/dev/null; then
    if [ "$name" = postgres ]; then
      runuser -u postgres -- "$PGBIN/pg_ctl" -D "$STATE/postgres/data" -m fast -w stop >/dev/null || kill "$pid"
    else
      kill "$pid" 2>/dev/null || true
    fi
    for _ in $(seq 120); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -0 "$pid" 2>/dev/null && { log "$name ($pid) ignored SIGTERM; killing"; kill -9 "$pid" 2>/dev/null || true; }
  fi
  rm -f "$PIDS/$name.pid"
}

case "$ACTION" in
  start)
    start_postgres; start_redis; start_s3; start_kafka ;;
  stop)
    # Our own processes first (gateway, agents, transcoder), then the services they use.
    for f in "$PIDS"/*.pid; do
      [ -e "$f" ] || continue
      n=$(basename "$f" .pid)
      case "$n" in postgres|redis|kafka|s3) ;; *) stop_one "$n" ;; esac
    done
    for n in kafka s3 redis postgres; do stop_one "$n"; done
    log "stack ($PROFILE) stopped" ;;
  stop-service)
    # One service of a running stack (a chaos fault); `KEEP_DATA=1 stack.sh start` brings it back.
    stop_one "${3:?usage: stack.sh stop-service PROFILE NAME}" ;;
  status)
    for f in "$PIDS"/*.pid; do
      [ -e "$f" ] || continue
      n=$(basename "$f" .pid); alive "$n" && echo "$n up (pid $(cat "$f"))" || echo "$n down"
    done ;;
  *) echo "usage: stack.sh start|stop|status [run|test|chaos]" >&2; exit 2 ;;
esac
