#!/usr/bin/env bash
# Installs what lecturecast needs and is missing: Debian packages (PostgreSQL, Redis, ffmpeg,
# Chromium for the browser tests), the Python venv, the pages' npm packages, the Kafka jars from
# Maven Central and the versitygw S3 server.
# Idempotent and cached: a second run only checks stamps.
set -euo pipefail
. "$(dirname "$0")/env.sh"
mkdir -p "$CACHE"

stamp_ok() { [ -f "$1" ] && [ "$(cat "$1")" = "$2" ]; }

install_debian_packages() {
  local missing=()
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
  command -v redis-server >/dev/null || missing+=(redis-server)
  command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null || missing+=(ffmpeg)
  # The browser tests drive Debian's Chromium (Playwright's own browser download cannot work).
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  [ ${#missing[@]} -eq 0 ] && return
  log "apt: installing ${missing[*]}"
  local sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # The packaged cluster is not ours: we run our own instances on our own ports.
}

install_venv() {
  local want; want=$(sha256sum "$ROOT/pyproject.toml" | cut -c1-16)
  stamp_ok "$VENV/.lecturecast-stamp" "$want" && return
  log "python: creating $VENV"
  [ -x "$PY" ] || python3 -m venv "$VENV"
  "$PY" -m pip install -q --upgrade pip
  "$PY" -m pip install -q -e "$ROOT[test]"
  echo "$want" > "$VENV/.lecturecast-stamp"
}

install_web() {
  # The pages' browser libraries (hls.js), exactly as locked, into web/node_modules (ignored).
  local want; want=$(sha256sum "$ROOT/web/package-lock.json" | cut -c1-16)
  stamp_ok "$ROOT/web/node_modules/.lecturecast-stamp" "$want" && return
  log "web: npm ci (hls.js for the pages)"
  (cd "$ROOT/web" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  echo "$want" > "$ROOT/web/node_modules/.lecturecast-stamp"
}

install_kafka() {
  local lib="$CACHE/kafka/lib" want
  want=$(sha256sum "$ROOT/infra/kafka/pom.xml" | cut -c1-16)
  stamp_ok "$CACHE/kafka/stamp" "$want" && return
  log "kafka: resolving jars from Maven Central"
  rm -rf "$lib"; mkdir -p "$lib"
  mvn -B -q -f "$ROOT/infra/kafka/pom.xml" \
    org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$lib"
  echo "$want" > "$CACHE/kafka/stamp"
}

install_versitygw() {
  local bin="$CACHE/bin/versitygw"
  stamp_ok "$CACHE/bin/versitygw.stamp" "$VERSITYGW_VERSION" && [ -x "$bin" ] && return
  log "s3: building versitygw $VERSITYGW_VERSION with go install"
  mkdir -p "$CACHE/bin"
  GOBIN="$CACHE/bin" GOFLAGS=-mod=mod go install "github.com/versity/versitygw/cmd/versitygw@$VERSITYGW_VERSION"
  echo "$VERSITYGW_VERSION" > "$CACHE/bin/versitygw.stamp"
}

install_debian_packages
install_venv
install_web
install_kafka
install_versitygw
log "install: everything present"
