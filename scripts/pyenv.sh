#!/usr/bin/env bash
# Usage: scripts/pyenv.sh
#
# Creates (once) the Python virtualenv that the integration and parity tests
# use, at $REPO/.venv (gitignored), with the pinned set of
# scripts/requirements-test.txt: moto's server and the original Python
# s1crets 0.0.12 with every transitive dependency. Prints the venv's path on
# stdout; progress goes to stderr.
#
# Idempotent: a stamp file holds the hash of the requirements file, so a
# second run with the same pins does nothing; changed pins reinstall.
#
# Env:
#   PYTHON          interpreter that creates the venv (default: python3);
#                   must be 3.11 or newer (cachetools 8 needs it)
#   S1CRETS_VENV    venv directory (default: $REPO/.venv)
#   PIP_DEFAULT_TIMEOUT, PIP_RETRIES  pip's socket timeout and retries
#                   (defaults here 120s and 10, not pip's 15s and 5: a busy
#                   machine or network makes the install slower, not fail)
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REQ="$REPO/scripts/requirements-test.txt"
VENV="${S1CRETS_VENV:-$REPO/.venv}"
PYTHON="${PYTHON:-python3}"
STAMP="$VENV/.s1crets-requirements.sha256"
export PIP_DEFAULT_TIMEOUT="${PIP_DEFAULT_TIMEOUT:-120}" PIP_RETRIES="${PIP_RETRIES:-10}"

hash_of() { "$PYTHON" -c 'import hashlib,sys; print(hashlib.sha256(open(sys.argv[1],"rb").read()).hexdigest())' "$1"; }

if ! "$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
  echo "pyenv.sh: $PYTHON is missing or older than Python 3.11; set PYTHON=/path/to/python3.11+" >&2
  exit 1
fi

want="$(hash_of "$REQ")"
if [ -x "$VENV/bin/python" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ] &&
  "$VENV/bin/python" -c 'import s1crets, moto.server' 2>/dev/null; then
  echo "pyenv.sh: $VENV is up to date" >&2
  echo "$VENV"
  exit 0
fi

start=$SECONDS
if [ ! -x "$VENV/bin/python" ]; then
  echo "pyenv.sh: creating $VENV" >&2
  if ! "$PYTHON" -m venv "$VENV"; then
    rm -rf "$VENV"
    echo "pyenv.sh: $PYTHON -m venv failed; on Debian/Ubuntu install python3-venv" >&2
    exit 1
  fi
fi
echo "pyenv.sh: installing the pinned test tools into $VENV" >&2
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-input -r "$REQ" >&2
"$VENV/bin/python" -m pip check >&2
"$VENV/bin/python" -c 'import s1crets, moto; assert s1crets.__version__ == "0.0.12", s1crets.__version__; assert moto.__version__ == "5.2.5", moto.__version__'
[ -x "$VENV/bin/s1crets" ] || { echo "pyenv.sh: $VENV/bin/s1crets (the original CLI) is missing" >&2; exit 1; }
echo "$want" >"$STAMP"
echo "pyenv.sh: installed in $((SECONDS - start))s" >&2
echo "$VENV"
