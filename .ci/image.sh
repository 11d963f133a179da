#!/usr/bin/env bash
# make image: the container image localhost/smtp-setup:<version> from the release
# archive's files (make dist runs first), with podman (or docker when podman is not
# installed). Without a registry (these machines), the Debian base is made locally with
# debootstrap and tagged as docker.io/library/debian:bookworm-slim, so the Containerfile
# stays the one users build. Prints the image's name on its last line.
set -euo pipefail
cd "$(dirname "$0")/.."

version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)
stage="dist/smtp-setup-$version-x86_64-linux-gnu"
image="localhost/smtp-setup:$version"
base="docker.io/library/debian:bookworm-slim"
# Podman writes OCI images unless told: the docker format keeps HEALTHCHECK.
if command -v podman >/dev/null; then engine=(.ci/podman.sh); format=(--format docker); else engine=(docker); format=(); fi

if ! "${engine[@]}" image exists "$base" 2>/dev/null && ! "${engine[@]}" pull -q "$base" >/dev/null 2>&1; then
  echo "image: no registry reachable; making $base with debootstrap" >&2
  rootfs=$(mktemp -d "${TMPDIR:-/tmp}/smtp-setup-rootfs.XXXXXX")
  mirror=$(sed -n 's/^URIs: //p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n 1)
  debootstrap --variant=minbase bookworm "$rootfs" "${mirror:-http://deb.debian.org/debian}" >/dev/null
  tar -C "$rootfs" -c . | "${engine[@]}" import - localhost/debian-base:bookworm >/dev/null
  "${engine[@]}" tag localhost/debian-base:bookworm "$base"
  rm -rf "$rootfs"
fi
cp Containerfile "$stage/Containerfile"
"${engine[@]}" build "${format[@]}" --pull=never -q -f "$stage/Containerfile" -t "$image" "$stage" >/dev/null
echo "$image"
