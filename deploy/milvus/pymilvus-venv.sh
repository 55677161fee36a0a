#!/usr/bin/env bash
# A venv with the pinned pymilvus (deploy/milvus/requirements-pymilvus.txt) under .venv/pymilvus,
# re-installed only when the pins change; prints the venv's python. Idempotent.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
REQS="$ROOT/deploy/milvus/requirements-pymilvus.txt"
VENV="$ROOT/.venv/pymilvus"
command -v python3 >/dev/null || { echo "pymilvus-venv: python3 is required (apt-get install python3 python3-venv)" >&2; exit 1; }
stamp="$VENV/.requirements.sha"
want="$(sha256sum "$REQS" | cut -d' ' -f1)"
if [[ ! -x "$VENV/bin/python" || ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
  echo "pymilvus-venv: installing $(basename "$REQS") into .venv/pymilvus" >&2
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$REQS" >&2
  echo "$want" > "$stamp"
fi
echo "$VENV/bin/python"
