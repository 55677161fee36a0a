"""The search endpoint as a Flask team writes it, served by gunicorn with
gevent workers (`gunicorn -k gevent -w N flask_search:app`)."""

from flask import Flask, jsonify, request

from snapshot_index import from_env

index = from_env()
app = Flask(__name__)


@app.post("/v1/collections/<name>/search")
def search(name):
    body = request.get_json()
    vector = body.get("vector")
    if not isinstance(vector, list) or len(vector) != index.dimension:
        return jsonify({"detail": f"vector must hold {index.dimension} numbers"}), 400
    ef = (body.get("params") or {}).get("ef")
    return jsonify({"hits": index.search(vector, int(body.get("topK", 10)), ef)})
