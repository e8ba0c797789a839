#!/usr/bin/env bash
# Usage: scripts/integration.sh [extra go test flags, e.g. -v or -run Parity]
#
# Runs the integration suite (this library against moto's AWS emulator) and
# the parity suite (this library and the original Python s1crets 0.0.12 on
# the same moto state):
#
#   1. scripts/pyenv.sh: the pinned Python tools in $REPO/.venv (once);
#   2. scripts/moto.sh start: moto's server on 127.0.0.1, a free port, in
#      its own state directory; stopped by its PID when this script exits,
#      whether the tests pass, fail or are interrupted;
#   3. go test -race -count=1 -timeout 30m -run 'Integration|Parity|E2E|EndToEnd'
#      ./... with S1CRETS_TEST_MOTO_URL and S1CRETS_TEST_PY_VENV set (30
#      minutes rather than go test's default 10 per package: a busy machine
#      must make the suites slower, not red).
#
# Only the tests whose names contain Integration, Parity, E2E or EndToEnd
# run: they are the ones that need moto and the venv (without those
# variables they skip, so a plain `go test ./...` stays hermetic). The unit
# tests are `go test ./...`, which .ci/run runs just before this script, so
# running everything again here would only add time.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
start=$(date +%s.%N)

VENV="$(bash scripts/pyenv.sh)"

# A state directory of our own: a server a developer keeps running in
# .moto is neither reused nor stopped.
export MOTO_DIR="$REPO/.moto/run-$$"
export MOTO_PYTHON="$VENV/bin/python"
GOTEST_PID=""
cleanup() {
  if [ -n "$GOTEST_PID" ] && kill -0 "$GOTEST_PID" 2>/dev/null; then
    # go test and the test binaries it runs: their own process group
    kill -TERM -- "-$GOTEST_PID" 2>/dev/null || true
    wait "$GOTEST_PID" 2>/dev/null || true
  fi
  bash scripts/moto.sh stop || true
  rm -rf "$MOTO_DIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

MOTO_URL="$(bash scripts/moto.sh start)"
export S1CRETS_TEST_MOTO_URL="$MOTO_URL"
export S1CRETS_TEST_PY_VENV="$VENV"
echo "== integration and parity tests against $MOTO_URL (venv $VENV)"

# In the background and in a process group of its own (set -m), so that a
# TERM or INT to this script stops the tests, then moto, at once (bash runs
# traps only between foreground commands).
status=0
set -m
go test -race -count=1 -timeout 30m -run 'Integration|Parity|E2E|EndToEnd' "$@" ./... &
GOTEST_PID=$!
set +m
wait "$GOTEST_PID" || status=$?
GOTEST_PID=""

elapsed=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
if [ "$status" -eq 0 ]; then
  echo "== integration and parity tests passed in ${elapsed}s"
else
  echo "== integration and parity tests FAILED (exit $status) after ${elapsed}s"
fi
exit "$status"
