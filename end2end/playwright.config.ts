import { defineConfig } from '@playwright/test';

import { adminToken } from './tests/peers';

// Started by `make e2e` with the ports below; the peers' certificates are made first
// (PEER_PREPARE_ONLY) because the app reads its CA file when it starts.
const env = process.env;
const app = env.E2E_APP ?? '127.0.0.1:3100';
const tokenPort = env.E2E_TOKEN_PORT ?? '3101';
const smtpPort = env.E2E_SMTP_PORT ?? '3102';
const controlPort = env.E2E_CONTROL_PORT ?? '3103';
const imapPort = env.E2E_IMAP_PORT ?? '3104';
const graphPort = env.E2E_GRAPH_PORT ?? '3107';
const peerDir = env.E2E_PEER_DIR ?? '../target/e2e/peers';
// A fixed sign-in token (instead of the printed one-time link) and a fresh database.
const database = env.E2E_DATABASE ?? 'target/e2e/app.db';
// The server under test (relative to the repository) and, for a binary that is not the
// release build's, the release build's hash.txt naming the bundles (see Makefile `e2e`).
const server = env.E2E_SERVER ?? 'target/release/smtp-setup';
const hashFile = env.E2E_HASH_FILE ? { LEPTOS_HASH_FILE_NAME: env.E2E_HASH_FILE } : {};

export default defineConfig({
  testDir: './tests',
  fullyParallel: false,
  workers: 1,
  retries: 0,
  // A stray test.only would silently skip the rest, locally as in CI.
  forbidOnly: true,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: [['list']],
  // The page's own tests start from an empty store; the others save a configuration,
  // so they run after.
  projects: [
    { name: 'page', testMatch: /config_page\.spec\.ts/ },
    { name: 'after-page', testIgnore: /config_page\.spec\.ts/, dependencies: ['page'] },
  ],
  use: {
    baseURL: `http://${app}`,
    // Every test's trace is kept and searched for secrets (`make e2e`).
    trace: 'on',
    // The page follows the browser's language: English unless a test asks for another.
    locale: 'en-US',
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: [
        '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync',
      ],
    },
  },
  webServer: [
    {
      command: 'node ../tests/peers/peers.mjs',
      url: `http://127.0.0.1:${controlPort}/healthz`,
      reuseExistingServer: false,
      stdout: 'ignore',
      stderr: 'pipe',
      env: {
        PEER_STAY: '1',
        PEER_DIR: peerDir,
        PEER_TOKEN_PORT: tokenPort,
        PEER_SMTP_PORT: smtpPort,
        PEER_CONTROL_PORT: controlPort,
        PEER_IMAP: '1',
        PEER_IMAP_PORT: imapPort,
        PEER_GRAPH_PORT: graphPort,
      },
    },
    {
      command: server,
      cwd: '..',
      url: `http://${app}/`,
      reuseExistingServer: false,
      stdout: 'pipe',
      stderr: 'pipe',
      env: {
        LEPTOS_SITE_ADDR: app,
        // What cargo-leptos compiles into its builds; a binary built by plain cargo needs it.
        LEPTOS_OUTPUT_NAME: 'smtp-setup',
        LEPTOS_SITE_ROOT: 'target/site',
        SMTP_SETUP_AUTHORITY_URL: `http://127.0.0.1:${tokenPort}`,
        SMTP_SETUP_SMTP_ADDR: `127.0.0.1:${smtpPort}`,
        SMTP_SETUP_IMAP_ADDR: `127.0.0.1:${imapPort}`,
        SMTP_SETUP_CA_FILE: `${peerDir}/ca.pem`,
        SMTP_SETUP_GRAPH_URL: `http://127.0.0.1:${graphPort}`,
        SMTP_SETUP_ADMIN_TOKEN: adminToken,
        DATABASE_URL: `sqlite://${database}`,
        // Beside the app's port (`make run` keeps the default 2525), unpaced for tests.
        SMTP_SETUP_RELAY_ADDR: env.E2E_RELAY ?? '127.0.0.1:3105',
        SMTP_SETUP_RELAY_SENDS_PER_MINUTE: '0',
        // Debug level: everything the server could log is in the output the secret scan reads.
        RUST_LOG: 'debug',
        ...hashFile,
      },
    },
  ],
});
