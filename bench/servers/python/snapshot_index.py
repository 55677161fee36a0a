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
        # Rows the graph cannot reach (listed by the snapshot) are scanned exactly on
        # every search, as vecserve does, so that the answers are the same.
        self.metric = spec["metric"]
        self.unreachable = np.asarray(manifest.get("unreachable", []), dtype=np.int64)
        if len(self.unreachable) > 0:
            vectors = np.memmap(os.path.join(data, "vectors.f32"), dtype="<f4", mode="r")
            rows = vectors[: manifest["slots"] * self.dimension].reshape(-1, self.dimension)
            self.unreachable_vectors = np.array(rows[self.unreachable])

    def search(self, vector, top_k: int, ef: int | None):
        q = np.asarray(vector, dtype=np.float32)
        found = self.index.search(q, max(top_k, ef or self.ef))
        near = [(float(d), int(key)) for key, d in zip(found.keys, found.distances)]
        if len(self.unreachable) > 0:
            seen = {slot for _, slot in near}
            u = self.unreachable_vectors
            if self.metric == "L2":
                dist = ((u - q) ** 2).sum(axis=1)
            elif self.metric == "IP":
                dist = 1 - u @ q
            else:
                dist = 1 - (u @ q) / (np.linalg.norm(u, axis=1) * np.linalg.norm(q) + 1e-30)
            near += [(float(d), int(s)) for d, s in zip(dist, self.unreachable) if int(s) not in seen]
            near.sort(key=lambda x: x[0])
        hits = []
        for d, slot in near[:top_k]:
            hits.append({"id": self.ids[slot], "distance": 1 - d if self.similarity else d})
        return hits


def from_env() -> SnapshotIndex:
    return SnapshotIndex(os.environ.get("DATA_DIR", ".data"), os.environ.get("COLLECTION", "products"))
