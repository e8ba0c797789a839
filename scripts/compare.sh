#!/usr/bin/env bash
# Usage: scripts/compare.sh [N]
#
# Side by side with the original: starts moto's server, seeds N (default 100)
# parameters and secrets, and runs the same workloads through the Python
# s1crets 0.0.12 and through this library (and both CLIs, cold), printing one
# table of remote calls and wall time. Uses scripts/pyenv.sh and
# scripts/moto.sh; stops moto on exit.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
N="${1:-100}"
VENV="$(bash scripts/pyenv.sh)"
export MOTO_DIR="$REPO/.moto/compare-$$" MOTO_PYTHON="$VENV/bin/python"
bin="$(mktemp -d)"
cleanup() { bash scripts/moto.sh stop >/dev/null 2>&1 || true; rm -rf "$MOTO_DIR" "$bin"; }
trap cleanup EXIT
URL="$(bash scripts/moto.sh start)"
export AWS_ENDPOINT_URL="$URL" AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test \
  AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
go build -o "$bin/s1crets" ./cmd/s1crets
go run ./scripts/compare -venv "$VENV" -cli "$bin/s1crets" -n "$N"
