"""vecserve's snapshot of a collection, opened as the Node servers open it.

The graph file is memory-mapped (usearch `view`) with search breadth 1, and a
search asks for k = max(topK, ef) results, exactly as vecserve does
(src/backends/embedded/hnsw-index.ts), so every server in the comparison does
the same work and gives the same answers. Row ids are decoded once into a
list.
"""

import json
import os

import numpy as np
from usearch.index import Index, MetricKind, ScalarKind

_METRICS = {"L2": MetricKind.L2sq, "IP": MetricKind.IP, "COSINE": MetricKind.Cos}
_SCALARS = {"f32": ScalarKind.F32, "f16": ScalarKind.F16, "i8": ScalarKind.I8}


class SnapshotIndex:
    def __init__(self, data_dir: str, name: str):
        coll = os.path.join(data_dir, "collections", name)
        with open(os.path.join(coll, "CURRENT")) as f:
            snap = os.path.join(coll, f.read().strip())
        with open(os.path.join(snap, "manifest.json")) as f:
            manifest = json.load(f)
        spec = manifest["spec"]
        self.dimension = spec["dimension"]
        self.ef = spec["index"]["efSearch"]
        self.similarity = spec["metric"] != "L2"
        self.index = Index(
            ndim=self.dimension,
            metric=_METRICS[spec["metric"]],
            dtype=_SCALARS[spec["index"]["quantization"]],
            connectivity=spec["index"]["M"],
            expansion_add=16,
            expansion_search=1,
        )
        self.index.view(os.path.join(snap, "index.usearch"))
        data = os.path.join(coll, f"data-{manifest['generation']}")
        ends = np.fromfile(os.path.join(data, "ids.ends"), dtype="<f8")
        with open(os.path.join(data, "ids.utf8"), "rb") as f:
            raw = f.read()
        self.ids = []
        start = 0
        for e in ends[: manifest["slots"]]:
            end = int(-e - 1 if e < 0 else e)
            self.ids.append(raw[start:end].decode("utf-8"))
            start = end

    def search(self, vector, top_k: int, ef: int | None):
        q = np.asarray(vector, dtype=np.float32)
        found = self.index.search(q, max(top_k, ef or self.ef))
        hits = []
        for key, d in zip(found.keys[:top_k], found.distances[:top_k]):
            d = float(d)
            hits.append({"id": self.ids[int(key)], "distance": 1 - d if self.similarity else d})
        return hits


def from_env() -> SnapshotIndex:
    return SnapshotIndex(os.environ.get("DATA_DIR", ".data"), os.environ.get("COLLECTION", "products"))
