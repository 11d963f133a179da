// `make stress INSTANCES=2`: two release servers on one PostgreSQL (tests/peers/postgres.sh),
// as behind a load balancer, and MESSAGES relay messages submitted over SMTP (Python's
// smtplib, STARTTLS, several connections) half to each. Prints how fast they were taken
// and delivered and how the two workers shared them. Exits non-zero only on what is
// wrong whatever the timing: a message refused, lost, or delivered twice.

import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { createInterface } from 'node:readline';

import { root, signInCookie, start } from './harness.mjs';

const MESSAGES = Number(process.env.MESSAGES ?? 5000);
const CLIENTS_PER_INSTANCE = 4;
const TOKEN = 'stress-admin-token-0123456789';
// INSTANCES=1 runs the same with one server, for comparison.
const INSTANCES = [
  { app: '127.0.0.1:3410', relay: '127.0.0.1:3425' },
  { app: '127.0.0.1:3411', relay: '127.0.0.1:3426' },
].slice(0, Number(process.env.INSTANCES ?? 2));
const DATA_DIR = path.join(root, 'target/stress-instances');
const DELIVERED_WITHIN_MS = 15 * 60_000;

function controlGet(peers, urlPath) {
  return new Promise((resolve, reject) => {
    http.get(`${peers.control}${urlPath}`, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => { text += chunk; });
      res.on('end', () => resolve(JSON.parse(text)));
    }).on('error', reject);
  });
}

// The test PostgreSQL: its URL once it accepts connections; it stops when we exit.
function postgres() {
  const child = spawn('bash', [path.join(root, 'tests/peers/postgres.sh')], { stdio: ['pipe', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', (line) => resolve(line.trim()));
    child.once('exit', (code) => reject(new Error(`postgres.sh exited with ${code}`)));
  });
}

// Python's smtplib: `count` messages on each of `clients` connections; resolves with
// how many the relay queued.
function submit(instance, tag, clients, count) {
  return new Promise((resolve, reject) => {
    const [host, port] = instance.relay.split(':');
    const child = spawn('python3', [
      path.join(root, 'tests/clients/relay_client.py'), '--host', host, '--port', port,
      '--cafile', path.join(instance.dir, 'data/smtp-setup.relay-cert.pem'),
      '--mail-from', instance.mailbox, '--to', 'customer@fabrikam-test.com',
      '--clients', String(clients), '--count', String(count), '--tag', tag,
    ], { stdio: ['ignore', 'pipe', 'inherit'] });
    let queued = 0;
    let refused = 0;
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (JSON.parse(line).ok) queued += 1; else refused += 1;
    });
    child.once('exit', (code) => (code === 0 ? resolve({ queued, refused }) : reject(new Error(`relay client exited with ${code}`))));
  });
}

async function main() {
  rmSync(DATA_DIR, { recursive: true, force: true });
  const peerProcess = start('node', ['tests/peers/peers.mjs'], { PEER_DIR: path.join(DATA_DIR, 'peers'), PEER_STAY: '1' });
  const peers = JSON.parse(await peerProcess.until(/^\{/));
  const database = `${await postgres()}/postgres`;
  const key = randomBytes(32).toString('base64');
  const servers = [];
  for (const [n, instance] of INSTANCES.entries()) {
    instance.dir = path.join(DATA_DIR, `instance-${n}`);
    instance.mailbox = peers.mailbox;
    mkdirSync(instance.dir, { recursive: true });
    const server = start(path.join(root, 'target/release/smtp-setup'), [], {
      LEPTOS_SITE_ADDR: instance.app, LEPTOS_SITE_ROOT: path.join(root, 'target/site'),
      RUST_LOG: 'warn', DATABASE_URL: database, SMTP_SETUP_KEY: key,
      SMTP_SETUP_AUTHORITY_URL: peers.authority, SMTP_SETUP_SMTP_ADDR: peers.smtp, SMTP_SETUP_CA_FILE: peers.caFile,
      SMTP_SETUP_ADMIN_TOKEN: TOKEN, SMTP_SETUP_RELAY_ADDR: instance.relay,
      SMTP_SETUP_RELAY_ALLOW_IPS: '127.0.0.1', SMTP_SETUP_RELAY_SENDS_PER_MINUTE: '0',
    }, instance.dir);
    await server.until(/sign in at/);
    servers.push(server);
  }
  // The configuration, saved on the first instance.
  const cookie = await signInCookie(INSTANCES[0].app, TOKEN);
  const saved = await fetch(`http://${INSTANCES[0].app}/api/save_configuration`, {
    method: 'POST', headers: { cookie, 'content-type': 'application/json' },
    body: JSON.stringify({
      form: {
        email_address: peers.mailbox, name: 'Stress', tenant_id: peers.tenant, client_id: peers.clientId,
        client_secret: peers.clientSecret, object_id: '', send_test_to: 'admin@contoso-test.com',
      },
      base_version: 0,
    }),
  }).then((r) => r.json());
  if (!saved.Saved) throw new Error(`the configuration was not saved: ${JSON.stringify(saved)}`);

  const perClient = Math.ceil(MESSAGES / INSTANCES.length / CLIENTS_PER_INSTANCE);
  const total = perClient * CLIENTS_PER_INSTANCE * INSTANCES.length;
  const t0 = performance.now();
  const submitted = await Promise.all(INSTANCES.map((instance, n) => submit(instance, `stress-${n}`, CLIENTS_PER_INSTANCE, perClient)));
  const submitMs = performance.now() - t0;
  const queued = submitted.reduce((sum, s) => sum + s.queued, 0);
  const refused = submitted.reduce((sum, s) => sum + s.refused, 0);
  let delivered = [];
  for (;;) {
    delivered = await controlGet(peers, '/messages');
    if (delivered.length >= queued || performance.now() - t0 > DELIVERED_WITHIN_MS) break;
    await new Promise((resolve) => { setTimeout(resolve, 250); });
  }
  const deliverMs = performance.now() - t0;
  // Then until both instances are idle (no message waiting or being sent, no
  // connection to the SMTP peer open), and counted again: a late second delivery shows.
  for (;;) {
    const waiting = Number(execFileSync('psql', [database, '-At', '-c',
      "SELECT COUNT(*) FROM outbox WHERE status IN ('queued', 'sending', 'retrying')"], { encoding: 'utf8' }).trim());
    const { openConnections } = await controlGet(peers, '/stats');
    if ((waiting === 0 && openConnections === 0) || performance.now() - t0 > DELIVERED_WITHIN_MS) break;
    await new Promise((resolve) => { setTimeout(resolve, 250); });
  }
  delivered = await controlGet(peers, '/messages');
  const subjects = new Set(delivered.map((m) => m.subject));
  const byWorker = execFileSync('psql', [database, '-At', '-c',
    "SELECT split_part(claimed_by, ':', 2) || ' ' || COUNT(*) FROM outbox GROUP BY claimed_by ORDER BY 1"], { encoding: 'utf8' })
    .trim().split('\n').map((line) => { const [pid, count] = line.split(' '); return { pid, count: Number(count) }; });

  console.log(`${INSTANCES.length} instance(s) on one PostgreSQL, ${total} relay messages over ${CLIENTS_PER_INSTANCE * INSTANCES.length} SMTP connections:`);
  console.log(`  queued ${queued}, refused ${refused}, in ${(submitMs / 1000).toFixed(1)} s (${(queued / submitMs * 1000).toFixed(0)} a second)`);
  console.log(`  delivered ${delivered.length} (${subjects.size} different) within ${(deliverMs / 1000).toFixed(1)} s of the first submission (${(delivered.length / deliverMs * 1000).toFixed(0)} a second)`);
  console.log(`  by worker (process id: messages): ${byWorker.map((w) => `${w.pid}: ${w.count}`).join(', ')}`);
  const wrong = [];
  if (refused > 0 || queued !== total) wrong.push(`${refused} refused, ${queued} of ${total} queued`);
  if (delivered.length !== queued) wrong.push(`${delivered.length} delivered for ${queued} queued`);
  if (subjects.size !== delivered.length) wrong.push(`${delivered.length - subjects.size} delivered twice`);
  if (byWorker.length !== INSTANCES.length) wrong.push(`only ${byWorker.length} worker(s) delivered`);
  if (wrong.length) {
    console.error(`stress-instances: ${wrong.join('; ')}`);
    process.exit(1);
  }
  process.exit(0);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
