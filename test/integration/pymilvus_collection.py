"""Creates, fills, indexes (IVF_SQ8), loads and searches a collection with pymilvus, as the
scenario's own Python code does; prints the search results as JSON.

usage: python pymilvus_collection.py ADDRESS NAME DATA.json
DATA.json: {"vectors": [[...], ...], "queries": [[...], ...], "nprobe": 10, "limit": 10}
"""
import json
import sys

from pymilvus import Collection, CollectionSchema, DataType, FieldSchema, connections

address, name, data_path = sys.argv[1], sys.argv[2], sys.argv[3]
with open(data_path) as f:
    data = json.load(f)
host, port = address.rsplit(":", 1)
connections.connect(host=host, port=port)
dim = len(data["vectors"][0])
schema = CollectionSchema(
    [
        FieldSchema("product_id", DataType.INT64, is_primary=True),
        FieldSchema("image_vec", DataType.FLOAT_VECTOR, dim=dim),
        FieldSchema("brand", DataType.VARCHAR, max_length=16),
    ]
)
collection = Collection(name, schema)
n = len(data["vectors"])
collection.insert([list(range(n)), data["vectors"], ["b%d" % (i % 3) for i in range(n)]])
collection.flush()
collection.create_index(
    "image_vec", {"index_type": "IVF_SQ8", "metric_type": "L2", "params": {"nlist": 32}}
)
collection.load()
results = collection.search(
    data["queries"],
    "image_vec",
    {"metric_type": "L2", "params": {"nprobe": data["nprobe"]}},
    limit=data["limit"],
    consistency_level="Strong",
)
print(json.dumps([[{"id": str(h.id), "distance": h.distance} for h in hits] for hits in results]))
connections.disconnect("default")
