# Sourced by the infra scripts: paths, ports and the application environment of one profile.
# Usage: PROFILE=run|test|chaos|cluster [KAFKA_BROKERS=1|3]; . infra/env.sh
# `run`, `test`, `chaos` and `cluster` use different ports and state folders so all can be up at once.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PROFILE=${PROFILE:-run}
CACHE="$ROOT/.infra/cache"            # downloads and builds, kept between runs
STATE="$ROOT/.infra/$PROFILE"          # data, logs and pid files of one profile
VENV="$ROOT/.venv"
PY="$VENV/bin/python"
VERSITYGW_VERSION=v1.7.0

case "$PROFILE" in
  run)  KAFKA_PORT=9092;  KAFKA_CONTROLLER_PORT=9093;  PG_PORT=5433;  REDIS_PORT=6380;  S3_PORT=7070;  GW_PORT=8080 ;;
  # STACK_SLOT (1-5, default 1) shifts the test ports by 10000s so that several checkouts can
  # each run their own test stack on one machine: slot 1 = 19092, 15433, ...; slot 2 = 29092, ...
  test) SLOT=${STACK_SLOT:-1}
        case "$SLOT" in [1-5]) ;; *) echo "STACK_SLOT=$SLOT: use 1-5" >&2; return 2 ;; esac
        KAFKA_PORT=$((SLOT*10000+9092)); KAFKA_CONTROLLER_PORT=$((SLOT*10000+9093))
        PG_PORT=$((SLOT*10000+5433)); REDIS_PORT=$((SLOT*10000+6380)); S3_PORT=$((SLOT*10000+7070))
        GW_PORT=$((SLOT*10000+8080)) ;;
  # The chaos runs (bench/chaos.py, tests/chaos) own a throwaway stack of their own, 100 ports
  # above the slot's test stack, since they kill and restart its services.
  chaos) SLOT=${STACK_SLOT:-1}
        case "$SLOT" in [1-5]) ;; *) echo "STACK_SLOT=$SLOT: use 1-5" >&2; return 2 ;; esac
        KAFKA_PORT=$((SLOT*10000+9192)); KAFKA_CONTROLLER_PORT=$((SLOT*10000+9193))
        PG_PORT=$((SLOT*10000+5533)); REDIS_PORT=$((SLOT*10000+6480)); S3_PORT=$((SLOT*10000+7170))
        GW_PORT=$((SLOT*10000+8180)) ;;
  # The throwaway three-broker Kafka of tests/stack/test_kafka_cluster.py, 200 ports above the
  # slot's test stack (slot 1: 19292-19297); stack.sh starts only its Kafka.
  cluster) SLOT=${STACK_SLOT:-1}
        case "$SLOT" in [1-5]) ;; *) echo "STACK_SLOT=$SLOT: use 1-5" >&2; return 2 ;; esac
        KAFKA_PORT=$((SLOT*10000+9292)); KAFKA_CONTROLLER_PORT=$((SLOT*10000+9293))
        PG_PORT=$((SLOT*10000+5633)); REDIS_PORT=$((SLOT*10000+6580)); S3_PORT=$((SLOT*10000+7270))
        GW_PORT=$((SLOT*10000+8280)) ;;
  *) echo "unknown PROFILE=$PROFILE (run|test|chaos|cluster)" >&2; return 2 ;;
esac

# KAFKA_BROKERS=3 (default 1) makes Kafka a three-node KRaft cluster, each node a broker and a
# controller: node i listens on KAFKA_PORT + 2(i-1) and its controller on the port above (slot 1:
# 19092-19097), and the project's topics get 3 replicas, 2 of which must have a write.
KAFKA_BROKERS=${KAFKA_BROKERS:-1}
if [ "$PROFILE" = cluster ]; then KAFKA_BROKERS=3; fi
case "$KAFKA_BROKERS" in
  1) KAFKA_RF=1; KAFKA_MIN_ISR=1 ;;
  3) KAFKA_RF=3; KAFKA_MIN_ISR=2 ;;
  *) echo "KAFKA_BROKERS=$KAFKA_BROKERS: use 1 or 3" >&2; return 2 ;;
esac
kafka_port() { echo $((KAFKA_PORT + 2 * ($1 - 1))); }
kafka_controller_port() { echo $((KAFKA_CONTROLLER_PORT + 2 * ($1 - 1))); }
KAFKA_ADDRESSES=$(for i in $(seq "$KAFKA_BROKERS"); do printf '127.0.0.1:%s,' "$(kafka_port "$i")"; done)
KAFKA_ADDRESSES=${KAFKA_ADDRESSES%,}

# Secrets of the local stack: generated once per profile into its state folder, never committed.
generated_secret() {
  local f="$STATE/$1"
  if [ ! -s "$f" ]; then
    mkdir -p "$STATE"; (umask 077; head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$f")
  fi
  cat "$f"
}
S3_ROOT_ACCESS_KEY=lecturecast
S3_ROOT_SECRET_KEY=$(generated_secret s3-secret)

# Settings given in the environment win; these are the stack's own addresses otherwise.
if [ "$PROFILE" != run ]; then
  # Tests always talk to the test stack, whatever the caller's shell exports.
  export DATABASE_URL="postgresql://postgres@127.0.0.1:$PG_PORT/lecturecast"
  export REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
  export KAFKA_BOOTSTRAP_SERVERS="$KAFKA_ADDRESSES"
  export KAFKA_REPLICATION_FACTOR=$KAFKA_RF KAFKA_MIN_INSYNC_REPLICAS=$KAFKA_MIN_ISR
  export S3_ENDPOINT_URL="http://127.0.0.1:$S3_PORT"
  export S3_ACCESS_KEY=$S3_ROOT_ACCESS_KEY S3_SECRET_KEY=$S3_ROOT_SECRET_KEY
  export KAFKA_PARTITIONS=2 GATEWAY_PORT=$GW_PORT
  export AGENTS_DATA_DIR="$STATE/faust"
  export AUTH_JWT_SECRET=$(generated_secret jwt-secret)
else
  export DATABASE_URL=${DATABASE_URL:-"postgresql://postgres@127.0.0.1:$PG_PORT/lecturecast"}
  export REDIS_URL=${REDIS_URL:-"redis://127.0.0.1:$REDIS_PORT/0"}
  export KAFKA_BOOTSTRAP_SERVERS=${KAFKA_BOOTSTRAP_SERVERS:-"$KAFKA_ADDRESSES"}
  if [ "$KAFKA_BROKERS" = 3 ]; then
    export KAFKA_REPLICATION_FACTOR=${KAFKA_REPLICATION_FACTOR:-3}
    export KAFKA_MIN_INSYNC_REPLICAS=${KAFKA_MIN_INSYNC_REPLICAS:-2}
  fi
  export S3_ENDPOINT_URL=${S3_ENDPOINT_URL:-"http://127.0.0.1:$S3_PORT"}
  export S3_ACCESS_KEY=${S3_ACCESS_KEY:-$S3_ROOT_ACCESS_KEY}
  export S3_SECRET_KEY=${S3_SECRET_KEY:-$S3_ROOT_SECRET_KEY}
  export GATEWAY_PORT=${GATEWAY_PORT:-$GW_PORT}
  export AGENTS_DATA_DIR=${AGENTS_DATA_DIR:-"$STATE/faust"}
  [ -n "${AUTH_JWT_SECRET:-}${AUTH_JWT_PUBLIC_KEY:-}" ] || export AUTH_JWT_SECRET=$(generated_secret jwt-secret)
fi
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
if [ "$PROFILE" != run ]; then
  # Tells the suite that the test stack is up (stack tests are skipped without it).
  export LECTURECAST_STACK=test LECTURECAST_TEST_DATABASE_URL=$DATABASE_URL
fi

# CloudFront signing keys of the local CDN (gateway/local_cdn.py), generated once per profile.
# `run` keeps keys given in the environment; `test` always uses its own so the suite can sign.
if { [ "$PROFILE" != run ] || [ -z "${CLOUDFRONT_PRIVATE_KEY_PEM:-}" ]; } && command -v openssl >/dev/null; then
  CF_DIR="$STATE/cloudfront"
  if [ ! -s "$CF_DIR/public.pem" ]; then
    # Built aside and renamed into place: two scripts sourcing this at once keep one pair.
    mkdir -p "$STATE"; CF_TMP=$(mktemp -d "$STATE/.cloudfront.XXXXXX")
    (umask 077; openssl genrsa -out "$CF_TMP/private.pem" 2048 2>/dev/null \
      && openssl rsa -in "$CF_TMP/private.pem" -pubout -out "$CF_TMP/public.pem" 2>/dev/null) \
      && mv -T "$CF_TMP" "$CF_DIR" 2>/dev/null || rm -rf "$CF_TMP"
  fi
  if [ -s "$CF_DIR/public.pem" ]; then
    export CLOUDFRONT_PRIVATE_KEY_PEM="$(cat "$CF_DIR/private.pem")"
    export CLOUDFRONT_PUBLIC_KEY_PEM="$(cat "$CF_DIR/public.pem")" CLOUDFRONT_KEY_PAIR_ID=KDEVLOCAL
  fi
fi
