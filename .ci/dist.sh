#!/usr/bin/env bash
# make dist: the release archive, dist/smtp-setup-<version>-x86_64-linux-gnu.tar.gz, from
# the release build (`cargo leptos build --release`, which make dist runs first):
#   smtp-setup               the server, stripped; it finds site/ beside itself
#   site/                    the page's bundles (only this build's, precompressed) and
#                            hash.txt naming them
#   smtp-setup.service       the systemd unit
#   smtp-setup.env.example   every variable, commented, with its default
#   README.md, LICENSE
# Prints the archive's path on its last line.
set -euo pipefail
cd "$(dirname "$0")/.."

version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)
name="smtp-setup-$version-x86_64-linux-gnu"
stage="dist/$name"
rm -rf "$stage" "dist/$name.tar.gz"
mkdir -p "$stage/site/pkg"

install -m 0755 target/release/smtp-setup "$stage/smtp-setup"
strip "$stage/smtp-setup"
cp target/release/hash.txt "$stage/site/hash.txt"
# The site's own files (the favicon), then this build's bundles only: target/site/pkg
# keeps earlier builds' too.
find target/site -maxdepth 1 -type f -exec cp {} "$stage/site/" \;
while read -r kind hash; do
  kind=${kind%:}
  cp "target/site/pkg/smtp-setup.$hash.$kind" "$stage/site/pkg/"
done < target/release/hash.txt
"$stage/smtp-setup" prepare-site "$stage/site"
cp deploy/smtp-setup.service deploy/smtp-setup.env.example README.md LICENSE "$stage/"
chmod -R go-w "$stage"
tar -C dist --owner=0 --group=0 -czf "dist/$name.tar.gz" "$name"
echo "dist/$name.tar.gz"
