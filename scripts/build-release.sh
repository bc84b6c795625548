#!/usr/bin/env bash
# Builds the blobflow command for release, with the Swift runtime and Foundation linked in
# statically (--static-swift-stdlib), and copies it to DEST (default .build/dist). This is the
# build the Dockerfile's build stage runs, so CI runs it inside the image build
# (scripts/test-image.sh): a change that breaks the image's build breaks CI.
#
# The copy has its DWARF debug information stripped (function names stay, so crash backtraces
# still name functions); set BLOBFLOW_KEEP_DEBUG_INFO=1 to keep it. The copy must then start
# (`blobflow --help`), and with --runtime-packages the libraries it loads must come from those
# Debian packages or from ones every Debian image has (libc6, libgcc-s1, libstdc++6, zlib1g):
# the check that the runtime image installs enough.
#
# Usage: scripts/build-release.sh [--runtime-packages 'PKG PKG...'] [DEST]
# Extra `swift build` flags may be given in BLOBFLOW_SWIFT_BUILD_FLAGS (split on spaces).
set -euo pipefail
cd "$(dirname "$0")/.."

runtime_packages=
dest=.build/dist
while [ "$#" -gt 0 ]; do
  case "$1" in
    --runtime-packages)
      [ "$#" -ge 2 ] || { echo "build-release: --runtime-packages needs a value" >&2; exit 2; }
      runtime_packages=$2
      shift 2
      ;;
    -h | --help)
      sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    -*)
      echo "build-release: unknown option $1" >&2
      exit 2
      ;;
    *)
      dest=$1
      shift
      ;;
  esac
done

# shellcheck disable=SC2206 # splitting on spaces is the documented behaviour
extra_flags=(${BLOBFLOW_SWIFT_BUILD_FLAGS:-})
build=(swift build -c release --product blobflow --static-swift-stdlib "${extra_flags[@]}")

log=$(mktemp)
trap 'rm -f "$log"' EXIT
echo "build-release: ${build[*]}"
if ! "${build[@]}" >"$log" 2>&1; then
  grep -vE '^\[[0-9]+/[0-9]+\]' "$log" >&2
  echo "build-release: the build failed" >&2
  exit 1
fi
bin_dir=$("${build[@]}" --show-bin-path)

mkdir -p "$dest"
install -m 0755 "$bin_dir/blobflow" "$dest/blobflow"
if [ "${BLOBFLOW_KEEP_DEBUG_INFO:-0}" != "1" ] && command -v strip >/dev/null 2>&1; then
  strip --strip-debug "$dest/blobflow"
fi

if ! "$dest/blobflow" --help >/dev/null; then
  echo "build-release: $dest/blobflow does not start" >&2
  exit 1
fi

if [ -n "$runtime_packages" ]; then
  # The libraries the binary names itself (DT_NEEDED); apt brings in their own dependencies.
  allowed=" libc6 libgcc-s1 libstdc++6 zlib1g $runtime_packages "
  missing=()
  while read -r soname; do
    path=$(ldd "$dest/blobflow" | awk -v lib="$soname" '$1 == lib && $3 ~ /^\// { print $3; exit }')
    if [ -z "$path" ]; then
      case "$soname" in
        ld-linux*) continue ;; # the dynamic loader itself (libc6)
      esac
      missing+=("$soname (not found on this machine)")
      continue
    fi
    package=$(dpkg -S "$(readlink -f "$path")" 2>/dev/null | head -n 1 | cut -d: -f1 || true)
    [ -n "$package" ] || package=$(dpkg -S "$path" 2>/dev/null | head -n 1 | cut -d: -f1 || true)
    case "$allowed" in
      *" $package "*) ;;
      *) missing+=("$soname (from ${package:-no Debian package})") ;;
    esac
  done < <(readelf -d "$dest/blobflow" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
  if [ "${#missing[@]}" -gt 0 ]; then
    echo "build-release: the binary needs libraries the runtime image would not have:" >&2
    printf '  - %s\n' "${missing[@]}" >&2
    echo "add their packages to RUNTIME_PACKAGES in the Dockerfile" >&2
    exit 1
  fi
fi

echo "build-release: $dest/blobflow ($(du -h "$dest/blobflow" | cut -f1))"
