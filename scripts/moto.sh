#!/usr/bin/env bash
# Usage: scripts/moto.sh start|stop|status|url
#
#   start   starts moto's standalone server on 127.0.0.1 on a free port, waits
#           until it answers (up to $MOTO_START_TIMEOUT seconds), and prints
#           its URL (http://127.0.0.1:PORT).
#           The PID, port and log are kept in $MOTO_DIR (default $REPO/.moto:
#           moto.pid, moto.port, moto.log). A server already running there is
#           reused.
#   stop    stops the server whose PID is in $MOTO_DIR/moto.pid (TERM, then
#           KILL after 5s) and removes the PID file. Nothing else is touched.
#   status  says whether it runs; exit 1 if not.
#   url     prints the URL of the running server.
#
# Env:
#   MOTO_PYTHON  python with moto[server] (default: $REPO/.venv/bin/python,
#                which scripts/pyenv.sh creates)
#   MOTO_DIR     state directory (default: $REPO/.moto)
#   MOTO_PORT    a fixed port instead of a free one
#   MOTO_START_TIMEOUT  seconds to wait for the server to answer (default
#                300: moto imports a lot, and a busy machine may take a
#                minute or more to start it; the wait ends as soon as it
#                answers, or at once if it exits)
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MOTO_DIR="${MOTO_DIR:-$REPO/.moto}"
MOTO_PYTHON="${MOTO_PYTHON:-$REPO/.venv/bin/python}"
MOTO_START_TIMEOUT="${MOTO_START_TIMEOUT:-300}"
PIDFILE="$MOTO_DIR/moto.pid"
PORTFILE="$MOTO_DIR/moto.port"
LOG="$MOTO_DIR/moto.log"

running() { [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }

answers() {
  "$MOTO_PYTHON" - "$1" <<'PY' 2>/dev/null
import sys, urllib.request
urllib.request.urlopen("http://127.0.0.1:%s/moto-api/data.json" % sys.argv[1], timeout=10).read()
PY
}

case "${1:-}" in
start)
  if [ ! -x "$MOTO_PYTHON" ]; then
    echo "moto.sh: $MOTO_PYTHON not found; run scripts/pyenv.sh first or set MOTO_PYTHON" >&2
    exit 1
  fi
  mkdir -p "$MOTO_DIR"
  [ -f "$MOTO_DIR/.gitignore" ] || echo '*' >"$MOTO_DIR/.gitignore"
  if running && answers "$(cat "$PORTFILE")"; then
    echo "moto.sh: reusing the server already running (pid $(cat "$PIDFILE"))" >&2
    echo "http://127.0.0.1:$(cat "$PORTFILE")"
    exit 0
  fi
  PORT="${MOTO_PORT:-$("$MOTO_PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')}"
  # setsid: its own session and process group, so that it outlives this
  # shell and a Ctrl-C in the terminal does not reach it; stop ends it.
  setsid "$MOTO_PYTHON" -m moto.server -H 127.0.0.1 -p "$PORT" >"$LOG" 2>&1 </dev/null &
  PID=$!
  echo "$PID" >"$PIDFILE"
  echo "$PORT" >"$PORTFILE"
  deadline=$((SECONDS + MOTO_START_TIMEOUT))
  while [ "$SECONDS" -lt "$deadline" ]; do
    if answers "$PORT"; then
      echo "moto.sh: moto $("$MOTO_PYTHON" -c 'import moto; print(moto.__version__)') on 127.0.0.1:$PORT (pid $PID)" >&2
      echo "http://127.0.0.1:$PORT"
      exit 0
    fi
    if ! kill -0 "$PID" 2>/dev/null; then
      echo "moto.sh: moto exited; its log:" >&2
      cat "$LOG" >&2
      rm -f "$PIDFILE" "$PORTFILE"
      exit 1
    fi
    sleep 0.1
  done
  echo "moto.sh: moto did not answer within ${MOTO_START_TIMEOUT}s; its log:" >&2
  cat "$LOG" >&2
  "$0" stop
  exit 1
  ;;
stop)
  if [ -f "$PIDFILE" ]; then
    PID="$(cat "$PIDFILE")"
    if kill -0 "$PID" 2>/dev/null; then
      kill "$PID"
      for _ in $(seq 1 50); do
        kill -0 "$PID" 2>/dev/null || break
        sleep 0.1
      done
      if kill -0 "$PID" 2>/dev/null; then kill -9 "$PID" || true; fi
      echo "moto.sh: stopped pid $PID" >&2
    fi
    rm -f "$PIDFILE" "$PORTFILE"
  fi
  ;;
status)
  if running; then
    echo "running: pid $(cat "$PIDFILE"), http://127.0.0.1:$(cat "$PORTFILE")"
  else
    echo "stopped"
    exit 1
  fi
  ;;
url)
  running || { echo "moto.sh: not running" >&2; exit 1; }
  echo "http://127.0.0.1:$(cat "$PORTFILE")"
  ;;
*)
  echo "usage: $0 start|stop|status|url" >&2
  exit 2
  ;;
esac
