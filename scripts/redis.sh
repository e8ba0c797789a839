#!/usr/bin/env bash
# Throwaway local Redis for the real-server tests of internal/rediscache.
#
#   scripts/redis.sh start    start one on a free 127.0.0.1 port (or reuse the
#                             one already started); print its address
#   scripts/redis.sh stop     stop it (by PID) and remove its files
#   scripts/redis.sh status   print its address if it runs; exit 1 if not
#
# State lives in .redis/ at the repository root: pid, addr and dir (the
# temporary directory with the config and log). Nothing is persisted: no RDB,
# no AOF. If redis-server is missing it is installed with apt-get (as root,
# or through sudo -n). S1CRETS_REDIS_SERVER picks another server binary,
# e.g. valkey-server. S1CRETS_REDIS_START_TIMEOUT is how many seconds a
# started server has to answer PING (default 120: generous for a busy
# machine; the wait ends as soon as it answers, or at once if it exits).
#
# Typical use:
#   addr=$(scripts/redis.sh start)
#   S1CRETS_TEST_REDIS_ADDR=$addr go test -race -run TestRealServer ./internal/rediscache/
#   scripts/redis.sh stop
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
state="$root/.redis"
server=${S1CRETS_REDIS_SERVER:-redis-server}
start_timeout=${S1CRETS_REDIS_START_TIMEOUT:-120}

log() { echo "redis.sh: $*" >&2; }

# ping ADDR_PORT: true when a server on 127.0.0.1:PORT answers PONG.
ping() {
	local port=$1 line=
	{
		exec 3<>"/dev/tcp/127.0.0.1/$port"
	} 2>/dev/null || return 1
	printf 'PING\r\n' >&3
	IFS= read -r -t 10 line <&3 || true
	exec 3>&- 3<&-
	[[ $line == "+PONG"* ]]
}

# port_in_use PORT: true when something accepts connections on it.
port_in_use() {
	{ exec 3<>"/dev/tcp/127.0.0.1/$1"; } 2>/dev/null || return 1
	exec 3>&- 3<&-
	return 0
}

# running: true when .redis/pid names a live redis process.
running() {
	[[ -f $state/pid ]] || return 1
	local pid
	pid=$(<"$state/pid")
	[[ $pid =~ ^[0-9]+$ ]] || return 1
	kill -0 "$pid" 2>/dev/null || return 1
	# Guard against a reused PID.
	grep -qi -e redis -e valkey "/proc/$pid/comm" 2>/dev/null
}

ensure_server() {
	command -v "$server" >/dev/null 2>&1 && return 0
	if [[ $server != redis-server ]]; then
		log "$server not found"
		return 1
	fi
	local sudo=()
	if [[ $(id -u) != 0 ]]; then
		if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
			sudo=(sudo -n)
		else
			log "redis-server is missing and installing it needs root: apt-get install redis-server"
			return 1
		fi
	fi
	log "installing redis-server with apt-get"
	"${sudo[@]}" apt-get update -qq >/dev/null
	DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq redis-server >/dev/null
	command -v redis-server >/dev/null 2>&1
}

start() {
	if running; then
		cat "$state/addr"
		return 0
	fi
	ensure_server
	mkdir -p "$state"
	echo '*' >"$state/.gitignore"
	local dir
	dir=$(mktemp -d "${TMPDIR:-/tmp}/s1crets-redis.XXXXXX")
	local attempt port pid
	for attempt in 1 2 3 4 5 6 7 8 9 10; do
		port=$((20000 + RANDOM % 40000))
		port_in_use "$port" && continue
		cat >"$dir/redis.conf" <<EOF
bind 127.0.0.1
port $port
protected-mode yes
daemonize no
save ""
appendonly no
dir $dir
logfile $dir/redis.log
pidfile $dir/redis.pid
EOF
		# Detached from our stdout/stderr so that $(redis.sh start) returns.
		"$server" "$dir/redis.conf" </dev/null >/dev/null 2>&1 &
		pid=$!
		local deadline=$((SECONDS + start_timeout))
		while ((SECONDS < deadline)); do
			if ping "$port"; then
				echo "$pid" >"$state/pid"
				echo "127.0.0.1:$port" >"$state/addr"
				echo "$dir" >"$state/dir"
				echo "127.0.0.1:$port"
				return 0
			fi
			kill -0 "$pid" 2>/dev/null || break # it died: most likely the port was taken
			sleep 0.1
		done
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		log "attempt $attempt on port $port failed: $(tail -n 3 "$dir/redis.log" 2>/dev/null | tr '\n' ' ')"
	done
	rm -rf "$dir"
	log "could not start $server"
	return 1
}

stop() {
	if running; then
		local pid i
		pid=$(<"$state/pid")
		kill "$pid" 2>/dev/null || true
		for i in $(seq 1 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "$pid" 2>/dev/null; then
			kill -9 "$pid" 2>/dev/null || true
		fi
	fi
	if [[ -f $state/dir ]]; then
		local dir
		dir=$(<"$state/dir")
		[[ $dir == */s1crets-redis.* ]] && rm -rf "$dir"
	fi
	rm -f "$state/pid" "$state/addr" "$state/dir" "$state/.gitignore"
	rmdir "$state" 2>/dev/null || true
}

status() {
	if running && ping "$(cut -d: -f2 "$state/addr")"; then
		cat "$state/addr"
		return 0
	fi
	log "not running"
	return 1
}

case ${1:-} in
start) start ;;
stop) stop ;;
status) status ;;
*)
	echo "usage: $0 start|stop|status" >&2
	exit 2
	;;
esac
