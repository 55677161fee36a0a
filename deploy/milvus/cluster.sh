#!/usr/bin/env bash
# A small Milvus cluster on this machine, from registry packages only, without Docker:
#   etcd            Debian etcd-server (metadata, service discovery)
#   Kafka           Maven Central kafka_2.13 in KRaft mode, one broker (the message queue)
#   object storage  local storage shared by every role (one host; measured to work: no MinIO)
#   Milvus 2.3.5    the PyPI package's binary, one process per role: mixcoord, 2 proxies,
#                   2 query nodes, a data node, an index node (deploy/milvus/cluster/run_cluster.py)
#
#   deploy/milvus/cluster.sh up|down|status|kill ROLE|start ROLE|stop-kafka|start-kafka|restart-etcd
#   (npm run milvus:cluster:up / milvus:cluster:down / milvus:cluster:status)
#
# Proxies: 127.0.0.1:24610 and 127.0.0.1:24620 (MILVUS_ADDRESS=127.0.0.1:24610,127.0.0.1:24620).
# Logs and data under .data/milvus-cluster. Idempotent: `up` starts only what is not running.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HOME_DIR="$ROOT/.data/milvus-cluster"
VENV="$ROOT/.venv/milvus-standalone"
ETCD_PORT=24679
KAFKA_PORT=24692
BASE=24600
ROLES=(mixcoord proxy1 proxy2 querynode1 querynode2 datanode indexnode)

say() { echo "milvus-cluster: $*"; }
die() { echo "milvus-cluster: $*" >&2; exit 1; }

alive() { [[ -f "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port() {
  for _ in $(seq 1 "$((${3:-60} * 5))"); do port_open "$1" && return 0; sleep 0.2; done
  die "$2 did not listen on port $1 (logs: $HOME_DIR)"
}
metrics_port() {
  case "$1" in mixcoord) echo $((BASE + 5));; proxy1) echo $((BASE + 15));; proxy2) echo $((BASE + 25));;
    querynode1) echo $((BASE + 35));; querynode2) echo $((BASE + 45));; datanode) echo $((BASE + 55));;
    indexnode) echo $((BASE + 65));; *) die "unknown role $1";; esac
}
healthy() { curl -s -m 2 "http://127.0.0.1:$(metrics_port "$1")/healthz" 2>/dev/null | grep -q OK; }

ensure_etcd() {
  command -v etcd >/dev/null || [[ -x /usr/bin/etcd ]] || {
    [[ "$(id -u)" -eq 0 ]] || die "etcd is not installed: sudo apt-get install etcd-server"
    say "installing etcd-server from Debian"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends etcd-server >/dev/null
    # Debian's package starts its own etcd under systemd where there is one; ours is separate.
  }
}

etcd_up() {
  ensure_etcd
  mkdir -p "$HOME_DIR/etcd"
  alive "$HOME_DIR/etcd/etcd.pid" && return
  # exec: the pid written is etcd's own; stdio away from the caller's pipes.
  (cd "$HOME_DIR/etcd" && exec etcd --name vecserve --data-dir "$HOME_DIR/etcd/data" \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$((ETCD_PORT + 1))" \
    --initial-advertise-peer-urls "http://127.0.0.1:$((ETCD_PORT + 1))" \
    --initial-cluster "vecserve=http://127.0.0.1:$((ETCD_PORT + 1))" --log-level warn) \
    >> "$HOME_DIR/etcd/etcd.log" 2>&1 < /dev/null &
  echo $! > "$HOME_DIR/etcd/etcd.pid"
  wait_port "$ETCD_PORT" etcd 30
  say "etcd on 127.0.0.1:$ETCD_PORT"
}

kafka_libs() {
  local k="$HOME_DIR/kafka"
  [[ -f "$k/libs/.complete" ]] && return
  command -v java >/dev/null || die "java is required for Kafka (apt-get install default-jre-headless)"
  command -v mvn >/dev/null || die "mvn is required to fetch Kafka from Maven Central (apt-get install maven)"
  say "fetching Kafka 4.1.1 and its dependencies from Maven Central"
  mvn -q -f "$ROOT/deploy/milvus/cluster/kafka-pom.xml" dependency:copy-dependencies \
    -DoutputDirectory="$k/libs" -DincludeScope=runtime || die "mvn could not fetch Kafka"
  touch "$k/libs/.complete"
}

kafka_up() {
  local k="$HOME_DIR/kafka"
  mkdir -p "$k"
  kafka_libs
  alive "$k/kafka.pid" && return
  cp "$ROOT/deploy/milvus/cluster/log4j2.yaml" "$k/log4j2.yaml"
  cat > "$k/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:$((KAFKA_PORT + 1))
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$((KAFKA_PORT + 1))
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$k/data
num.partitions=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
auto.create.topics.enable=true
# Milvus sends inserts of up to several MB per message (1,000 x 512-d floats is 2 MB).
message.max.bytes=20971520
replica.fetch.max.bytes=20971520
PROPS
  local java_opts=(-Xms128m -Xmx384m -XX:+UseSerialGC "-Dlog4j2.configurationFile=$k/log4j2.yaml" -cp "$k/libs/*")
  if [[ ! -f "$k/data/meta.properties" ]]; then
    local id; id="$(java "${java_opts[@]}" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -1)"
    java "${java_opts[@]}" kafka.tools.StorageTool format --standalone -t "$id" -c "$k/server.properties" >> "$k/kafka.log" 2>&1 \
      || die "formatting Kafka's storage failed (log: $k/kafka.log)"
  fi
  java "${java_opts[@]}" kafka.Kafka "$k/server.properties" >> "$k/kafka.log" 2>&1 < /dev/null &
  echo $! > "$k/kafka.pid"
  wait_port "$KAFKA_PORT" Kafka 60
  say "Kafka (KRaft) on 127.0.0.1:$KAFKA_PORT"
}

roles_up() {
  [[ -x "$VENV/bin/python" ]] || bash "$ROOT/deploy/milvus/milvus.sh" install
  local missing=()
  for r in "${ROLES[@]}"; do alive "$HOME_DIR/milvus/pids/$r.pid" || missing+=("$r"); done
  if [[ ${#missing[@]} -gt 0 ]]; then
    local only; only="$(IFS=,; echo "${missing[*]}")"
    "$VENV/bin/python" "$ROOT/deploy/milvus/cluster/run_cluster.py" --home "$HOME_DIR/milvus" \
      --etcd-port "$ETCD_PORT" --kafka "127.0.0.1:$KAFKA_PORT" --base-port "$BASE" --only "$only" >/dev/null
  fi
  for r in "${ROLES[@]}"; do
    for _ in $(seq 1 600); do healthy "$r" && break; alive "$HOME_DIR/milvus/pids/$r.pid" || die "$r exited (log: $HOME_DIR/milvus/roles/$r/logs/stdout.log)"; sleep 0.2; done
    healthy "$r" || die "$r not healthy within 120 s (log: $HOME_DIR/milvus/roles/$r/logs/stdout.log)"
  done
  say "Milvus roles healthy: ${ROLES[*]}; proxies 127.0.0.1:$((BASE + 10)),127.0.0.1:$((BASE + 20))"
}

stop_pid() {
  local file="$1" sig="${2:-TERM}"
  alive "$file" || { rm -f "$file"; return 0; }
  local pid; pid="$(cat "$file")"
  # Each role runs in its own session (run_cluster.py): signal the group.
  kill -"$sig" -- "-$pid" 2>/dev/null || kill -"$sig" "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && { kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true; }
  rm -f "$file"
}

case "${1:-}" in
  up)
    etcd_up
    kafka_up
    roles_up
    ;;
  down)
    for r in "${ROLES[@]}"; do stop_pid "$HOME_DIR/milvus/pids/$r.pid"; done
    stop_pid "$HOME_DIR/kafka/kafka.pid"
    stop_pid "$HOME_DIR/etcd/etcd.pid"
    say "down"
    ;;
  status)
    ok=0
    alive "$HOME_DIR/etcd/etcd.pid" && say "etcd: running" || { say "etcd: stopped"; ok=1; }
    alive "$HOME_DIR/kafka/kafka.pid" && say "kafka: running" || { say "kafka: stopped"; ok=1; }
    for r in "${ROLES[@]}"; do
      if healthy "$r"; then say "$r: healthy"; else say "$r: not healthy"; ok=1; fi
    done
    exit "$ok"
    ;;
  kill) stop_pid "$HOME_DIR/milvus/pids/${2:?role}.pid" KILL; say "${2} SIGKILLed" ;;
  start) roles_up ;;
  stop-kafka) stop_pid "$HOME_DIR/kafka/kafka.pid"; say "Kafka stopped" ;;
  start-kafka) kafka_up ;;
  restart-etcd) stop_pid "$HOME_DIR/etcd/etcd.pid"; etcd_up ;;
  wipe)
    "$0" down
    rm -rf "$HOME_DIR/milvus/storage" "$HOME_DIR/milvus/roles" "$HOME_DIR/kafka/data" "$HOME_DIR/etcd/data"
    say "data wiped"
    ;;
  *) die "usage: cluster.sh up|down|status|wipe|kill ROLE|start|stop-kafka|start-kafka|restart-etcd" ;;
esac
