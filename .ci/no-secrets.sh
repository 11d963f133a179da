#!/usr/bin/env bash
# Fails if any secret the end-to-end run used appears in the given files (the run's
# whole output with the server's logs, the database): the peers' client secret and SMTP
# password, or any JWT (access tokens start with "eyJ").
set -euo pipefail
secrets=(
  'Peer8Q~test-secret-value.0123456789abcdef'
  'Peer-password-0123456789'
  'eyJ'
)
status=0
for file in "$@"; do
  [ -e "$file" ] || { echo "no-secrets: $file is missing" >&2; exit 1; }
  for secret in "${secrets[@]}"; do
    if grep -aqF -- "$secret" "$file"; then
      echo "no-secrets: $file contains a secret (${secret:0:6}…)" >&2
      status=1
    fi
  done
done
[ "$status" -eq 0 ] && echo "no-secrets: none of the secrets is in $*"
exit "$status"
