#!/usr/bin/env bash
# `make demo`: the local test peers plus the app pointed at them, so the whole flow can be
# tried without a Microsoft tenant. Ctrl-C stops everything.
# `make demo CREDENTIAL=certificate`: the app proves itself with a certificate (made here
# by openssl and registered on the token peer) instead of the client secret.
set -euo pipefail
cd "$(dirname "$0")/.."

DIR=target/demo
mkdir -p "$DIR"
export PEER_DIR="$PWD/$DIR/peers" PEER_STAY=1
export PEER_TOKEN_PORT=3201 PEER_SMTP_PORT=3202 PEER_CONTROL_PORT=3203
# dovecot as the IMAP server of "Test mailbox access"; Graph for "Read from Microsoft Graph".
export PEER_IMAP=1 PEER_IMAP_PORT=3204 PEER_GRAPH_PORT=3205
CREDENTIAL="${CREDENTIAL:-secret}"
case "$CREDENTIAL" in
  secret) ;;
  certificate)
    # The app registration's certificate, as an administrator would make it.
    openssl req -x509 -newkey rsa:2048 -nodes -days 365 -subj "/CN=smtp-setup demo" \
      -keyout "$DIR/demo-key.pem" -out "$DIR/demo-cert.pem" 2>/dev/null
    cat "$DIR/demo-key.pem" "$DIR/demo-cert.pem" > "$DIR/demo.pem"
    export PEER_CLIENT_CERTIFICATES="$PWD/$DIR/demo-cert.pem"
    ;;
  *) echo "CREDENTIAL must be secret or certificate, not $CREDENTIAL" >&2; exit 2 ;;
esac

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
  "Read from Microsoft Graph" fills Secret expires from the local Graph $(field graph).
  $( [ "$CREDENTIAL" = certificate ] && echo "Credential: Certificate. Open the file $DIR/demo.pem (the key and the certificate
  the token peer knows), or Generate a certificate and see Entra's AADSTS700027 until it is registered:
    curl --data-binary @the-downloaded.cer $(field control)/certificates" )
  "Test mailbox access" opens the INBOX on the local IMAP server $(field imaps) (dovecot).
  Messages the peer received: $(field control)/messages

  The relay: this demo saves that configuration, adds the relay credential "demo-app",
  and sends one message through the relay over SMTP (Python's smtplib) and one over the
  HTTP API (curl); both appear in the page's Outbox, and at the peer.

TEXT

export SMTP_SETUP_AUTHORITY_URL="$(field authority)"
export SMTP_SETUP_SMTP_ADDR="$(field smtp)"
export SMTP_SETUP_IMAP_ADDR="$(field imaps)"
export SMTP_SETUP_CA_FILE="$(field caFile)"
export SMTP_SETUP_GRAPH_URL="$(field graph)"
export LEPTOS_SITE_ADDR=127.0.0.1:3000 LEPTOS_SITE_ROOT=target/site
export DATABASE_URL="sqlite://$PWD/$DIR/app.db"
export SMTP_SETUP_RELAY_ADDR=127.0.0.1:2525
# A fixed sign-in token for this run, so the script can save the configuration itself.
export SMTP_SETUP_ADMIN_TOKEN="demo-$(head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')"
APP=http://127.0.0.1:3000

# A fresh database each run: the demo starts from nothing saved.
rm -f "$DIR"/app.db "$DIR"/app.db-* "$DIR"/app.key
PASSWORD="$(target/release/smtp-setup credentials add demo-app | tail -n 1)"
target/release/smtp-setup &
APP_PID=$!
trap 'kill "$APP_PID" "$PEERS_PID" 2>/dev/null || true' EXIT
curl -sf --retry 100 --retry-connrefused --retry-delay 0 --retry-max-time 30 "$APP/healthz" >/dev/null

COOKIES="$DIR/cookies.txt"
curl -sf -c "$COOKIES" -o /dev/null "$APP/login?token=$SMTP_SETUP_ADMIN_TOKEN"
# The configuration saved as the page would: with the secret, or with the certificate.
SAVE="$(DIR="$DIR" CREDENTIAL="$CREDENTIAL" node -e '
  const fs = require("fs");
  const peers = JSON.parse(fs.readFileSync(`${process.env.DIR}/peers.json`, "utf8"));
  const form = { email_address: peers.mailbox, name: "Contoso Demo", tenant_id: peers.tenant,
    client_id: peers.clientId, client_secret: peers.clientSecret };
  if (process.env.CREDENTIAL === "certificate") Object.assign(form, { credential: "Certificate",
    client_secret: "", certificate: fs.readFileSync(`${process.env.DIR}/demo-cert.pem`, "utf8"),
    private_key: fs.readFileSync(`${process.env.DIR}/demo-key.pem`, "utf8") });
  process.stdout.write(JSON.stringify({ form, base_version: 0 }));')"
curl -sf -b "$COOKIES" -H "Origin: $APP" -H 'Content-Type: application/json' -o /dev/null \
  --data-binary @- "$APP/api/save_configuration" <<<"$SAVE"

RELAY_PASSWORD="$PASSWORD" python3 tests/clients/relay_client.py --port 2525 \
  --cafile "$DIR/app.relay-cert.pem" --user demo-app --mail-from "$(field mailbox)" \
  --to customer@fabrikam-test.com --tag "Demo over SMTP"
curl -sS -u "demo-app:$PASSWORD" -H 'Content-Type: application/json' \
  -d '{"to":["customer@fabrikam-test.com"],"subject":"Demo over the HTTP API","text":"Hello through the relay."}' \
  "$APP/api/v1/messages"
echo
cat <<TEXT

  Sign in: $APP/login?token=$SMTP_SETUP_ADMIN_TOKEN
  The Outbox (at the bottom of the page) lists both messages; the peer has them at
  $(field control)/messages. Ctrl-C stops everything.

TEXT
wait "$APP_PID"
