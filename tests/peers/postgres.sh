#!/usr/bin/env bash
# A real PostgreSQL for the tests: Debian's server binaries (the `postgresql` package,
# which .ci/tools.sh installs), a cluster of our own in a temporary folder, on 127.0.0.1
# and a free port, run as an unprivileged user (`nobody` when started as root), never
# the system service. Clients sign in with SCRAM and the password of
# tests/peers/secrets.json (so that the secret scan can prove the application never
# writes it out). It keeps nothing: fsync is off, since what the tests kill is usually
# the application, not this server. With POSTGRES_DURABLE=1 it runs as production does
# (fsync, synchronous_commit and full_page_writes on), for the tests that kill it.
#
# Prints one line, the server's URL (postgres://postgres:PASSWORD@127.0.0.1:PORT), once
# it accepts connections. Then reads commands on its standard input: `stop` (pg_ctl stop
# -m immediate: a crash, the log not flushed by a shutdown) answered `stopped`, and `start`
# (the same cluster, the same port) answered `started` once it accepts connections. Stops
# and removes everything when its standard input closes, that is when the test process
# that started it ends, however it ends.
set -euo pipefail

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
  echo "postgres.sh: PostgreSQL's server binaries are missing: run \`make test\` (.ci/tools.sh installs them)" >&2
  exit 1
fi
dir=$(mktemp -d "${TMPDIR:-/tmp}/smtp-setup-postgres.XXXXXX")
run=()
if [ "$(id -u)" -eq 0 ]; then
  # initdb and postgres refuse to run as root.
  chown 65534:65534 "$dir"
  run=(setpriv --reuid=65534 --regid=65534 --clear-groups)
fi
stop() {
  "${run[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap stop EXIT
# A signal ends the script through its EXIT trap (the server is stopped either way).
trap 'exit 0' TERM INT HUP

password=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["databasePassword"])' \
  "$(dirname "$0")/secrets.json")
printf '%s\n' "$password" >"$dir/password"
chmod 0644 "$dir/password"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"${run[@]}" "$bin/initdb" -D "$dir/data" -U postgres -A scram-sha-256 --pwfile="$dir/password" -E UTF8 --no-sync >"$dir/initdb.log" 2>&1 \
  || { cat "$dir/initdb.log" >&2; exit 1; }
durability="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
if [ "${POSTGRES_DURABLE:-}" = 1 ]; then
  durability="-c fsync=on -c synchronous_commit=on -c full_page_writes=on"
fi
# -w: pg_ctl returns once the server accepts connections.
start() {
  "${run[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=400 $durability" \
    start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
}
start
rm -f "$dir/password"
echo "postgres://postgres:$password@127.0.0.1:$port"
# Until the test process closes our standard input.
while read -r command; do
  case "$command" in
    stop) "${run[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null; echo stopped ;;
    start) start; echo started ;;
    *) echo "postgres.sh: unknown command: $command" >&2 ;;
  esac
done
