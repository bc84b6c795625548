#!/usr/bin/env bash
# Builds blobflow and runs every test: the Swift unit and integration tests, then the
# interoperability suite that drives the development storage server with Microsoft's own
# clients (the Azure SDK for Python and azcopy). Installs what it needs first.
#
# Every suite runs even when an earlier one failed, and the last line is the combined count,
# `N passed, M failed` (`, K skipped` when some were). The exit status is non-zero when a test
# failed, a suite could not report, or the build failed.
#
# Usage: scripts/test.sh [pytest arguments...]
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

bash scripts/setup.sh || exit 1

reports=$(mktemp -d)
trap 'rm -rf "$reports"' EXIT
log="$reports/build.log"
failed_steps=()

echo "==> swift build"
swift build --build-tests 2>&1 | tee "$log" | grep -vE '^\[[0-9]+/[0-9]+\]'
build_status=${PIPESTATUS[0]}
if [ "$build_status" -ne 0 ]; then
  echo "swift build failed (exit $build_status): no test can run" >&2
  echo "0 passed, 1 failed"
  exit 1
fi
# Warnings in blobflow's own code fail the run (dependencies' warnings are theirs); the tests
# still run, so one report says everything.
if grep -E "^$PWD/(Sources|Tests)/.*(warning|error):" "$log"; then
  echo "blobflow's code has compiler warnings: fix them" >&2
  failed_steps+=("compiler warnings")
fi

# Podman's settings for the container runner's tests (runc, cgroupfs, modest ulimits).
export CONTAINERS_CONF="${CONTAINERS_CONF:-$PWD/scripts/podman/containers.conf}"

echo "==> swift test"
# Every Swift test uses Swift Testing; without XCTest its report goes to exactly this path.
swift test --skip-build --disable-xctest --xunit-output "$reports/swift.xml"
swift_status=$?
[ "$swift_status" -eq 0 ] || failed_steps+=("swift test (exit $swift_status)")

echo "==> interoperability tests (Azure SDK for Python, azcopy)"
export BLOBFLOW_BIN="$PWD/.build/debug/blobflow"
.venv/bin/python -m pytest Tests/Interop --junitxml="$reports/interop.xml" "$@"
interop_status=$?
[ "$interop_status" -eq 0 ] || failed_steps+=("interoperability tests (exit $interop_status)")

# A missing report (a suite that crashed) counts as a failure in the summary.
summary=$(python3 scripts/junit_summary.py "$reports/swift.xml" "$reports/interop.xml")

echo
if [ "${#failed_steps[@]}" -gt 0 ]; then
  printf 'failed: %s\n' "${failed_steps[@]}"
fi
echo "$summary"
failures=${summary#* passed, }
failures=${failures%% failed*}
if [ "${#failed_steps[@]}" -gt 0 ] || [ "$failures" != "0" ]; then
  # A step that failed with no failing test counted (a crash, warnings) still fails the run.
  exit 1
fi
