#!/usr/bin/env bash
# Lints what the compiler does not, and installs the tools it needs first:
#   - every Swift file's formatting, with the toolchain's `swift format` and .swift-format
#     (format in place: `swift format format -i -p $(git ls-files '*.swift')`);
#   - every shell script (scripts/*.sh, scripts/**/*.sh, .ci/run and any other tracked *.sh),
#     with Debian's shellcheck;
#   - the Dockerfile: hadolint, and checkov's Dockerfile checks;
#   - infra/ (Bicep): checkov's Bicep checks, plus a check that infra/main.parameters.json only
#     sets parameters infra/main.bicep declares;
#   - monitoring/: the alerting rules with promtool (Debian's prometheus package), their unit
#     tests, and the Grafana dashboard's queries (they must parse and name documented metrics).
# hadolint and checkov come from PyPI, pinned in scripts/requirements-lint.txt, in a virtual
# environment of their own, .venv/lint (checkov's dependencies clash with the test
# environment's). checkov runs offline (--skip-download). A checkov finding fails the lint unless
# the file skips it with an inline `checkov:skip=ID:reason`; so does a file checkov cannot parse
# (its Bicep parser rejects, inside an object, more than four comment lines in a row after a
# property, and function calls whose arguments span lines).
#
# With BLOBFLOW_LINT_RELEASE_BUILD=1 it also runs scripts/build-release.sh, the build the
# Dockerfile's build stage runs, with the Dockerfile's RUNTIME_PACKAGES, and checks that the
# runtime image would have every library the binary loads. CI leaves it off: scripts/test-image.sh
# builds the image itself, that build included, and runs the binary in it. It takes several
# minutes on two cores.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v shellcheck >/dev/null 2>&1 || need_apt+=(shellcheck)
command -v promtool >/dev/null 2>&1 || need_apt+=(prometheus)
dpkg -s python3-venv >/dev/null 2>&1 || need_apt+=(python3-venv)
if [ "${#need_apt[@]}" -gt 0 ]; then
  echo "lint: installing system packages: ${need_apt[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

venv=.venv/lint
stamp="$venv/.requirements"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
if ! cmp -s scripts/requirements-lint.txt "$stamp" 2>/dev/null; then
  echo "lint: installing hadolint and checkov into $venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r scripts/requirements-lint.txt
  cp scripts/requirements-lint.txt "$stamp"
fi

failed=0

echo "==> shellcheck"
shopt -s nullglob globstar
mapfile -t scripts < <(
  { printf '%s\n' scripts/*.sh scripts/**/*.sh .ci/run; git ls-files '*.sh'; } | sort -u
)
shopt -u nullglob globstar
shellcheck "${scripts[@]}" || failed=1

echo "==> swift format (the toolchain's, settings in .swift-format)"
mapfile -t swift_files < <(git ls-files '*.swift')
swift format lint --strict --parallel "${swift_files[@]}" || failed=1

echo "==> hadolint Dockerfile"
"$venv/bin/hadolint" Dockerfile || failed=1

# checkov prints its findings; a parse error alone would not fail it, so that is checked here.
run_checkov() {
  local out status=0
  out=$("$venv/bin/checkov" --quiet --compact --skip-download "$@" 2>&1) || status=$?
  printf '%s\n' "$out" | grep -vE '^\s*$' || true
  if printf '%s\n' "$out" | grep -qE 'Parsing errors: [1-9]|Error parsing file'; then
    echo "checkov could not parse a file (see above)" >&2
    status=1
  fi
  return "$status"
}

echo "==> checkov Dockerfile"
run_checkov -f Dockerfile --framework dockerfile || failed=1

echo "==> checkov infra/ (Bicep)"
run_checkov -d infra --framework bicep || failed=1

echo "==> infra/main.parameters.json against infra/main.bicep"
"$venv/bin/python" - <<'PY' || failed=1
import json, re, sys
declared = set(re.findall(r"^param\s+(\w+)\s", open("infra/main.bicep").read(), re.M))
given = json.load(open("infra/main.parameters.json"))["parameters"]
unknown = sorted(set(given) - declared)
if unknown:
    sys.exit("main.parameters.json sets parameters main.bicep does not declare: " + ", ".join(unknown))
print(f"{len(given)} parameters, all declared")
PY

echo "==> promtool monitoring/"
promtool check rules monitoring/prometheus/blobflow-alerts.yml || failed=1
promtool test rules monitoring/prometheus/blobflow-alerts.test.yml || failed=1
python3 monitoring/check.py || failed=1

if [ "${BLOBFLOW_LINT_RELEASE_BUILD:-0}" = "1" ]; then
  echo "==> scripts/build-release.sh (the Dockerfile's build step)"
  runtime_packages=$(sed -n 's/^ARG RUNTIME_PACKAGES="\(.*\)"$/\1/p' Dockerfile)
  if [ -z "$runtime_packages" ]; then
    echo "the Dockerfile has no ARG RUNTIME_PACKAGES=\"...\" line" >&2
    failed=1
  else
    out=$(mktemp -d)
    bash scripts/build-release.sh --runtime-packages "$runtime_packages" "$out" || failed=1
    rm -rf "$out"
  fi
else
  echo "==> scripts/build-release.sh: skipped (BLOBFLOW_LINT_RELEASE_BUILD=1 runs it; CI builds it in scripts/test-image.sh)"
fi

if [ "$failed" -ne 0 ]; then
  echo "lint: failed" >&2
  exit 1
fi
echo "lint: ok"
