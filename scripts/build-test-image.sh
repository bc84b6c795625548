#!/usr/bin/env bash
# Builds the image the container processor's tests run, localhost/blobflow-test-app:latest: a root
# file system holding Debian's static busybox and the applets the tests use, imported with
# `podman import` (no registry is needed). Does nothing when the image is already there; set
# BLOBFLOW_REBUILD_TEST_IMAGE=1 to replace it.
#
# Podman reads CONTAINERS_CONF; when it is unset, the repository's scripts/podman/containers.conf
# is used, as in the tests.
set -euo pipefail
cd "$(dirname "$0")/.."

image=localhost/blobflow-test-app:latest
export CONTAINERS_CONF="${CONTAINERS_CONF:-$PWD/scripts/podman/containers.conf}"

if ! command -v podman >/dev/null 2>&1; then
  echo "build-test-image: podman is not installed; run scripts/setup.sh" >&2
  exit 1
fi
if [ "${BLOBFLOW_REBUILD_TEST_IMAGE:-0}" != "1" ] && podman image exists "$image"; then
  exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The static binary: from the installed busybox-static, else from its package file (where the
# dynamically linked busybox package is installed instead, which busybox-static would replace).
busybox=
if dpkg -s busybox-static >/dev/null 2>&1; then
  busybox=$(dpkg -L busybox-static | grep -E '/bin/busybox$' | head -n 1)
fi
if [ -z "$busybox" ]; then
  (cd "$work" && apt-get download busybox-static >/dev/null)
  dpkg-deb -x "$work"/busybox-static_*.deb "$work/deb"
  busybox="$work/deb/bin/busybox"
fi

root="$work/rootfs"
mkdir -p "$root/bin" "$root/tmp" "$root/etc" "$root/proc" "$root/sys" "$root/dev"
chmod 1777 "$root/tmp"
cp "$busybox" "$root/bin/busybox"
chmod 755 "$root/bin/busybox"
for applet in sh cat wc md5sum cp mkdir sleep tr echo ls env printf ln mkfifo rm mv touch \
  head tail grep sed id chmod true false test wget ip ifconfig; do
  ln -s busybox "$root/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/tmp:/bin/sh\n' > "$root/etc/passwd"
printf 'root:x:0:\napp:x:1000:\n' > "$root/etc/group"

tar -C "$root" --numeric-owner --owner=0 --group=0 -cf "$work/rootfs.tar" .
podman import --quiet --change 'ENV PATH=/bin' "$work/rootfs.tar" "$image" >/dev/null
echo "build-test-image: built $image"
