#!/usr/bin/env bash
# `make run`: install what is missing, start the stack and every lecturecast process, create the
# demo tenant, print tokens and URLs, and stay in the foreground. Ctrl-C stops everything we
# started, by pid.
set -euo pipefail
export PROFILE=run
. "$(dirname "$0")/env.sh"
export LOG_JSON=${LOG_JSON:-false}  # readable lines in a terminal; set LOG_JSON=true for JSON

bash "$ROOT/infra/install.sh"
PIDS="$STATE/pids"; mkdir -p "$PIDS"

stopping=0
cleanup() {
  [ "$stopping" = 1 ] && return; stopping=1
  trap - INT TERM
  log "stopping lecturecast"
  bash "$ROOT/infra/stack.sh" stop run
}
trap cleanup EXIT
trap 'exit 130' INT TERM

bash "$ROOT/infra/stack.sh" start run

start_process() {  # name, command...: run in the background, prefix its lines with its name
  local name=$1; shift
  # Own session: Ctrl-C reaches only this script, which then stops each process by pid in
  # order (the gateway before the services it uses) instead of all of them at once.
  setsid "$@" > >(trap '' INT; exec sed -u "s/^/$name | /") 2>&1 &
  echo $! > "$PIDS/$name.pid"
}

"$PY" "$ROOT/infra/provision.py" --demo | tee "$STATE/demo.txt"
start_process agents "$PY" -m agents
start_process transcoder "$PY" -m transcoder
start_process gateway "$PY" -m gateway

url="http://${GATEWAY_HOST:-127.0.0.1}:$GATEWAY_PORT"
for _ in $(seq 120); do
  curl -fsS "$url/readyz" >/dev/null 2>&1 && break; sleep 0.5
done
curl -fsS "$url/readyz" >/dev/null || { log "gateway did not become ready"; exit 1; }
cat <<MSG

  lecturecast is up: $url  (readyz: 200, all four dependencies answer)
  demo tokens: see above, or $STATE/demo.txt
  pages: $url/app/  (signed-in demo links below, also in $STATE/demo.txt)
$(grep -E '^  (player|admin) ' "$STATE/demo.txt" || true)
  try:  curl -s $url/readyz
  stop: Ctrl-C (stops every process started here)

MSG
# Stay in the foreground until a process exits or Ctrl-C; either way cleanup stops the rest.
wait -n "$(cat "$PIDS/gateway.pid")" "$(cat "$PIDS/agents.pid")" "$(cat "$PIDS/transcoder.pid")"
log "a lecturecast process exited; stopping the rest"
exit 1
