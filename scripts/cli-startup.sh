#!/usr/bin/env bash
# cli-startup.sh: time a cold `s1crets get` of this module's CLI beside the
# original Python CLI (PyPI s1crets 0.0.12), against the same local endpoint.
#
# Usage:
#   S1CRETS_TEST_MOTO_URL=http://127.0.0.1:PORT \
#   S1CRETS_TEST_PY_VENV=/path/to/venv \
#   scripts/cli-startup.sh [N]
#
#   S1CRETS_TEST_MOTO_URL  a running moto server (pip install 'moto[server]';
#                          python -m moto.server -p PORT)
#   S1CRETS_TEST_PY_VENV   a Python venv with s1crets==0.0.12 (bin/s1crets, and
#                          boto3, used here to seed the parameter)
#   N                      runs of each CLI (default 20)
#
# It builds cmd/s1crets, seeds one SecureString parameter, runs each CLI once
# untimed, then N times `s1crets get --provider aws.ps NAME` with each, in turn,
# each run a new process (so a cold cache), timed with date +%s%N; it prints the
# median wall time of each CLI in milliseconds and the ratio.
set -euo pipefail

N="${1:-20}"
: "${S1CRETS_TEST_MOTO_URL:?set S1CRETS_TEST_MOTO_URL to a moto server URL, e.g. http://127.0.0.1:5000}"
: "${S1CRETS_TEST_PY_VENV:?set S1CRETS_TEST_PY_VENV to a venv holding the original s1crets CLI (bin/s1crets)}"
PY_CLI="$S1CRETS_TEST_PY_VENV/bin/s1crets"
PY="$S1CRETS_TEST_PY_VENV/bin/python"
[ -x "$PY_CLI" ] || { echo "no $PY_CLI" >&2; exit 2; }

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
GO_CLI="$WORK/s1crets"
(cd "$ROOT" && go build -trimpath -o "$GO_CLI" ./cmd/s1crets)

# Only the endpoint and dummy credentials: nothing can reach real AWS.
export AWS_ENDPOINT_URL="$S1CRETS_TEST_MOTO_URL"
export AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_EC2_METADATA_DISABLED=true
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
unset AWS_PROFILE AWS_SESSION_TOKEN

NAME="/s1crets-startup/$$-$RANDOM/db/password"
VALUE="startup-$RANDOM"
"$PY" - "$NAME" "$VALUE" <<'PY'
import sys, boto3
boto3.client("ssm").put_parameter(Name=sys.argv[1], Value=sys.argv[2], Type="SecureString", Overwrite=True)
PY

# check CLI: one untimed run that must print the value.
check() {
  local out
  out="$("$@" get --provider aws.ps "$NAME" 2>/dev/null)"
  [ "$out" = "$VALUE" ] || { echo "$1 printed '$out', want the seeded value" >&2; exit 1; }
}

# time_ms CLI: the wall time of one cold run, in microseconds.
time_us() {
  local t0 t1
  t0=$(date +%s%N)
  "$@" get --provider aws.ps "$NAME" >/dev/null 2>&1
  t1=$(date +%s%N)
  echo $(((t1 - t0) / 1000))
}

# median_ms FILE: the median of the microsecond figures in FILE, in ms.
median_ms() {
  sort -n "$1" | awk '{ a[NR] = $1 } END { m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; printf "%.1f\n", m / 1000 }'
}

check "$GO_CLI"
check "$PY_CLI"
# Interleaved, so that a change in the machine's load hits both alike.
for ((i = 0; i < N; i++)); do
  time_us "$GO_CLI" >>"$WORK/go"
  time_us "$PY_CLI" >>"$WORK/py"
done
go_ms=$(median_ms "$WORK/go")
py_ms=$(median_ms "$WORK/py")

echo "cold \`s1crets get --provider aws.ps NAME\` against $S1CRETS_TEST_MOTO_URL, median of $N runs:"
printf '  %-28s %8s ms\n' "Go (cmd/s1crets)" "$go_ms" "Python (s1crets 0.0.12)" "$py_ms"
awk -v g="$go_ms" -v p="$py_ms" 'BEGIN { printf "  ratio (Python / Go)          %8.1fx\n", p / g }'
