#!/usr/bin/env bash
# `make test`: install what is missing, start the test stack on test ports from empty data,
# provision it, run the whole pytest suite, stop everything we started.
set -euo pipefail
export PROFILE=test
# The browser tests must run here: a missing browser fails them instead of skipping them.
export LECTURECAST_REQUIRE_BROWSER=1
. "$(dirname "$0")/env.sh"

bash "$ROOT/infra/install.sh"
trap 'bash "$ROOT/infra/stack.sh" stop test' EXIT
bash "$ROOT/infra/stack.sh" start test
"$PY" "$ROOT/infra/provision.py"
cd "$ROOT"
"$PY" -m pytest "$@"
