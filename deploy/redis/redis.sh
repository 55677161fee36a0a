#!/usr/bin/env bash
# Run a real Redis (Debian's redis-server) for state shared across API hosts: the cluster-wide
# rate limit (RATE_LIMIT_STORE=redis). Without systemd, in the repo's .data directory.
#
#   deploy/redis/redis.sh up|down|status     (npm run redis:up / redis:down / redis:status)
#
# Environment:
#   REDIS_PORT   port, default 6379
#   REDIS_BIND   addresses to listen on, default 127.0.0.1 (the multi-host bed adds its bridge)
#   REDIS_HOME   where the pid file, log and config live, default .data/redis
#
# The limiter's counts live one or two seconds: no persistence (no RDB, no AOF), so a restart
# costs a window of counts, never a stall. Idempotent: `up` on a running server does nothing.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PORT="${REDIS_PORT:-6379}"
BIND="${REDIS_BIND:-127.0.0.1}"
HOME_DIR="${REDIS_HOME:-$ROOT/.data/redis}"
[[ "$HOME_DIR" = /* ]] || HOME_DIR="$ROOT/$HOME_DIR"
INSTANCE="$HOME_DIR/$PORT"
PIDFILE="$INSTANCE/redis.pid"
LOG="$INSTANCE/redis.log"

say() { echo "redis[$PORT]: $*"; }
die() { echo "redis[$PORT]: $*" >&2; exit 1; }
[[ "$PORT" =~ ^[0-9]+$ ]] && (( PORT > 1024 && PORT < 65536 )) || die "REDIS_PORT must be a port number, got '$PORT'"

server_bin() {
  command -v redis-server 2>/dev/null || { [[ -x /usr/bin/redis-server ]] && echo /usr/bin/redis-server; }
}

ensure_installed() {
  [[ -n "$(server_bin)" ]] && return
  [[ "$(id -u)" -eq 0 ]] || die "redis-server is not installed: sudo apt-get install redis-server"
  say "installing redis-server from Debian"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends redis-server >/dev/null \
    || die "apt-get install redis-server failed"
}

running_pid() {
  [[ -f "$PIDFILE" ]] || return 1
  local pid; pid="$(cat "$PIDFILE")"
  kill -0 "$pid" 2>/dev/null && echo "$pid"
}

ping() {
  # RESP by hand over bash's /dev/tcp: no redis-cli needed.
  local first; first="${BIND%% *}"
  exec 3<>"/dev/tcp/$first/$PORT" 2>/dev/null || return 1
  printf 'PING\r\n' >&3
  local reply; IFS= read -r -t 2 reply <&3 || true
  exec 3<&- 3>&-
  [[ "$reply" == +PONG* ]]
}

case "${1:-}" in
  up)
    ensure_installed
    if pid="$(running_pid)" && ping; then say "already running (pid $pid)"; exit 0; fi
    mkdir -p "$INSTANCE"
    cat > "$INSTANCE/redis.conf" <<CONF
port $PORT
bind $BIND
protected-mode no
daemonize yes
pidfile $PIDFILE
logfile $LOG
dir $INSTANCE
save ""
appendonly no
maxmemory 256mb
maxmemory-policy volatile-ttl
CONF
    "$(server_bin)" "$INSTANCE/redis.conf"
    for _ in $(seq 1 50); do ping && { say "up on $BIND port $PORT (pid $(cat "$PIDFILE"))"; exit 0; }; sleep 0.1; done
    die "did not answer PING within 5 s; see $LOG"
    ;;
  down)
    if pid="$(running_pid)"; then
      kill "$pid"
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
      say "stopped (pid $pid)"
    else
      say "not running"
    fi
    rm -f "$PIDFILE"
    ;;
  status)
    if pid="$(running_pid)" && ping; then say "running (pid $pid)"; else say "not running"; exit 1; fi
    ;;
  *) die "usage: redis.sh up|down|status" ;;
esac
