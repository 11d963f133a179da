#!/usr/bin/env bash
# `make demo`: the local test peers plus the app pointed at them, so the whole flow can be
# tried without a Microsoft tenant. Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."

DIR=target/demo
mkdir -p "$DIR"
export PEER_DIR="$PWD/$DIR/peers" PEER_STAY=1
export PEER_TOKEN_PORT=3201 PEER_SMTP_PORT=3202 PEER_CONTROL_PORT=3203
# dovecot as the IMAP server of "Test mailbox access".
export PEER_IMAP=1 PEER_IMAP_PORT=3204

coproc PEERS { node tests/peers/peers.mjs; }
trap 'kill "$PEERS_PID" 2>/dev/null || true' EXIT
# The peers print one JSON line once all three servers listen: wait for exactly that.
read -r READY <&"${PEERS[0]}" || { echo "the test peers did not start" >&2; exit 1; }
printf '%s\n' "$READY" > "$DIR/peers.json"

field() { node -e "process.stdout.write(JSON.parse(require('fs').readFileSync('$DIR/peers.json','utf8'))['$1'])"; }
cat <<TEXT

  smtp-setup demo: the app talks to local peers instead of Microsoft 365.

  Open the sign-in link the server prints below, then type:
    Email address   $(field mailbox)
    Name            anything you like
    TenantId        $(field tenant)   (or $(field tenantDomain))
    SMTP User       $(field clientId)
    SMTP Password   $(field clientSecret)
    Send test to    anyone@example.com

  Try a wrong SMTP Password, or the secret's "ID" (any GUID), to see the failure panel.
  "Test mailbox access" opens the INBOX on the local IMAP server $(field imaps) (dovecot).
  Messages the peer received: $(field control)/messages

TEXT

export SMTP_SETUP_AUTHORITY_URL="$(field authority)"
export SMTP_SETUP_SMTP_ADDR="$(field smtp)"
export SMTP_SETUP_IMAP_ADDR="$(field imaps)"
export SMTP_SETUP_CA_FILE="$(field caFile)"
export LEPTOS_SITE_ADDR=127.0.0.1:3000 LEPTOS_SITE_ROOT=target/site
export DATABASE_URL="sqlite://$PWD/$DIR/app.db"
target/release/smtp-setup
