"""The scenario's own concurrency test: pymilvus Collection.search from c threads.

What a Python team runs when it skips the API: one connection, c threads each
sending the next search as soon as the last one returned, for `seconds` per
level. Prints one JSON object per level on stdout:
  {"concurrency": c, "qps": .., "meanMs": .., "p50Ms": .., "p99Ms": .., "errors": n}

  python pymilvus_loop.py ADDRESS COLLECTION QUERIES.json SECONDS LEVELS [EF]

QUERIES.json is a JSON array of vectors; LEVELS is comma-separated (1,10,50).
Percentiles are nearest rank, as src/core/statistics.ts defines them.
"""

import json
import math
import sys
import threading
import time

from pymilvus import Collection, connections


def nearest_rank(sorted_values, p):
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(p * len(sorted_values)))
    return sorted_values[rank - 1]


def main():
    address, name, queries_path, seconds, levels = sys.argv[1:6]
    ef = int(sys.argv[6]) if len(sys.argv) > 6 else 64
    host, port = address.rsplit(":", 1)
    connections.connect(alias="default", host=host, port=port)
    collection = Collection(name)
    collection.load()
    with open(queries_path) as f:
        queries = json.load(f)
    param = {"metric_type": "L2", "params": {"ef": ef}}

    def search(vector):
        collection.search(
            data=[vector], anns_field="embedding", param=param, limit=10, output_fields=["id"]
        )

    def level(c, duration):
        latencies = []
        errors = [0]
        lock = threading.Lock()
        end = time.perf_counter() + duration

        def caller(start):
            i = start
            mine = []
            failed = 0
            while time.perf_counter() < end:
                t = time.perf_counter()
                try:
                    search(queries[i % len(queries)])
                    mine.append((time.perf_counter() - t) * 1000)
                except Exception:  # noqa: BLE001 - counted, the loop goes on
                    failed += 1
                i += 1
            with lock:
                latencies.extend(mine)
                errors[0] += failed

        started = time.perf_counter()
        threads = [threading.Thread(target=caller, args=(k * 7919,)) for k in range(c)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - started
        latencies.sort()
        return {
            "concurrency": c,
            "qps": round(len(latencies) / elapsed, 2),
            "meanMs": round(sum(latencies) / max(1, len(latencies)), 2),
            "p50Ms": round(nearest_rank(latencies, 0.5), 2),
            "p99Ms": round(nearest_rank(latencies, 0.99), 2),
            "errors": errors[0],
        }

    level(4, 1.0)  # warm-up: the connection, the collection's handles
    for c in (int(x) for x in levels.split(",")):
        print(json.dumps(level(c, float(seconds))), flush=True)


if __name__ == "__main__":
    main()
