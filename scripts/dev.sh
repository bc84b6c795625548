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
if [ -x .build/debug/blobflow ]; then
  echo "dev: building blobflow (only what changed)"
else
  echo "dev: building blobflow for the first time: this takes a few minutes (later builds take seconds)"
fi
# SwiftPM's [step/total] lines become one progress line (rewritten in place on a terminal, a
# line per tenth otherwise); everything else goes to the log, shown only if the build fails.
started=$SECONDS
set +e
swift build --product blobflow 2>&1 | tee "$log" | awk -v tty="$([ -t 1 ] && echo 1 || echo 0)" '
  match($0, /^\[[0-9]+\/[0-9]+\]/) {
    split(substr($0, 2, RLENGTH - 2), n, "/")
    pct = int(100 * n[1] / n[2])
    if (tty == "1") { printf "\rdev: building: %d of %d steps (%d%%)   ", n[1], n[2], pct; fflush() }
    else if (pct >= next_pct) { printf "dev: building: %d of %d steps (%d%%)\n", n[1], n[2], pct; fflush(); next_pct = pct - pct % 10 + 10 }
    shown = 1
  }
  END { if (shown && tty == "1") printf "\n" }'
status=${PIPESTATUS[0]}
set -e
if [ "$status" -ne 0 ]; then
  grep -vE '^\[[0-9]+/[0-9]+\]' "$log" >&2
  echo "dev: the build failed (swift build exited $status)" >&2
  exit 1
fi
echo "dev: built in $((SECONDS - started)) s"
rm -f "$log"
trap - EXIT
exec .build/debug/blobflow dev "$@"
