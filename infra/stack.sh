#!/usr/bin/env bash
# Starts or stops the project's own Kafka, PostgreSQL, Redis and S3 server for one profile.
#   [KAFKA_BROKERS=3] infra/stack.sh start|stop|status [run|test|chaos|cluster]
#   infra/stack.sh stop-service chaos kafka|kafka-2|kafka-3|postgres|redis|s3
# Every process we start leaves a pid file under .infra/<profile>/pids; stop kills by pid.
# The test and chaos profiles start from empty data every time; the run profile keeps its data.
# KAFKA_BROKERS=3: a three-node KRaft cluster instead of one node (infra/env.sh); the cluster
# profile is that cluster alone (tests/stack/test_kafka_cluster.py).
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

# Kafka nodes (KAFKA_BROKERS of them, see env.sh) are named kafka, kafka-2, kafka-3: their pid
# files, logs and data folders under the profile's state folder.
kafka_node() { if [ "$1" = 1 ]; then echo kafka; else echo "kafka-$1"; fi; }

kafka_properties() {  # node number: that node's server.properties, on stdout
  local i=$1 cluster=() voters="" j
  if [ "$KAFKA_BROKERS" = 3 ]; then
    for j in 1 2 3; do voters="$voters,$j@127.0.0.1:$(kafka_controller_port "$j")"; done
    # Internal topics like ours: 3 replicas, 2 in sync to take a write.
    cluster=(-e "1s#.*#\# Three-node KRaft (each node broker + controller), written by infra/stack.sh.#"
             -e "s#^node.id=.*#node.id=$i#" -e "s#^controller.quorum.voters=.*#controller.quorum.voters=${voters#,}#"
             -e "s#replication.factor=1\$#replication.factor=3#" -e "s#min.isr=1\$#min.isr=2#")
  fi
  sed -e "s#@DIR@#$STATE/$(kafka_node "$i")#" -e "s#@PORT@#$(kafka_port "$i")#" \
    -e "s#@CPORT@#$(kafka_controller_port "$i")#" "${cluster[@]}" "$ROOT/infra/kafka/server.properties"
  if [ "$KAFKA_BROKERS" = 3 ]; then
    # Defaults for topics created without them (Faust's own); never elect a replica that
    # missed acknowledged writes.
    printf '%s\n' min.insync.replicas=2 default.replication.factor=3 unclean.leader.election.enable=false
  fi
}

start_kafka() {
  local lib="$CACHE/kafka/lib" i n d up=0 cid="" made="$STATE/kafka/brokers"
  local heap=(-Xms256m -Xmx512m) formats=()
  local l4j="-Dlog4j2.configurationFile=$ROOT/infra/kafka/log4j2.properties"
  local nodes; nodes=$(seq "$KAFKA_BROKERS")
  for i in $nodes; do if alive "$(kafka_node "$i")"; then up=$((up + 1)); fi; done
  if [ "$up" -gt 0 ] || ! fresh; then
    # A single node's data cannot join a cluster, nor a cluster's node run alone.
    local had; had=$(cat "$made" 2>/dev/null || echo 1)
    if [ -f "$STATE/kafka/data/meta.properties" ] && [ "$had" != "$KAFKA_BROKERS" ]; then
      if [ "$up" -gt 0 ]; then
        log "kafka: a $had-broker Kafka is up, KAFKA_BROKERS=$KAFKA_BROKERS: stack.sh stop $PROFILE first"
      else
        log "kafka: $STATE/kafka holds a $had-broker Kafka's data, KAFKA_BROKERS=$KAFKA_BROKERS:" \
            "remove $STATE/kafka* (that data) or set KAFKA_BROKERS=$had"
      fi
      exit 1
    fi
  fi
  [ "$up" = "$KAFKA_BROKERS" ] && return
  if [ "$up" = 0 ] && fresh; then for i in $nodes; do rm -rf "${STATE:?}/$(kafka_node "$i")"; done; fi
  for i in $nodes; do
    n=$(kafka_node "$i"); d="$STATE/$n"
    alive "$n" && continue
    require_free_port "$n" "$(kafka_port "$i")"
    if [ "$KAFKA_BROKERS" = 3 ]; then require_free_port "$n" "$(kafka_controller_port "$i")"; fi
    mkdir -p "$d"
    kafka_properties "$i" > "$d/server.properties"
  done
  for i in $nodes; do  # a node that lost its data rejoins its cluster
    d="$STATE/$(kafka_node "$i")"
    if [ -f "$d/data/meta.properties" ]; then cid=$(sed -n 's/^cluster.id=//p' "$d/data/meta.properties"); fi
  done
  if [ -z "$cid" ]; then
    # The agents' RocksDB tables record changelog offsets: new Kafka data, new tables.
    rm -rf "$AGENTS_DATA_DIR"
    cid=$(java -Xmx128m "$l4j" -cp "$lib/*" kafka.tools.StorageTool random-uuid)
    echo "$KAFKA_BROKERS" > "$made"
  fi
  for i in $nodes; do  # side by side: a JVM start each
    n=$(kafka_node "$i"); d="$STATE/$n"
    [ -f "$d/data/meta.properties" ] && continue
    java -Xmx128m "$l4j" -cp "$lib/*" kafka.tools.StorageTool format -t "$cid" -c "$d/server.properties" \
      >"$LOGS/$n-format.log" 2>&1 &
    formats+=($!)
  done
  for i in "${formats[@]}"; do wait "$i"; done
  # Three JVMs share the machine: smaller heaps, ample for a test or a local run.
  if [ "$KAFKA_BROKERS" = 3 ]; then heap=(-Xms128m -Xmx320m); fi
  for i in $nodes; do
    n=$(kafka_node "$i"); d="$STATE/$n"
    alive "$n" && continue
    : > "$LOGS/$n.log"
    java "${heap[@]}" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:+ExplicitGCInvokesConcurrent \
      -XX:TieredStopAtLevel=1 -Djava.awt.headless=true "$l4j" -Dkafka.logs.dir="$LOGS" \
      -cp "$lib/*" kafka.Kafka "$d/server.properties" >"$LOGS/$n.log" 2>&1 &
    echo $! > "$PIDS/$n.pid"
  done
  # A node of a cluster is ready once a quorum of controllers is: wait for all together.
  for i in $nodes; do
    n=$(kafka_node "$i")
    wait_for "$n" 90 grep -q 'Kafka Server started' "$LOGS/$n.log"
  done
  log "kafka up on $KAFKA_ADDRESSES"
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
    if [ "$PROFILE" = cluster ]; then start_kafka; else start_postgres; start_redis; start_s3; start_kafka; fi ;;
  stop)
    # Our own processes first (gateway, agents, transcoder), then the services they use.
    for f in "$PIDS"/*.pid; do
      [ -e "$f" ] || continue
      n=$(basename "$f" .pid)
      case "$n" in postgres|redis|kafka|kafka-[0-9]|s3) ;; *) stop_one "$n" ;; esac
    done
    # Kafka nodes all at once: one by one, the last would wait for a quorum that is gone.
    stopping=()
    for n in kafka kafka-2 kafka-3; do stop_one "$n" & stopping+=($!); done
    for p in "${stopping[@]}"; do wait "$p"; done
    for n in s3 redis postgres; do stop_one "$n"; done
    log "stack ($PROFILE) stopped" ;;
  stop-service)
    # One service of a running stack (a chaos fault); `KEEP_DATA=1 stack.sh start` brings it back.
    stop_one "${3:?usage: stack.sh stop-service PROFILE NAME}" ;;
  status)
    for f in "$PIDS"/*.pid; do
      [ -e "$f" ] || continue
      n=$(basename "$f" .pid); alive "$n" && echo "$n up (pid $(cat "$f"))" || echo "$n down"
    done ;;
  *) echo "usage: stack.sh start|stop|status [run|test|chaos|cluster]" >&2; exit 2 ;;
esac
