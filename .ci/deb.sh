#!/usr/bin/env bash
# make deb: dist/smtp-setup_<version>-<revision>_amd64.deb from the release archive's
# files (make dist runs first), with dpkg-deb:
#   /usr/bin/smtp-setup, /usr/share/smtp-setup/site (found from the binary as
#   ../share/smtp-setup/site), /lib/systemd/system/smtp-setup.service,
#   /usr/share/smtp-setup/smtp-setup.env.example, /usr/share/doc/smtp-setup/
# and deploy/debian's maintainer scripts (the environment file made on first install,
# never overwritten; purge deletes the data). REVISION (default 1) names the build.
# Prints the package's path on its last line.
set -euo pipefail
cd "$(dirname "$0")/.."

revision=${1:-1}
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)
stage="dist/smtp-setup-$version-x86_64-linux-gnu"
root=$(mktemp -d "${TMPDIR:-/tmp}/smtp-setup-deb.XXXXXX")
trap 'rm -rf "$root"' EXIT
chmod 0755 "$root"
package="dist/smtp-setup_${version}-${revision}_amd64.deb"

install -D -m 0755 "$stage/smtp-setup" "$root/usr/bin/smtp-setup"
mkdir -p "$root/usr/share/smtp-setup" "$root/usr/share/doc/smtp-setup" "$root/lib/systemd/system"
cp -r "$stage/site" "$root/usr/share/smtp-setup/site"
install -m 0644 deploy/smtp-setup.env.example "$root/usr/share/smtp-setup/smtp-setup.env.example"
install -m 0644 deploy/smtp-setup.service "$root/lib/systemd/system/smtp-setup.service"
install -m 0644 README.md "$root/usr/share/doc/smtp-setup/README.md"
install -m 0644 LICENSE "$root/usr/share/doc/smtp-setup/copyright"
mkdir -p "$root/DEBIAN"
for script in postinst prerm postrm; do
  install -m 0755 "deploy/debian/$script" "$root/DEBIAN/$script"
done
size=$(du -sk "$root" | cut -f1)
cat > "$root/DEBIAN/control" <<CONTROL
Package: smtp-setup
Version: ${version}-${revision}
Architecture: amd64
Maintainer: smtp-setup <smtp-setup@localhost>
Installed-Size: $size
Depends: libc6 (>= 2.36), ca-certificates
Section: mail
Priority: optional
Homepage: https://github.com/smtp-setup/smtp-setup
Description: Microsoft 365 SMTP OAuth2 configuration page and mail relay
 Configures how business applications send email through Microsoft 365 /
 Exchange Online with OAuth2 app-only authentication (client credentials and
 AUTH XOAUTH2), proves it works, names what to fix when it does not, and relays
 applications' mail over SMTP and HTTP with a durable outbox.
CONTROL
dpkg-deb --root-owner-group --build "$root" "$package" >/dev/null
echo "$package"
