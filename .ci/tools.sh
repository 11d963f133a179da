#!/usr/bin/env bash
# Installs, idempotently, every tool the build and the tests need. Each step checks
# first and only installs what is missing or at the wrong version, so a warm machine
# pays a few seconds and a fresh one gets everything.
#
#   .ci/tools.sh build   toolchain, wasm target, cargo-leptos, wasm-bindgen-cli, wasm-opt
#   .ci/tools.sh test    the above, plus npm packages of the peers and Playwright, Chromium,
#                        dovecot (the IMAP peer), PostgreSQL's server binaries (the shared
#                        store's tests), python3, curl and swaks (the relay tests' clients),
#                        strip and systemd-analyze (the packaging)
#   .ci/tools.sh bench   the above, plus Postfix (the reference of `make bench`'s relay figures)
#   .ci/tools.sh fuzz    the toolchain, nightly and cargo-fuzz (for `make fuzz` only)
set -euo pipefail
cd "$(dirname "$0")/.."

TOOLCHAIN=1.96.0
CARGO_LEPTOS_VERSION=0.3.11
# Must equal the `wasm-bindgen` crate version pinned in Cargo.toml / Cargo.lock.
WASM_BINDGEN_VERSION=0.2.130
# The documentation site (make docs); 0.4 is the line whose book.toml and output this repository uses.
MDBOOK_VERSION=0.4.52

say() { printf '\033[1m[tools]\033[0m %s\n' "$*"; }

rust() {
  if ! command -v rustup >/dev/null; then
    say "rustup is missing: install Rust from your distribution or rustup.rs first"; exit 1
  fi
  if ! rustup toolchain list | grep -q "^$TOOLCHAIN"; then
    say "installing Rust $TOOLCHAIN"
    rustup toolchain install "$TOOLCHAIN" --profile minimal -c rustfmt -c clippy -t wasm32-unknown-unknown
  fi
  if ! rustup +"$TOOLCHAIN" target list --installed | grep -q wasm32-unknown-unknown; then
    rustup +"$TOOLCHAIN" target add wasm32-unknown-unknown
  fi
  rustup +"$TOOLCHAIN" component add rustfmt clippy >/dev/null 2>&1 || true
}

cargo_leptos() {
  if ! cargo leptos --version 2>/dev/null | grep -q "$CARGO_LEPTOS_VERSION"; then
    say "installing cargo-leptos $CARGO_LEPTOS_VERSION (about 25 minutes on 2 cores, once)"
    cargo +"$TOOLCHAIN" install --locked cargo-leptos --version "$CARGO_LEPTOS_VERSION"
  fi
}

wasm_bindgen() {
  if ! wasm-bindgen --version 2>/dev/null | grep -q "$WASM_BINDGEN_VERSION"; then
    say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION"
    # Not --locked: its lock file names a webpki-roots release the registry lacks here.
    cargo +"$TOOLCHAIN" install --force wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
  fi
}

# npm packages of one folder, reinstalled when package-lock.json changed.
npm_folder() {
  local dir=$1
  if [ ! -f "$dir/node_modules/.package-lock.json" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    say "npm ci in $dir"
    (cd "$dir" && npm ci --no-audit --no-fund)
  fi
}

chromium() {
  if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
    say "installing Debian's chromium and chromium-driver"
    local sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium chromium-driver
  fi
}

# The IMAP peer of the mailbox check: Debian's dovecot, run by the tests as their own
# instance (the package's service is never started).
dovecot_imapd() {
  if [ ! -x /usr/sbin/dovecot ] || [ ! -x /usr/lib/dovecot/imap ]; then
    say "installing Debian's dovecot-imapd (the IMAP peer of the tests)"
    local sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq dovecot-imapd
  fi
}

# The shared store's tests: Debian's PostgreSQL server binaries, run by the tests as
# their own instance in a temporary folder (tests/peers/postgres.sh). The package would
# make and start a cluster of its own; the configuration written first tells it not to.
postgres_server() {
  if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    say "installing Debian's postgresql (the server binaries of the store tests)"
    local sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo mkdir -p /etc/postgresql-common
    echo "create_main_cluster = false" | $sudo tee /etc/postgresql-common/createcluster.conf >/dev/null
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq -o Dpkg::Options::=--force-confold postgresql
  fi
  if ! command -v setpriv >/dev/null; then
    local sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq util-linux
  fi
}

openssl_cli() {
  if ! command -v openssl >/dev/null; then
    local sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq openssl
  fi
}

# The relay's real clients in the tests: Python's smtplib, curl and swaks (the page's
# ready-to-copy example runs as shown; python3 also runs .ci/no-secrets.sh).
relay_clients() {
  if ! command -v python3 >/dev/null || ! command -v curl >/dev/null || ! command -v swaks >/dev/null; then
    say "installing python3, curl and swaks (the relay tests' clients)"
    local sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq python3 curl swaks
  fi
}

# The metrics test reads /metrics with the Prometheus project's own Python text parser.
# Debian's package serves Debian's python3; a python3 of its own (pyenv) gets it from PyPI.
prometheus_parser() {
  if ! python3 -c 'import prometheus_client.parser' 2>/dev/null; then
    say "installing Debian's python3-prometheus-client (the metrics test's parser)"
    local sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq python3-prometheus-client
  fi
  if ! python3 -c 'import prometheus_client.parser' 2>/dev/null; then
    say "installing prometheus-client from PyPI for $(command -v python3)"
    python3 -m pip install --quiet 'prometheus-client==0.21.1'
  fi
}

# The OpenAPI test checks the document with openapi-spec-validator and the real answers
# with jsonschema (JSON Schema 2020-12): Debian's packages, else PyPI.
openapi_checkers() {
  local probe='import jsonschema, referencing, openapi_spec_validator; jsonschema.Draft202012Validator'
  if ! python3 -c "$probe" 2>/dev/null; then
    say "installing Debian's python3-openapi-spec-validator and python3-jsonschema"
    local sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq python3-openapi-spec-validator python3-jsonschema || true
  fi
  if ! python3 -c "$probe" 2>/dev/null; then
    say "installing jsonschema and openapi-spec-validator from PyPI for $(command -v python3)"
    python3 -m pip install --quiet 'jsonschema>=4.18' 'openapi-spec-validator>=0.7'
  fi
}

# The documentation site: mdBook, built from crates.io (no binary downloads here), only
# its search feature (no server, no file watcher: fewer crates to build).
mdbook_tool() {
  if ! command -v mdbook >/dev/null || ! mdbook --version | grep -q "v$MDBOOK_VERSION"; then
    say "installing mdbook $MDBOOK_VERSION (a few minutes on 2 cores)"
    cargo +"$TOOLCHAIN" install --locked mdbook --version "$MDBOOK_VERSION" --no-default-features --features search
  fi
}

# What the packaging and its tests use: strip (binutils) for the archive's binary, and
# systemd-analyze (systemd; it needs no running systemd) to judge the service unit.
packaging_tools() {
  if ! command -v strip >/dev/null || ! command -v systemd-analyze >/dev/null; then
    say "installing binutils and systemd (strip, systemd-analyze)"
    local sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq binutils systemd
  fi
}

# The container image's build and tests: Podman with runc (crun fails on these machines)
# and debootstrap, which makes the Debian base when no registry is reachable.
containers() {
  if ! command -v podman >/dev/null || ! command -v runc >/dev/null || ! command -v debootstrap >/dev/null; then
    say "installing podman, runc and debootstrap (the container image)"
    local sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq podman runc debootstrap
  fi
}

# `make bench` only: Debian's Postfix, the reference MTA of the relay's figures, with its
# load generator smtp-source and its sink smtp-sink. "No configuration": the package
# makes no main.cf and starts nothing; end2end/bench/postfix.sh runs an instance of its own.
postfix_reference() {
  if [ ! -x /usr/lib/postfix/sbin/master ] || ! command -v smtp-source >/dev/null; then
    say "installing Debian's postfix (the relay benchmark's reference)"
    local sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "postfix postfix/main_mailer_type select No configuration" | $sudo debconf-set-selections
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postfix
  fi
}

# `make fuzz` only: a nightly toolchain and cargo-fuzz.
fuzz_tools() {
  if ! rustup toolchain list | grep -q '^nightly'; then
    say "installing a nightly toolchain (for cargo-fuzz)"
    rustup toolchain install nightly --profile minimal
  fi
  if ! cargo fuzz --version >/dev/null 2>&1; then
    say "installing cargo-fuzz"
    cargo +"$TOOLCHAIN" install --locked cargo-fuzz
  fi
}

case "${1:-test}" in
  build)
    rust; wasm_bindgen; cargo_leptos
    # wasm-opt comes from npm's binaryen (end2end/package.json), never Debian's binaryen 108,
    # which builds a bundle that fails to hydrate.
    npm_folder end2end
    ;;
  test)
    rust; wasm_bindgen; cargo_leptos; openssl_cli; dovecot_imapd; postgres_server; chromium; relay_clients; prometheus_parser; openapi_checkers; mdbook_tool; packaging_tools; containers
    npm_folder end2end; npm_folder tests/peers
    ;;
  bench)
    bash "$0" test
    postfix_reference
    ;;
  fuzz)
    rust; fuzz_tools
    ;;
  *) echo "usage: $0 build|test|bench|fuzz" >&2; exit 2 ;;
esac
