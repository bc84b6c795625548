#!/usr/bin/env bash
# The local loop on one machine: installs what blobflow needs, builds it, and starts the
# development storage server (Azure Blob + Queue REST with Event Grid emulation) on
# Azurite's ports. Extra arguments go to `blobflow devstore`.
set -euo pipefail
cd "$(dirname "$0")/.."

BLOBFLOW_SKIP_PYTHON=1 bash scripts/setup.sh
swift build --product blobflow 2>&1 | grep -vE '^\[[0-9]+/[0-9]+\]' || true
exec .build/debug/blobflow devstore "$@"
