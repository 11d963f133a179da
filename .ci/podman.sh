#!/usr/bin/env bash
# podman as it runs on the project's machines: with .ci/containers.conf and the runc
# runtime (crun fails there). Elsewhere plain `podman` or `docker` does the same.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
runtime=()
if command -v runc >/dev/null; then runtime=(--runtime runc); fi
CONTAINERS_CONF=${CONTAINERS_CONF:-$here/containers.conf} exec podman "${runtime[@]}" "$@"
