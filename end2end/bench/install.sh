#!/usr/bin/env bash
# `make bench-install`: the sizes of what users install and how soon the container is
# healthy; prints a Markdown section for BENCHMARKS.md. Needs `make image` first.
set -euo pipefail
cd "$(dirname "$0")/../.."
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)
stage="dist/smtp-setup-$version-x86_64-linux-gnu"
image=$(cat dist/image.txt)
podman=(.ci/podman.sh)
mb() { awk -v b="$1" 'BEGIN { printf "%.1f MB", b / 1000000 }'; }
binary=$(stat -c %s "$stage/smtp-setup")
site=$(du -sb "$stage/site" | cut -f1)
archive=$(stat -c %s "$stage.tar.gz")
deb=$(stat -c %s "dist/smtp-setup_${version}-1_amd64.deb")
raw=$("${podman[@]}" image inspect "$image" --format '{{.Size}}')
compressed=$("${podman[@]}" save "$image" 2>/dev/null | gzip -6 | wc -c)
base=$("${podman[@]}" image inspect docker.io/library/debian:bookworm-slim --format '{{.Size}}')
times=()
rss=""
for n in 1 2 3 4 5; do
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  name="smtp-setup-bench-$$-$n"
  start=$(date +%s%N)
  "${podman[@]}" run -d --name "$name" --network host --read-only -v "$name:/data" \
    -e SMTP_SETUP_LISTEN=127.0.0.1:$port -e SMTP_SETUP_RELAY_ADDR= -e SMTP_SETUP_RELAY_TLS_ADDR= "$image" >/dev/null
  until curl -sf "http://127.0.0.1:$port/healthz" >/dev/null; do sleep 0.02; done
  end=$(date +%s%N)
  times+=($(( (end - start) / 1000000 )))
  if [ "$n" = 5 ]; then
    sleep 3
    pid=$("${podman[@]}" inspect "$name" --format '{{.State.Pid}}')
    rss=$(awk '/VmRSS/ { print $2 }' "/proc/$pid/status")
  fi
  "${podman[@]}" rm -f "$name" >/dev/null 2>&1
  "${podman[@]}" volume rm -f "$name" >/dev/null 2>&1
done
median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n 3p)
cat <<REPORT
## What users install (issue 28)

Measured by \`make bench-install\` on $(date -u +%Y-%m-%d).

| artifact | size |
| --- | ---: |
| the server binary (stripped) | $(mb "$binary") |
| the site (bundles with their brotli and gzip copies) | $(mb "$site") |
| release archive (\`.tar.gz\`) | $(mb "$archive") |
| Debian package (\`.deb\`) | $(mb "$deb") |
| container image, uncompressed | $(mb "$raw") (of which the Debian base $(mb "$base")) |
| container image, \`podman save\` piped to \`gzip -6\` | $(mb "$compressed") |

From \`podman run\` to a healthy \`/healthz\`, 5 runs on a fresh volume: median **${median} ms** (${times[*]} ms).
The server's RSS inside the container, idle 3 s after start: **${rss} KB**.

The base here is made with \`debootstrap --variant=minbase\` (no registry reachable), which
is larger than Docker Hub's \`debian:bookworm-slim\` (about 75 MB); an image built on that
base is smaller by the difference.
REPORT
