#!/usr/bin/env bash
# Installs the pinned Python stacks of the floor comparison into .venv/bench-python
# (again only when requirements.txt changes) and prints the venv's path.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
VENV="$ROOT/.venv/bench-python"
REQS="$ROOT/bench/servers/python/requirements.txt"
want="$(sha256sum "$REQS" | cut -d' ' -f1)"
if [[ ! -x "$VENV/bin/python" || ! -f "$VENV/.requirements.sha" || "$(cat "$VENV/.requirements.sha")" != "$want" ]]; then
  command -v python3 >/dev/null || { echo "python3 is required (apt-get install python3 python3-venv)" >&2; exit 1; }
  python3 -m venv "$VENV" >&2
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$REQS" >&2
  echo "$want" > "$VENV/.requirements.sha"
fi
echo "$VENV"
