#!/usr/bin/env bash
# Builds blobflow and runs every test: the Swift unit and integration tests, then the
# interoperability suite that drives the development storage server with Microsoft's own
# clients (the Azure SDK for Python and azcopy). Installs what it needs first.
#
# Usage: scripts/test.sh [pytest arguments...]
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh

log=$(mktemp)
trap 'rm -f "$log"' EXIT

echo "==> swift build"
swift build --build-tests 2>&1 | tee "$log" | grep -vE '^\[[0-9]+/[0-9]+\]' || true
if [ "${PIPESTATUS[0]}" -ne 0 ]; then
  echo "swift build failed" >&2
  exit 1
fi
# Warnings in blobflow's own code fail the build (dependencies' warnings are theirs).
if grep -E "^$PWD/(Sources|Tests)/.*(warning|error):" "$log"; then
  echo "blobflow's code has compiler warnings: fix them" >&2
  exit 1
fi

# Podman's settings for the container runner's tests (runc, cgroupfs, modest ulimits).
export CONTAINERS_CONF="${CONTAINERS_CONF:-$PWD/scripts/podman/containers.conf}"

echo "==> swift test"
swift test --skip-build

echo "==> interoperability tests (Azure SDK for Python, azcopy)"
export BLOBFLOW_BIN="$PWD/.build/debug/blobflow"
.venv/bin/python -m pytest Tests/Interop "$@"
