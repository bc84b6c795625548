# syntax=docker/dockerfile:1
#
# blobflow's container image: the consumer (`blobflow run`), azcopy, and optionally your app.
#
#   docker build -t blobflow .
#   docker run --rm --env-file .env -v /srv/checkpoints:/mnt/azurefiles/blobflow blobflow
#
# Checkpoints go to the share mounted at /mnt/azurefiles/blobflow; downloads and app outputs are
# staged in /var/lib/blobflow/work, a local folder (an EmptyDir volume on Container Apps and AKS,
# which a read-only root needs). Staging on the share cost ten times the share operations per
# file and a third of the throughput (README, "Checkpoints on a share").
#
# Bringing your app in (the command processor runs it once per blob, see README "Your app: the
# contract"), either way:
#
#   1. Layer blobflow onto your app's image. Its base must be Debian 12 (bookworm) or derived
#      from it (apt, glibc 2.36 or later):
#        docker build --build-arg APP_IMAGE=myregistry.azurecr.io/my-app:1.4 -t my-app-blobflow .
#      blobflow installs its few libraries with apt, adds its user and takes over ENTRYPOINT,
#      CMD, USER and WORKDIR; everything else in your image (files, PATH, ENV) stays. Files
#      your app needs at run time must be readable by any user (blobflow runs as uid 10001).
#   2. Copy a folder of the build context to /app (a script, a static binary, a model file):
#        docker build --build-arg APP_DIR=tools/my-app -t my-app-blobflow .
#      and run it with BLOBFLOW_PROCESSOR=command BLOBFLOW_COMMAND='/app/run.sh {input} {output}'.
#
# Needs BuildKit (Docker 23 and later use it by default) or podman/buildah, which support the
# same RUN --mount options; give podman `--format docker`, as OCI images carry no HEALTHCHECK.
# Build arguments (the first three and AZCOPY_TARBALL let a build run without a registry or
# GitHub: scripts/test-image.sh builds this file that way, from local images and files):
#   SWIFT_IMAGE       the Swift toolchain image (Swift 6.1 or later, Debian bookworm)
#   DEBIAN_IMAGE      the image azcopy is unpacked and APP_DIR is copied in (Debian 12)
#   APP_IMAGE         the runtime base image (default debian:bookworm-slim)
#   APP_DIR           a folder of the build context to copy to /app (default: none)
#   AZCOPY_VERSION, AZCOPY_SHA256_AMD64, AZCOPY_SHA256_ARM64
#                     the azcopy release and the SHA-256 of its linux tarballs, from
#                     github.com/Azure/azure-storage-azcopy/releases. The checksums belong to the
#                     version: whenever AZCOPY_VERSION changes, both checksums must change with
#                     it (download the two tarballs and run sha256sum), or the build stops.
#   AZCOPY_TARBALL    a file of the build context to use instead of downloading azcopy, in the
#                     layout of Microsoft's tarball (azcopy_linux_<arch>_<version>/azcopy); it is
#                     checked against AZCOPY_SHA256_<ARCH> like a download.
#   RUNTIME_PACKAGES  Debian packages of the runtime stage. scripts/build-release.sh checks in
#                     the build stage that every library the binary needs comes from one of them.
#   BLOBFLOW_UID      the uid and gid of the non-root user (default 10001)

ARG SWIFT_IMAGE=swift:6.1-bookworm
ARG DEBIAN_IMAGE=debian:bookworm-slim
ARG APP_IMAGE=debian:bookworm-slim
ARG RUNTIME_PACKAGES="libcurl4 libxml2 ca-certificates tzdata"
# The base images come from the build arguments above, each defaulting to a tagged image, so
# that a build can pin digests or swap the app's image; checkov cannot resolve ARG values and
# would take every FROM below for an untagged ("latest") image.
# checkov:skip=CKV_DOCKER_7:base images are build arguments whose defaults are version-tagged

# --- build: the same scripts CI runs ---------------------------------------------------------
FROM ${SWIFT_IMAGE} AS build
ARG RUNTIME_PACKAGES
WORKDIR /src
# System packages (libcurl and libxml2 headers, pkg-config) exactly as CI installs them.
COPY scripts/setup.sh scripts/build-release.sh scripts/
RUN BLOBFLOW_SKIP_PYTHON=1 BLOBFLOW_SKIP_CONTAINERS=1 bash scripts/setup.sh
COPY Package.* ./
COPY Sources/ Sources/
COPY Tests/ Tests/
# The build folder and SwiftPM's download cache live in cache mounts, so a rebuild after a
# source change recompiles only what changed; the binary is copied out to /out.
RUN --mount=type=cache,id=blobflow-swift-build,target=/src/.build \
    --mount=type=cache,id=blobflow-swiftpm-cache,target=/root/.cache/org.swift.swiftpm \
    bash scripts/build-release.sh --runtime-packages "${RUNTIME_PACKAGES}" /out

# --- azcopy: Microsoft's release tarball, verified -------------------------------------------
FROM ${DEBIAN_IMAGE} AS azcopy
ARG AZCOPY_VERSION=10.32.8
ARG AZCOPY_SHA256_AMD64=a95277dbc265912cefdddbaf251aa99ec648cb18ba657e8788066357a9022dc3
ARG AZCOPY_SHA256_ARM64=50e6e58a109f2afd64376b5b003973ff213fbfdec795fe81a95b208982061d9b
ARG AZCOPY_TARBALL=
ARG TARGETARCH
# Every RUN here is POSIX sh: podman and buildah build OCI images by default, which ignore SHELL.
# Debian's own packages are not pinned: bookworm's security updates replace old versions in the
# archive, so a pin would break the build; this stage is discarded anyway.
# With AZCOPY_TARBALL nothing is downloaded, so curl is not needed either.
# hadolint ignore=DL3008
RUN if [ -z "$AZCOPY_TARBALL" ]; then \
         apt-get update \
         && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ca-certificates curl \
         && rm -rf /var/lib/apt/lists/*; \
       fi
RUN --mount=type=bind,source=.,target=/context \
    arch="${TARGETARCH:-amd64}" \
    && case "$arch" in \
         amd64) sha256="$AZCOPY_SHA256_AMD64" ;; \
         arm64) sha256="$AZCOPY_SHA256_ARM64" ;; \
         *) echo "azcopy publishes no linux/$arch build" >&2; exit 1 ;; \
       esac \
    && if [ -n "$AZCOPY_TARBALL" ]; then \
         if [ ! -f "/context/$AZCOPY_TARBALL" ]; then echo "AZCOPY_TARBALL '$AZCOPY_TARBALL' is not a file of the build context" >&2; exit 1; fi; \
         cp "/context/$AZCOPY_TARBALL" /tmp/azcopy.tar.gz; \
       else \
         curl -fsSL --proto '=https' --proto-redir '=https' -o /tmp/azcopy.tar.gz \
           "https://github.com/Azure/azure-storage-azcopy/releases/download/v${AZCOPY_VERSION}/azcopy_linux_${arch}_${AZCOPY_VERSION}.tar.gz"; \
       fi \
    && printf '%s  %s\n' "$sha256" /tmp/azcopy.tar.gz > /tmp/azcopy.tar.gz.sha256 \
    && sha256sum -c /tmp/azcopy.tar.gz.sha256 \
    && mkdir -p /opt/azcopy \
    && tar -xzf /tmp/azcopy.tar.gz --strip-components=1 -C /opt/azcopy \
    && install -m 0755 /opt/azcopy/azcopy /usr/local/bin/azcopy \
    && rm -rf /tmp/azcopy.tar.gz /tmp/azcopy.tar.gz.sha256 /opt/azcopy

# --- app: APP_DIR from the build context, or nothing -----------------------------------------
FROM ${DEBIAN_IMAGE} AS app
ARG APP_DIR=
RUN --mount=type=bind,source=.,target=/context \
    mkdir -p /app \
    && if [ -n "$APP_DIR" ]; then \
         if [ ! -d "/context/$APP_DIR" ]; then echo "APP_DIR '$APP_DIR' is not a folder of the build context" >&2; exit 1; fi; \
         cp -a "/context/$APP_DIR/." /app/; \
       fi

# --- runtime ---------------------------------------------------------------------------------
FROM ${APP_IMAGE} AS runtime
ARG RUNTIME_PACKAGES
ARG BLOBFLOW_UID=10001
# APP_IMAGE may have left a non-root user in charge; installing needs root, and the last USER
# below is blobflow's.
USER 0
# Unpinned for the reason given in the azcopy stage: the security updates of the bookworm
# release the image is built on are what should be installed. RUNTIME_PACKAGES is split into
# package names on purpose.
# hadolint ignore=DL3008,SC2086
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $RUNTIME_PACKAGES \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --gid "$BLOBFLOW_UID" blobflow \
    && useradd --uid "$BLOBFLOW_UID" --gid blobflow --create-home --home-dir /home/blobflow \
         --shell /usr/sbin/nologin blobflow \
    && mkdir -p /mnt/azurefiles/blobflow /var/lib/blobflow/work \
    && chown blobflow:blobflow /mnt/azurefiles/blobflow /var/lib/blobflow/work
COPY --from=azcopy /usr/local/bin/azcopy /usr/local/bin/azcopy
COPY --from=app /app /app
COPY --from=build /out/blobflow /usr/local/bin/blobflow

# azcopy is found on PATH (/usr/local/bin).
ENV BLOBFLOW_LOG_FORMAT=json \
    BLOBFLOW_CHECKPOINT_DIR=/mnt/azurefiles/blobflow \
    BLOBFLOW_WORK_DIR=/var/lib/blobflow/work
WORKDIR /home/blobflow
USER ${BLOBFLOW_UID}:${BLOBFLOW_UID}
# Exits 0 when BLOBFLOW_HTTP_PORT is unset; otherwise asks http://127.0.0.1:PORT/healthz.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 CMD ["blobflow", "healthcheck"]
ENTRYPOINT ["blobflow"]
CMD ["run"]
