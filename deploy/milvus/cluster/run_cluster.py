"""Starts the roles of a small Milvus cluster from the PyPI `milvus` package's one binary.

    run_cluster.py --home DIR --etcd-port P --kafka HOST:PORT --base-port B

Every role is a process of `milvus run <role>` with its own working directory (Milvus reads
configs/milvus.yaml from there), rendered from the package's own template: ports moved by role and
instance, etcd external (no embedded etcd), Kafka as the message queue, and local storage shared by
every role (one host: the data and query nodes read the same directory). Roles: mixcoord (root,
query, data and index coordinators in one process), 2 proxies, 2 query nodes, a data node and an
index node. Writes each role's pid to DIR/pids/<role>.pid and returns at once; the shell script
waits for health and stops them by pid.
"""
import argparse
import os
import subprocess
import sys
from os.path import join

import milvus

ROLES = [
    # name, milvus run arguments, port offset from --base-port (each role's ports sit apart)
    ("mixcoord", ["mixture", "-rootcoord", "-querycoord", "-datacoord", "-indexcoord"], 0),
    ("proxy1", ["proxy"], 10),
    ("proxy2", ["proxy"], 20),
    ("querynode1", ["querynode"], 30),
    ("querynode2", ["querynode"], 40),
    ("datanode", ["datanode"], 50),
    ("indexnode", ["indexnode"], 60),
]


def proxy_port(base, name):
    return base + dict((r[0], r[2]) for r in ROLES)[name]


def render(home, name, offset, args):
    base = args.base_port + offset
    cfg = milvus.MilvusServerConfig(data_dir=join(home, "roles", name))
    cfg.base_data_dir = join(home, "roles", name)
    for sub in ("configs", "logs"):
        os.makedirs(join(cfg.base_data_dir, sub), exist_ok=True)
    shared = join(home, "storage")
    os.makedirs(shared, exist_ok=True)
    # Every role must find every coordinator at the same ports: coordinator ports are fixed
    # (base + 1..5); each node's own port is its offset.
    items = {
        "etcd_port": args.etcd_port,
        "etcd_log_path": join(cfg.base_data_dir, "logs", "etcd-client.log"),
        "etcd_data_dir": join(cfg.base_data_dir, "unused-etcd"),
        "local_storage_dir": shared,
        "rocksmq_data_dir": join(cfg.base_data_dir, "unused-rocksmq"),
        "system_log_path": join(cfg.base_data_dir, "logs"),
        "root_coord_port": args.base_port + 1,
        "query_coord_port": args.base_port + 2,
        "data_coord_port": args.base_port + 3,
        "index_coord_port": args.base_port + 4,
        "proxy_port": base,
        "proxy_internal_port": base + 1,
        "query_node_port": base + 2,
        "index_node_port": base + 3,
        "data_node_port": base + 4,
    }
    for key, value in items.items():
        cfg.set(key, value)
    cfg.set("etcd.use.embed", "false")
    cfg.set("etcd.rootPath", args.root_path)
    cfg.set("mq.type", "kafka")
    # Every role on loopback: left empty, Milvus registers the host's first non-loopback address.
    for section in ("rootCoord", "proxy", "queryCoord", "queryNode", "indexNode", "dataCoord", "dataNode"):
        cfg.set(f"{section}.ip", "127.0.0.1")
    # A dead role's session (and its hold on the time tick) ends with its etcd lease: 10 s, not 30.
    cfg.set("common.session.ttl", str(args.session_ttl))
    cfg.write_config()
    config_file = join(cfg.base_data_dir, "configs", "milvus.yaml")
    with open(config_file, "a", encoding="utf-8") as f:
        # The template has no kafka section (commented out): add it.
        f.write(f"\nkafka:\n  brokerList: {args.kafka}\n  readTimeout: 10\n")
    return cfg.base_data_dir, base + 5


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--home", required=True)
    p.add_argument("--etcd-port", type=int, required=True)
    p.add_argument("--kafka", required=True)
    p.add_argument("--base-port", type=int, default=24600)
    p.add_argument("--root-path", default="vecserve-cluster")
    p.add_argument("--session-ttl", type=int, default=10)
    p.add_argument("--only", default="", help="comma-separated roles to start (default: all)")
    args = p.parse_args()
    home = os.path.abspath(args.home)
    bin_dir = join(home, "bin")
    milvus._initialize_data_files(home)  # pylint: disable=protected-access
    exe = join(bin_dir, "milvus")
    os.makedirs(join(home, "pids"), exist_ok=True)
    only = set(filter(None, args.only.split(",")))
    for name, run_args, offset in ROLES:
        if only and name not in only:
            continue
        cwd, metrics_port = render(home, name, offset, args)
        env = dict(os.environ)
        env.update({
            "DEPLOY_MODE": "CLUSTER",
            "METRICS_PORT": str(metrics_port),
            "MILVUS_RUN_DIR": join(cwd, "run"),
            "LD_LIBRARY_PATH": bin_dir + ":" + os.environ.get("LD_LIBRARY_PATH", ""),
        })
        out = open(join(cwd, "logs", "stdout.log"), "ab")  # pylint: disable=consider-using-with
        proc = subprocess.Popen(  # pylint: disable=consider-using-with
            [exe, "run", *run_args], cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True)
        with open(join(home, "pids", f"{name}.pid"), "w", encoding="utf-8") as f:
            f.write(str(proc.pid))
        print(f"{name}: pid {proc.pid}, metrics/health on :{metrics_port}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
