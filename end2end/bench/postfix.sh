#!/usr/bin/env bash
# The reference MTA of `make bench`'s relay section: Debian's Postfix run as the bench's
# own instance (the recipe of ../shared/TOOLCHAIN.md), its queue in DIR, its smtpd on
# 127.0.0.1:SMTP_PORT for 127.0.0.0/8 without AUTH or TLS, relaying everything to
# `smtp-sink` on 127.0.0.1:SINK_PORT. Postfix fsyncs each queue file before its 250, as
# the relay syncs its store.
#
#   end2end/bench/postfix.sh DIR SMTP_PORT SINK_PORT
#
# Prints `ready` once smtpd accepts connections; then `queued N` for each `queue` line
# read on standard input (the messages not yet relayed). Stops both and removes DIR's
# queue when standard input closes. Postfix reads its configuration from /etc/postfix
# only: the main.cf written there is marked as the bench's, and a main.cf without the mark
# (a Postfix this machine really uses) is never touched.
set -euo pipefail
dir=$1 smtp_port=$2 sink_port=$3
mark="# written by smtp-setup's end2end/bench/postfix.sh"
if [ "$(id -u)" -ne 0 ]; then
  echo "postfix.sh: Postfix's master runs as root" >&2; exit 1
fi
if [ ! -x /usr/lib/postfix/sbin/master ] || ! command -v smtp-source >/dev/null; then
  echo "postfix.sh: Postfix is missing: .ci/tools.sh bench installs it" >&2; exit 1
fi
if [ -f /etc/postfix/main.cf ] && ! grep -qF "$mark" /etc/postfix/main.cf; then
  echo "postfix.sh: /etc/postfix/main.cf is not the bench's; nothing was changed" >&2; exit 1
fi
# Two masters on one queue hang the load: an earlier bench's is stopped first.
pkill -f '^/usr/lib/postfix/sbin/master' 2>/dev/null || true
rm -rf "$dir"
mkdir -p "$dir/queue" "$dir/data"
chown postfix "$dir/data"
cat >/etc/postfix/main.cf <<EOF
$mark
compatibility_level = 3.6
queue_directory = $dir/queue
data_directory = $dir/data
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
mydestination =
relayhost = [127.0.0.1]:$sink_port
smtpd_relay_restrictions = permit_mynetworks, reject
maillog_file = /dev/stdout
# The relay's limit (Exchange Online's 35 MB, and a little room for the headers).
message_size_limit = 36700160
EOF
sed "s/^smtp      inet  n       -       y       -       -       smtpd/$smtp_port inet n - n - - smtpd/" \
  /usr/share/postfix/master.cf.dist >/etc/postfix/master.cf
(cd /etc/postfix && sh post-install meta_directory=/etc/postfix config_directory=/etc/postfix \
  daemon_directory=/usr/lib/postfix/sbin command_directory=/usr/sbin queue_directory="$dir/queue" \
  create-missing) >"$dir/post-install.log" 2>&1
smtp-sink -u nobody "127.0.0.1:$sink_port" 256 &
sink=$!
/usr/lib/postfix/sbin/master -d >"$dir/master.log" 2>&1 &
master=$!
stop() {
  kill "$master" "$sink" 2>/dev/null || true
  wait "$master" "$sink" 2>/dev/null || true
  rm -rf "$dir/queue"
}
trap stop EXIT
trap 'exit 0' TERM INT HUP
for _ in $(seq 1 500); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$smtp_port") 2>/dev/null; then break; fi
  sleep 0.02
done
echo ready
while read -r command; do
  case "$command" in
    queue) echo "queued $(find "$dir/queue/incoming" "$dir/queue/active" "$dir/queue/deferred" "$dir/queue/maildrop" -type f 2>/dev/null | wc -l)" ;;
    *) echo "postfix.sh: unknown command: $command" >&2 ;;
  esac
done
