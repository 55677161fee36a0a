#!/usr/bin/env bash
# The multi-host test bed: N API hosts on this machine, each a network namespace with its own
# address, CPU share (cgroup v1 cpu quota), data directory and full stack (nginx -> PM2 workers),
# behind one HAProxy with active health checks, and a Redis the hosts share for the
# cluster-wide rate limit. The generator runs outside the hosts (the root namespace) and talks
# to HAProxy on loopback. Root only (namespaces, cgroups).
#
#   deploy/multihost/bed.sh up [N]        bridge, Redis, HAProxy, then hosts 1..N (default 3)
#   deploy/multihost/bed.sh host-up I     start host I (also: add a host to a running bed)
#   deploy/multihost/bed.sh host-kill I   SIGKILL every process of host I (its cgroup's pids)
#   deploy/multihost/bed.sh host-down I   stop host I's stack gracefully
#   deploy/multihost/bed.sh link I up|down   connect or partition host I
#   deploy/multihost/bed.sh haproxy CMD   a command on HAProxy's admin socket (e.g. "show stat")
#   deploy/multihost/bed.sh status | down
#
# Environment: BED_HOSTS_MAX (server slots in HAProxy, default 4), BED_HOST_CPU (cores per host,
# default 0.5), BED_WORKERS (PM2 workers per host, default 1), BED_PORT (HAProxy's port on
# 127.0.0.1, default 8090), BED_RATE_LIMIT (per client, cluster-wide, 0: off), BED_DATA (a
# prepared DATA_DIR copied to every host; default: each host builds the demo collection).
#
# Why embedded data on every host rather than one shared Milvus: on 2 cores a shared Milvus would
# be the bottleneck of every figure, and a stateless tier in front of a shared store shows
# nothing about the API hosts. Each host serves the same prepared collection read-only, as
# replicas of a catalogue do; writes to an embedded store are per host (see docs/operations.md).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DIR="$ROOT/.data/bed"
BRIDGE=vsbed0
NET=10.77.0
MAX="${BED_HOSTS_MAX:-4}"
CPU="${BED_HOST_CPU:-0.5}"
WORKERS="${BED_WORKERS:-1}"
PORT="${BED_PORT:-8090}"
REDIS_PORT="${BED_REDIS_PORT:-6391}"
RATE="${BED_RATE_LIMIT:-0}"
# The front balancer: haproxy (active health checks) or nginx (passive only: max_fails), to
# compare how each serves a failover (npm run bench -- failover).
FRONT="${BED_FRONT:-haproxy}"
[[ "$FRONT" == haproxy || "$FRONT" == nginx ]] || { echo "bed: BED_FRONT must be haproxy or nginx" >&2; exit 1; }
# Clients of the bed, one API key each (the rate limit's key): 30 that share ordinary load and
# one hot client that sends more than its limit.
KEYS="${BED_API_KEYS:-$(for k in $(seq 0 29); do printf 'load%s:search:bed-load-secret-%04d,' "$k" "$k"; done)hot:search:bed-hot-client-secret}"
CG=/sys/fs/cgroup/cpu/vecserve-bed

say() { echo "bed: $*"; }
die() { echo "bed: $*" >&2; exit 1; }
[[ "$(id -u)" -eq 0 ]] || die "needs root (network namespaces, cgroups)"

ns() { echo "vsbed-h$1"; }
addr() { echo "$NET.$((10 + $1))"; }
check_index() { [[ "$1" =~ ^[0-9]+$ ]] && (( $1 >= 1 && $1 <= MAX )) || die "host index must be 1..$MAX, got '$1'"; }

host_env() {
  local i="$1"
  cat <<ENV
DATA_DIR=$DIR/h$i/data
WORKERS=$WORKERS
HOST=127.0.0.1
PORT=8000
NGINX_LISTEN=$(addr "$i"):8080
NGINX_STATUS_LISTEN=127.0.0.1:8081
NGINX_RATE_LIMIT=0
NGINX_CONN_LIMIT=0
NGINX_REAL_IP_FROM=$NET.1
TRUST_PROXY=true
LOG_LEVEL=warn
API_KEYS=$KEYS
RATE_LIMIT_KEY=api-key
RATE_LIMIT=$RATE
RATE_LIMIT_STORE=$([[ "$RATE" != 0 ]] && echo redis || echo local)
REDIS_URL=redis://$NET.1:$REDIS_PORT
ENV
}

# Runs a command inside host I's namespace and CPU share (children inherit both).
in_host() {
  local i="$1"; shift
  mkdir -p "$CG/h$i"
  env -i PATH="$PATH" HOME="${HOME:-/root}" $(host_env "$i") \
    bash -c 'echo $$ > "$0/cgroup.procs"; exec ip netns exec "$1" "${@:2}"' "$CG/h$i" "$(ns "$i")" "$@"
}

network_up() {
  ip link show "$BRIDGE" >/dev/null 2>&1 || {
    ip link add "$BRIDGE" type bridge
    ip addr add "$NET.1/24" dev "$BRIDGE"
  }
  ip link set "$BRIDGE" up
  mkdir -p "$CG"
}

host_network_up() {
  local i="$1" n; n="$(ns "$1")"
  ip netns list | grep -qw "$n" || ip netns add "$n"
  if ! ip link show "vsbh$i" >/dev/null 2>&1; then
    ip link add "vsbh$i" type veth peer name eth0 netns "$n"
    ip link set "vsbh$i" master "$BRIDGE"
    ip -n "$n" addr add "$(addr "$i")/24" dev eth0
  fi
  ip link set "vsbh$i" up
  ip -n "$n" link set lo up
  ip -n "$n" link set eth0 up
  mkdir -p "$CG/h$i"
  local quota; quota="$(awk -v c="$CPU" 'BEGIN { printf "%d", c * 100000 }')"
  echo 100000 > "$CG/h$i/cpu.cfs_period_us"
  echo "$quota" > "$CG/h$i/cpu.cfs_quota_us"
}

haproxy_cfg() {
  cat <<CFG
# Written by deploy/multihost/bed.sh: the front balancer of the test bed.
global
  maxconn 8000
  stats socket $DIR/haproxy.sock mode 600 level admin
  pidfile $DIR/haproxy.pid
  daemon
defaults
  mode http
  # A LAN hop: a host that does not accept in 250 ms is down or partitioned, try another.
  timeout connect 250ms
  timeout client 30s
  timeout server 30s
  timeout queue 1s
  timeout check 500ms
  # Searches and upserts by id are safe to resend: a connection refused, reset before any
  # answer, or a host that accepted and died, is retried on another host.
  retries 2
  option redispatch 1
  retry-on conn-failure empty-response response-timeout
  option http-keep-alive
  http-reuse always
frontend api
  bind 127.0.0.1:$PORT
  # The client's address for the hosts' nginx (trusted there from the balancer, see docs).
  option forwardfor
  default_backend hosts
backend hosts
  balance leastconn
  option httpchk
  http-check send meth GET uri /readyz ver HTTP/1.1 hdr Host vecserve-bed
  http-check expect status 200
  # Active checks every 250 ms: a dead or partitioned host is out after 2 failures;
  # connection errors seen on live traffic mark it down at once (observe layer4).
  # A host marked down has its open requests cut at once (on-marked-down): they fail instead
  # of waiting 30 s for a host that is partitioned away.
  default-server check inter 250ms fall 2 rise 2 observe layer4 error-limit 1 on-error mark-down on-marked-down shutdown-sessions maxconn 256
$(for i in $(seq 1 "$MAX"); do echo "  server h$i $(addr "$i"):8080"; done)
listen stats
  bind 127.0.0.1:$((PORT + 1))
  stats enable
  stats uri /
CFG
}

# nginx as the front: what a team without HAProxy would run. No active checks in open-source
# nginx: a host is taken out after max_fails failed live requests, for fail_timeout; a request
# that failed to connect or got no answer goes to the next host (proxy_next_upstream).
nginx_front_cfg() {
  cat <<CFG
# Written by deploy/multihost/bed.sh (BED_FRONT=nginx).
worker_processes 1;
pid $DIR/front-nginx/nginx.pid;
error_log $DIR/front-nginx/error.log warn;
events { worker_connections 8192; }
http {
  access_log off;
  upstream hosts {
    least_conn;
$(for i in $(seq 1 "$MAX"); do echo "    server $(addr "$i"):8080 max_fails=1 fail_timeout=2s;"; done)
    keepalive 64;
  }
  server {
    listen 127.0.0.1:$PORT;
    location / {
      proxy_pass http://hosts;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
      proxy_connect_timeout 250ms;
      proxy_read_timeout 30s;
      proxy_next_upstream error timeout non_idempotent;
      proxy_next_upstream_tries 3;
    }
  }
}
CFG
}

nginx_front_pid() { [[ -f "$DIR/front-nginx/nginx.pid" ]] && kill -0 "$(cat "$DIR/front-nginx/nginx.pid")" 2>/dev/null && cat "$DIR/front-nginx/nginx.pid"; }

haproxy_pid() { [[ -f "$DIR/haproxy.pid" ]] && kill -0 "$(cat "$DIR/haproxy.pid")" 2>/dev/null && cat "$DIR/haproxy.pid"; }

haproxy_cmd() {
  python3 - "$DIR/haproxy.sock" "$*" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall((sys.argv[2] + "\n").encode())
out = b""
while chunk := s.recv(65536): out += chunk
sys.stdout.write(out.decode())
PY
}

# The demo collection `npm start` makes, built once (outside the hosts' CPU shares) and copied
# to every host, so that hosts serve the same data and start in seconds.
template_data() {
  local t="$DIR/template"
  [[ -n "${BED_DATA:-}" ]] && { echo "$BED_DATA"; return; }
  if [[ ! -f "$t/.complete" ]]; then
    rm -rf "$t"; mkdir -p "$t"
    say "building the demo collection once for every host" >&2
    (cd "$ROOT" && env DATA_DIR="$t" PORT=18099 HOST=127.0.0.1 LOG_LEVEL=warn node dist/cli/serve.js) > "$DIR/template.log" 2>&1 &
    local pid=$! ok=""
    for _ in $(seq 1 600); do
      if (exec 3<>/dev/tcp/127.0.0.1/18099) 2>/dev/null; then ok=1; break; fi
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.2
    done
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    [[ -n "$ok" ]] || die "the demo collection was not built (log: $DIR/template.log)"
    touch "$t/.complete"
  fi
  echo "$t"
}

host_up() {
  local i="$1"
  check_index "$i"
  host_network_up "$i"
  mkdir -p "$DIR/h$i"
  if [[ ! -d "$DIR/h$i/data" ]]; then cp -r "$(template_data)" "$DIR/h$i/data"; fi
  say "host $i: starting the stack in $(ns "$i") ($(addr "$i"):8080, $CPU cores, $WORKERS workers)"
  (cd "$ROOT" && in_host "$i" node dist/cli/stack.js up) > "$DIR/h$i/stack.log" 2>&1 \
    || { tail -20 "$DIR/h$i/stack.log" >&2; die "host $i did not come up (log: $DIR/h$i/stack.log)"; }
}

host_kill() {
  local i="$1" pids
  check_index "$i"
  pids="$(cat "$CG/h$i/cgroup.procs" 2>/dev/null || true)"
  [[ -n "$pids" ]] && kill -9 $pids 2>/dev/null || true
  say "host $i: SIGKILLed $(echo $pids | wc -w) processes"
}

host_down() {
  local i="$1"
  check_index "$i"
  if ip netns list | grep -qw "$(ns "$i")"; then
    (cd "$ROOT" && in_host "$i" node dist/cli/stack.js down) >> "$DIR/h$i/stack.log" 2>&1 || true
  fi
  host_kill "$i" >/dev/null
}

case "${1:-}" in
  up)
    n="${2:-3}"
    [[ "$n" =~ ^[0-9]+$ ]] && (( n >= 1 && n <= MAX )) || die "hosts must be 1..$MAX"
    command -v haproxy >/dev/null || [[ -x /usr/sbin/haproxy ]] || die "haproxy is not installed: apt-get install haproxy"
    mkdir -p "$DIR"
    (cd "$ROOT" && node deploy/tools/build.mjs >/dev/null)
    network_up
    REDIS_PORT="$REDIS_PORT" REDIS_BIND="127.0.0.1 $NET.1" REDIS_HOME="$DIR/redis" bash "$ROOT/deploy/redis/redis.sh" up
    if [[ "$FRONT" == haproxy ]]; then
      haproxy_cfg > "$DIR/haproxy.cfg"
      if pid="$(haproxy_pid)"; then
        say "HAProxy already running (pid $pid)"
      else
        "$(command -v haproxy || echo /usr/sbin/haproxy)" -f "$DIR/haproxy.cfg" || die "haproxy failed to start"
        say "HAProxy on 127.0.0.1:$PORT (stats: http://127.0.0.1:$((PORT + 1))/)"
      fi
    else
      mkdir -p "$DIR/front-nginx"
      nginx_front_cfg > "$DIR/front-nginx/nginx.conf"
      if pid="$(nginx_front_pid)"; then
        say "front nginx already running (pid $pid)"
      else
        "$(command -v nginx || echo /usr/sbin/nginx)" -p "$DIR/front-nginx/" -c "$DIR/front-nginx/nginx.conf" || die "the front nginx failed to start"
        say "front nginx on 127.0.0.1:$PORT (passive checks only)"
      fi
    fi
    # Hosts start one after another: two index warm-ups at once on 2 cores only slow both.
    for i in $(seq 1 "$n"); do host_up "$i"; done
    say "up: $n hosts behind http://127.0.0.1:$PORT"
    ;;
  host-up) host_up "${2:?host index}" ;;
  host-kill) host_kill "${2:?host index}" ;;
  host-down) host_down "${2:?host index}" ;;
  link)
    i="${2:?host index}"; check_index "$i"
    [[ "${3:-}" == up || "${3:-}" == down ]] || die "usage: link I up|down"
    ip link set "vsbh$i" "$3"
    say "host $i: link $3"
    ;;
  haproxy) shift; haproxy_cmd "$*" ;;
  status)
    [[ -S "$DIR/haproxy.sock" ]] && haproxy_pid >/dev/null || { say "not running"; exit 1; }
    haproxy_cmd "show stat" | awk -F, 'NR > 1 && $1 == "hosts" { printf "  %-8s %-6s current %s, total %s\n", $2, $18, $5, $8 }'
    ;;
  down)
    for i in $(seq 1 "$MAX"); do
      ip netns list | grep -qw "$(ns "$i")" && host_down "$i"
      ip link del "vsbh$i" 2>/dev/null || true
      ip netns del "$(ns "$i")" 2>/dev/null || true
      rmdir "$CG/h$i" 2>/dev/null || true
    done
    if pid="$(haproxy_pid)"; then kill "$pid"; say "HAProxy stopped"; fi
    if pid="$(nginx_front_pid)"; then kill -QUIT "$pid"; say "front nginx stopped"; fi
    REDIS_PORT="$REDIS_PORT" REDIS_BIND="127.0.0.1 $NET.1" REDIS_HOME="$DIR/redis" bash "$ROOT/deploy/redis/redis.sh" down
    ip link del "$BRIDGE" 2>/dev/null || true
    rmdir "$CG" 2>/dev/null || true
    say "down"
    ;;
  *) die "usage: bed.sh up [N] | host-up I | host-kill I | host-down I | link I up|down | haproxy CMD | status | down" ;;
esac
