#!/usr/bin/env bash
# The whole loop on one machine: installs what blobflow needs, builds it, and runs
# `blobflow dev`: the development storage server (Azure Blob + Queue REST with Event Grid
# emulation) on Azurite's ports, the consumer with the sample app, a ./drop folder uploaded
# into the input container and the output container mirrored into ./outputs.
# Extra arguments go to `blobflow dev` (see `blobflow dev --help`).
set -euo pipefail
cd "$(dirname "$0")/.."

BLOBFLOW_SKIP_PYTHON=1 BLOBFLOW_SKIP_CONTAINERS=1 bash scripts/setup.sh
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! swift build --product blobflow >"$log" 2>&1; then
  grep -vE '^\[[0-9]+/[0-9]+\]' "$log" >&2
  echo "dev: the build failed" >&2
  exit 1
fi
rm -f "$log"
trap - EXIT
exec .build/debug/blobflow dev "$@"
