# smtp-setup. Two commands do all the set-up on a fresh machine:
#   make run    build and serve the app on http://127.0.0.1:3000
#   make test   install what is missing, then run every test
# Also: make demo (the app against local test peers; CREDENTIAL=certificate for a
# certificate), make docs (the documentation site, in target/docs), make bench, make
# lint, make e2e.

SHELL := /bin/bash
export PATH := $(CURDIR)/end2end/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)

# cargo-leptos sets LEPTOS_* variables that plain cargo does not; they share target/
# without rebuilding each other only because cargo-leptos is always run with --release
# here while tests and clippy use the dev profile.
E2E_DIR := target/e2e

# A fresh database (and its key) in directory $(1), for runs that must not see an old one.
fresh_database = mkdir -p $(1) && rm -f $(1)/app.db $(1)/app.db-* $(1)/app.key

# Ports of the browser tests and the demo (not 3000, so `make run` can stay up).
E2E_APP := 127.0.0.1:3100
E2E_TOKEN_PORT := 3101
E2E_SMTP_PORT := 3102
E2E_CONTROL_PORT := 3103
E2E_IMAP_PORT := 3104
E2E_GRAPH_PORT := 3107

.PHONY: run build build-front test unit lint e2e docs demo bench stress fuzz tools-build tools-test tools-bench clean dist deb image install-test bench-install bench-retention

tools-build:
	@.ci/tools.sh build

tools-test:
	@.ci/tools.sh test

tools-bench:
	@.ci/tools.sh bench

build: tools-build
	cargo leptos build --release

# The release front end alone (target/site and the hash.txt that names its bundles).
build-front: tools-build
	cargo leptos build --release --frontend-only

run: tools-build
	cargo leptos serve --release

# The release archive users install (.ci/dist.sh says what is in it).
dist: build
	.ci/dist.sh

# The Debian package, from the archive's files (.ci/deb.sh; REVISION names the build).
REVISION ?= 1
deb: dist
	.ci/deb.sh $(REVISION)

# The container image, from the archive's files (.ci/image.sh; Podman, or docker).
image: dist
	set -o pipefail; .ci/image.sh | tail -n 1 | tee dist/image.txt

test: tools-test lint unit e2e install-test
	@echo "make test: all green"

lint:
	python3 .ci/imports.py
	.ci/no-secrets.sh --self-test
	cargo fmt --check
	cargo clippy --features ssr --all-targets -- -D warnings
	cargo clippy --lib --target wasm32-unknown-unknown --features hydrate -- -D warnings

# Unit tests (domain, diagnosis, parsers), property tests (their output says how many
# cases each property accepted) and integration tests against the peers.
# The relay tests list the relay passwords they generate in target/relay-passwords.txt,
# so that the scan looks for those too.
# Every server the tests start, in-process or as the binary, logs into
# target/process-logs/, which the scan reads too.
unit:
	mkdir -p target
	rm -rf target/relay-passwords.txt target/process-logs
	set -o pipefail; cargo test --features ssr -- --show-output --skip install:: 2>&1 | tee target/unit.log
	.ci/no-secrets.sh --extra target/relay-passwords.txt target/unit.log target/process-logs/*.log

# What users install, tested as installed (tests/api/install.rs): the release archive
# unpacked anywhere, the container image run with Podman, and the Debian package
# installed on this machine with dpkg, upgraded to a second build, removed and purged.
# Their servers' logs are scanned like the unit tests'.
DIST_ARCHIVE = $(CURDIR)/dist/smtp-setup-$(shell sed -n 's/^version = "\(.*\)"$$/\1/p' Cargo.toml | head -n 1)-x86_64-linux-gnu.tar.gz
install-test: image
	rm -rf target/process-logs
	.ci/deb.sh 1 > dist/deb.txt && .ci/deb.sh 2 >> dist/deb.txt
	set -o pipefail; SMTP_SETUP_DIST_ARCHIVE=$(DIST_ARCHIVE) SMTP_SETUP_IMAGE=$$(cat dist/image.txt) \
		SMTP_SETUP_DEB=$(CURDIR)/$$(sed -n 1p dist/deb.txt) SMTP_SETUP_DEB_UPGRADE=$(CURDIR)/$$(sed -n 2p dist/deb.txt) cargo test --features ssr --test api -- --show-output install:: 2>&1 | tee target/install.log
	.ci/no-secrets.sh --extra target/relay-passwords.txt target/install.log target/process-logs/*.log

# Browser tests: the release front end (the bundles users get) served by the server as
# `unit` built it (dev profile), against the local peers (see end2end/). A release server
# would add minutes of compiling to every run and test nothing the pages can see; `make
# run`, `make bench` and `make stress` build and serve the release server.
# First the first load's weight against its ceiling (end2end/bench/size.mjs).
# A fresh database each run; the whole output (server logs at debug level included) and
# the database are then searched for every secret in every form (.ci/no-secrets.sh), and
# so are the traces Playwright keeps of failed tests (where what the tests typed is
# expected). The relay passwords the browser tests create are searched for as well.
e2e: build-front
	# The server binary of the tests' build (`cargo test` builds it with the dev
	# dependencies' features; a plain `cargo build` would compile another one).
	cargo test --features ssr --no-run
	node end2end/bench/size.mjs
	$(call fresh_database,$(E2E_DIR))
	rm -f $(E2E_DIR)/relay-passwords.txt
	PEER_DIR=$(E2E_DIR)/peers PEER_PREPARE_ONLY=1 node tests/peers/peers.mjs
	set -o pipefail; cd end2end && E2E_SERVER=target/debug/smtp-setup E2E_HASH_FILE=$(CURDIR)/target/release/hash.txt \
		E2E_APP=$(E2E_APP) E2E_TOKEN_PORT=$(E2E_TOKEN_PORT) E2E_SMTP_PORT=$(E2E_SMTP_PORT) \
		E2E_CONTROL_PORT=$(E2E_CONTROL_PORT) E2E_IMAP_PORT=$(E2E_IMAP_PORT) E2E_GRAPH_PORT=$(E2E_GRAPH_PORT) E2E_PEER_DIR=$(CURDIR)/$(E2E_DIR)/peers \
		E2E_DATABASE=$(E2E_DIR)/app.db npx playwright test 2>&1 | tee $(CURDIR)/$(E2E_DIR)/e2e.log
	.ci/no-secrets.sh --key $(E2E_DIR)/app.key --extra $(E2E_DIR)/relay-passwords.txt $(E2E_DIR)/e2e.log $(E2E_DIR)/app.db*
	traces=$$(find end2end/test-results -name '*.zip' 2>/dev/null); \
		[ -z "$$traces" ] || .ci/no-secrets.sh --typed-ok --key $(E2E_DIR)/app.key $$traces

# The documentation site (docs/, an mdBook) into target/docs/. `make test` builds it too
# and checks every internal link and anchor (tests/api/docs.rs).
docs: tools-test
	mdbook build docs
	@echo "make docs: open target/docs/index.html"

# Sizes, hydration, keystroke latency, test-send latency and load; writes BENCHMARKS.md.
# A fresh database each run: the page carries the test history, so an old one would
# change the HTML size measured.
bench: tools-bench build
	$(call fresh_database,target/bench)
	node end2end/bench/bench.mjs

# One retention run over 100,000 delivered messages on SQLite and on PostgreSQL (bodies,
# then rows); prints the figures BENCHMARKS.md keeps by hand.
bench-retention: tools-test
	cargo test --features ssr --test api -- --ignored --show-output retention::bench

# The sizes of what users install and the container's time to healthy (needs make image);
# prints the section BENCHMARKS.md keeps (after its budgets, which make bench keeps).
bench-install: image
	end2end/bench/install.sh

# 200 concurrent test sends (some failing) while the page loads, then slow clients; prints
# its figures, fails on wrong outcomes or leaked file descriptors.
# INSTANCES=2: two servers on one PostgreSQL and MESSAGES (5,000) relay messages half to
# each; fails on a message refused, lost or delivered twice.
INSTANCES ?= 1
stress: tools-test build
ifeq ($(INSTANCES),2)
	node end2end/bench/stress-instances.mjs
else
	$(call fresh_database,target/stress)
	node end2end/bench/stress.mjs
endif

# The whole flow without a Microsoft tenant: local peers + the app pointed at them.
# CREDENTIAL=certificate: the app signs in with a certificate instead of the secret.
demo: tools-test build
	@CREDENTIAL=$(CREDENTIAL) .ci/demo.sh

clean:
	cargo clean

# Fuzzes every parser of untrusted bytes for FUZZ_SECONDS each (nightly + cargo-fuzz);
# not part of `make test`. Crashes land in tests/fuzz/artifacts/ and become regression tests.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := domain_parsers token_response jwt_payload smtp_reply relay_syntax
fuzz:
	@.ci/tools.sh fuzz
	@for target in $(FUZZ_TARGETS); do \
		echo "fuzz: $$target for $(FUZZ_SECONDS) s"; \
		cargo +nightly fuzz run --fuzz-dir tests/fuzz $$target -- \
			-max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=2048 || exit 1; \
	done
