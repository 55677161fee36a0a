#!/usr/bin/env bash
# Installs vegeta (a compiled open-loop HTTP load generator, MIT) from the Go module
# proxy into .data/tools/bin, pinned. The Node open-loop runner tops out near
# 2,400 req/s of 4 KB bodies on one core here; vegeta offers several times that.
#
#   bash deploy/tools/install-vegeta.sh      (prints the binary's path)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VERSION="v12.13.0"
BIN="$ROOT/.data/tools/bin"
# go install leaves the version string empty: a stamp file records what was installed.
if [[ -x "$BIN/vegeta" && "$(cat "$BIN/vegeta.version" 2>/dev/null)" == "$VERSION" ]]; then
  echo "$BIN/vegeta"; exit 0
fi
command -v go >/dev/null || { echo "vegeta needs Go (https://go.dev/doc/install, or apt-get install golang)" >&2; exit 1; }
mkdir -p "$BIN"
echo "installing vegeta $VERSION into ${BIN#"$ROOT"/} (go install, about a minute)" >&2
GOBIN="$BIN" GOFLAGS=-mod=mod go install "github.com/tsenart/vegeta/v12@$VERSION" >&2
echo "$VERSION" > "$BIN/vegeta.version"
echo "$BIN/vegeta"
