#!/usr/bin/env bash
# Provision and run a real Milvus server from PyPI, without Docker.
#
#   deploy/milvus/milvus.sh up|down|status     (npm run milvus:up / milvus:down / milvus:status)
#
# Environment:
#   MILVUS_SERVER  standalone (default): Milvus 2.3.5 standalone ("embedded Milvus", PyPI
#                  package `milvus`), the real C++ server with HNSW and in-graph filtering.
#                  lite: Milvus Lite 3.2.2 (Python re-implementation; see docs/milvus-compat.md).
#   MILVUS_PORT    client (proxy) port on 127.0.0.1, default 19530. Internal ports of the
#                  standalone server are shifted by the same offset, so several can run.
#   MILVUS_HOME    where data, logs and the pid file live, default .data/milvus
#
# Idempotent: `up` reuses the venv (re-installed only when the pinned requirements change)
# and does nothing when the server already answers; `down` on a stopped server is fine.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SERVER="${MILVUS_SERVER:-standalone}"
PORT="${MILVUS_PORT:-19530}"
HOME_DIR="${MILVUS_HOME:-$ROOT/.data/milvus}"
# Absolute: the server changes directory before it reads the paths we give it.
[[ "$HOME_DIR" = /* ]] || HOME_DIR="$ROOT/$HOME_DIR"
INSTANCE="$HOME_DIR/$SERVER-$PORT"
VENV="$ROOT/.venv/milvus-$SERVER"
REQS="$ROOT/deploy/milvus/requirements-$SERVER.txt"
PIDFILE="$INSTANCE/server.pid"
LOG="$INSTANCE/server.log"
ADDRESS="127.0.0.1:$PORT"
WAIT_SECONDS="${MILVUS_WAIT_SECONDS:-180}"

say() { echo "milvus[$SERVER@$PORT]: $*"; }
die() { echo "milvus[$SERVER@$PORT]: $*" >&2; exit 1; }

case "$SERVER" in standalone|lite) ;; *) die "MILVUS_SERVER must be standalone or lite, got '$SERVER'";; esac
[[ "$PORT" =~ ^[0-9]+$ ]] && (( PORT > 1024 && PORT < 65000 )) || die "MILVUS_PORT must be a port number, got '$PORT'"

running_pid() {
  [[ -f "$PIDFILE" ]] || return 1
  local pid; pid="$(cat "$PIDFILE")"
  kill -0 "$pid" 2>/dev/null && echo "$pid"
}

healthy() {
  (cd "$ROOT" && NODE_ENV=production node --import tsx deploy/milvus/wait-healthy.ts "$ADDRESS" "${1:-2}" >/dev/null 2>&1)
}

ensure_venv() {
  command -v python3 >/dev/null || die "python3 is required (apt-get install python3 python3-venv)"
  local stamp="$VENV/.requirements.sha"
  local want; want="$(sha256sum "$REQS" | cut -d' ' -f1)"
  if [[ -x "$VENV/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then return; fi
  say "installing pinned packages from $(basename "$REQS") into ${VENV#"$ROOT"/}"
  python3 -m venv "$VENV" || die "cannot create a venv (apt-get install python3-venv)"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$REQS" \
    || die "pip install failed (is PyPI reachable?)"
  echo "$want" > "$stamp"
}

start() {
  mkdir -p "$INSTANCE"
  local offset=$(( PORT - 19530 ))
  local cmd
  if [[ "$SERVER" == standalone ]]; then
    # The embedded etcd's peer port is not a flag: give it a config file (Milvus maps the
    # etcd.config.path setting to $ETCD_CONFIG_PATH), bound to loopback.
    cat > "$INSTANCE/etcd.yaml" <<ETCD
listen-peer-urls: http://127.0.0.1:$(( 2380 + offset ))
listen-client-urls: http://127.0.0.1:$(( 2379 + offset ))
advertise-client-urls: http://127.0.0.1:$(( 2379 + offset ))
ETCD
    export ETCD_CONFIG_PATH="$INSTANCE/etcd.yaml"
    # Every internal port moves with the client port, so instances do not collide,
    # and stays below Linux's ephemeral range (32768+): there an outgoing
    # connection can take the port before the server binds it (seen: Milvus's
    # default root-coord port 53100 + offset, taken during a restart).
    cmd=("$VENV/bin/python" "$ROOT/deploy/milvus/run_standalone.py" --data "$INSTANCE/data"
      --proxy-port "$PORT"
      --etcd-port $(( 2379 + offset ))
      --root-coord-port $(( 22100 + offset ))
      --proxy-internal-port $(( 19529 + offset ))
      --query-coord-port $(( 19631 + offset ))
      --query-node-port $(( 21123 + offset ))
      --index-coord-port $(( 31000 + offset ))
      --index-node-port $(( 21121 + offset ))
      --data-coord-port $(( 13333 + offset ))
      --data-node-port $(( 21124 + offset ))
      # A restart waits for the previous run's etcd sessions to expire (30 s by default).
      --extra-config common.session.ttl=8)
  else
    cmd=("$VENV/bin/milvus-lite" server --data-dir "$INSTANCE/data" --host 127.0.0.1 --port "$PORT")
  fi
  # Own session and process group: `down` stops the wrapper and everything it started.
  setsid "${cmd[@]}" >"$LOG" 2>&1 < /dev/null &
  echo $! > "$PIDFILE"
}

up() {
  if pid="$(running_pid)"; then
    if healthy 10; then say "already running (pid $pid) at $ADDRESS"; return; fi
    say "pid $pid is running but not healthy: restarting it"
    down
  fi
  ensure_venv
  say "starting (log: ${LOG#"$ROOT"/})"
  start
  # A start is ready in about 8 s here. Once in a dozen CI runs a fresh one hung instead: its
  # proxy registered, its root coordinator never came up, for 3 minutes. Such a start is
  # stopped and made once more (data kept) before the full wait.
  local first=$(( WAIT_SECONDS < 60 ? WAIT_SECONDS : 60 ))
  if ! wait_healthy "$first"; then
    say "not healthy after $first s: stopping it and starting once more (log of the first start kept as ${LOG#"$ROOT"/}.first)"
    down || true
    cp "$LOG" "$LOG.first" 2>/dev/null || true
    start
    if ! wait_healthy "$WAIT_SECONDS"; then
      echo "---- last lines of $LOG ----" >&2
      tail -n 30 "$LOG" >&2 || true
      down || true
      die "failed to start (twice)"
    fi
  fi
  say "ready at $ADDRESS (pid $(cat "$PIDFILE"))"
}

# NODE_ENV=production: the SDK logs every RPC at debug level when NODE_ENV is "test" (under vitest).
wait_healthy() {
  (cd "$ROOT" && NODE_ENV=production node --import tsx deploy/milvus/wait-healthy.ts "$ADDRESS" "$1")
}

down() {
  local pid
  if ! pid="$(running_pid)"; then say "not running"; rm -f "$PIDFILE"; return; fi
  say "stopping pid $pid"
  # SIGINT is the wrapper's Ctrl+C path: it stops Milvus cleanly (about 3 s). A Milvus
  # killed harder leaves etcd sessions behind that can stall its next start for minutes.
  kill -INT "$pid" 2>/dev/null || true
  if ! wait_group_gone "$pid" 150; then
    say "no exit 30 s after SIGINT: SIGTERM to the process group"
    kill -TERM -- "-$pid" 2>/dev/null || true
    if ! wait_group_gone "$pid" 50; then
      say "still running: SIGKILL"
      kill -KILL -- "-$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$PIDFILE"
  say "stopped"
}

# wait_group_gone PGID TICKS: polls every 0.2 s; fails if the group outlives TICKS polls.
wait_group_gone() {
  for _ in $(seq 1 "$2"); do
    kill -0 -- "-$1" 2>/dev/null || return 0
    sleep 0.2
  done
  return 1
}

status() {
  if pid="$(running_pid)"; then
    if healthy 5; then say "running (pid $pid), healthy at $ADDRESS"; else say "running (pid $pid), NOT healthy"; exit 1; fi
  else
    say "stopped"; exit 3
  fi
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  # The pinned venv only (the Milvus cluster script runs the same binary, role by role).
  install) ensure_venv ;;
  *) echo "usage: $0 up|down|status|install" >&2; exit 2 ;;
esac
