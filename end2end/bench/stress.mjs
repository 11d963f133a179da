// `make stress`: the release server under 200 concurrent test sends, a quarter of them
// failing (wrong secret, or an SMTP server that refuses the mailbox), while the page is
// loaded again and again; then slow clients (slowloris). Prints its figures. Exits
// non-zero only on what is wrong whatever the timing: a send that should have succeeded
// and failed, file descriptors left open, a page request that failed.

import http from 'node:http';
import net from 'node:net';
import path from 'node:path';

import { kb, median, ms, openFiles, quantile, root, rss, signInCookie, start } from './harness.mjs';

const APP = '127.0.0.1:3400';
const TOKEN = 'stress-admin-token-0123456789';
const TOTAL = 200;
const CONCURRENCY = 200;
const SLOW_CLIENTS = 200;

// One request on a connection of its own, closed afterwards (no client-side pool keeps
// sockets open on the server, so its open files can be counted).
function request(method, urlPath, cookie, body) {
  return new Promise((resolve, reject) => {
    const [host, port] = APP.split(':');
    const req = http.request({
      host, port, method, path: urlPath, agent: false,
      headers: { cookie, connection: 'close', ...(body ? { 'content-type': 'application/json' } : {}) },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => { text += chunk; });
      res.on('end', () => resolve({ status: res.statusCode, text }));
    });
    req.on('error', reject);
    req.end(body ? JSON.stringify(body) : undefined);
  });
}

async function main() {
  const peerDir = path.join(root, 'target/stress/peers');
  const peerProcess = start('node', ['tests/peers/peers.mjs'], { PEER_DIR: peerDir, PEER_STAY: '1' });
  const peers = JSON.parse(await peerProcess.until(/^\{/));
  const server = start('target/release/smtp-setup', [], {
    LEPTOS_SITE_ADDR: APP, LEPTOS_SITE_ROOT: 'target/site', RUST_LOG: 'warn',
    SMTP_SETUP_AUTHORITY_URL: peers.authority, SMTP_SETUP_SMTP_ADDR: peers.smtp, SMTP_SETUP_CA_FILE: peers.caFile,
    SMTP_SETUP_ADMIN_TOKEN: TOKEN, DATABASE_URL: `sqlite://${path.join(root, 'target/stress/app.db')}`,
    SMTP_SETUP_TEST_SENDS_PER_MINUTE: '1000000',
  });
  await server.until(/sign in at/);
  const pid = server.child.pid;
  const cookie = await signInCookie(APP, TOKEN);
  const idle = rss(pid);
  const filesBefore = openFiles(pid);

  const form = (i) => ({
    email_address: i % 8 === 1 ? 'not-allowed@contoso-test.com' : peers.mailbox,
    name: 'Stress', tenant_id: peers.tenant, smtp_user: peers.clientId,
    smtp_password: i % 8 === 0 ? 'Wrong8Q~not-the-secret' : peers.clientSecret,
    send_test_to: 'stress@contoso-test.com',
  });
  const expectedToFail = (i) => i % 8 === 0 || i % 8 === 1;
  let wrong = 0;
  let latencies = [];
  let pageTimes = [];
  let pageErrors = 0;
  let seconds = 0;
  // The same load twice: memory may stay above idle after the first (the allocator keeps
  // what it was given), but a second identical round must not add to it (a leak would).
  const rounds = [];
  for (let round = 0; round < 2; round += 1) {
    latencies = [];
    pageTimes = [];
    let loading = true;
    const pages = (async () => {
      while (loading) {
        const t0 = performance.now();
        const response = await request('GET', '/', cookie).catch(() => null);
        if (response?.status !== 200) pageErrors += 1;
        pageTimes.push(performance.now() - t0);
      }
    })();
    const started = performance.now();
    let next = 0;
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (next < TOTAL) {
        const i = next;
        next += 1;
        const t0 = performance.now();
        const response = await request('POST', '/api/send_test_email', cookie, { form: form(i) });
        const report = JSON.parse(response.text);
        latencies.push(performance.now() - t0);
        const sent = report?.outcome?.Sent !== undefined;
        if (sent === expectedToFail(i)) wrong += 1;
      }
    }));
    seconds = (performance.now() - started) / 1000;
    loading = false;
    await pages;
    rounds.push(rss(pid).rss);
  }
  const peak = rss(pid);

  // Slowloris: connections that send half a request and stop. The page must still load,
  // and the server must close them itself (its header-read timeout).
  const slowStarted = performance.now();
  const closedByServer = [];
  await Promise.all(Array.from({ length: SLOW_CLIENTS }, () => new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port: 3400 }, () => {
      socket.write('GET / HTTP/1.1\r\nHost: x\r\n');
      resolve();
    });
    socket.on('error', () => {});
    closedByServer.push(new Promise((closed) => socket.on('close', () => closed(performance.now() - slowStarted))));
  })));
  const t0 = performance.now();
  const during = await request('GET', '/', cookie);
  const pageDuringSlowloris = performance.now() - t0;
  // Bounded: a server without the timeout would keep them forever.
  const cap = new Promise((resolve) => setTimeout(() => resolve(null), 20_000));
  const closeTimes = await Promise.all(closedByServer.map((p) => Promise.race([p, cap])));
  const stillOpen = closeTimes.filter((t) => t === null).length;

  const filesAfter = openFiles(pid);
  const after = rss(pid);

  const lines = [
    `${TOTAL} test sends, ${CONCURRENCY} at once, a quarter failing on purpose (2 rounds; the second): ${seconds.toFixed(1)} s, p50 ${ms(median(latencies))}, p99 ${ms(quantile(latencies, 0.99))}; outcomes not as expected: ${wrong}`,
    `the page meanwhile: ${pageTimes.length} loads, p50 ${ms(median(pageTimes))}, max ${ms(Math.max(...pageTimes))} (target < 1000 ms); failed loads: ${pageErrors}`,
    `with ${SLOW_CLIENTS} slow clients holding half-sent requests: the page in ${ms(pageDuringSlowloris)} (status ${during.status}); the server closed them after ${ms(Math.max(...closeTimes.filter((t) => t !== null), 0))}, ${stillOpen} still open after 20 s`,
    `RSS: idle ${kb(idle.rss)}, peak ${kb(peak.peak)}, after round 1 ${kb(rounds[0])}, after round 2 ${kb(rounds[1])}, at the end ${kb(after.rss)}`,
    `open files: before ${filesBefore}, after ${filesAfter}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  const leaked = filesAfter > filesBefore + 4;
  const growing = rounds[1] > rounds[0] * 1.2 + 2 * 1024 * 1024;
  const duringOk = during.status === 200;
  if (wrong > 0 || pageErrors > 0 || leaked || growing || !duringOk || stillOpen > 0) {
    process.stderr.write(`stress: FAILED (${[wrong && 'outcomes', pageErrors && 'page loads', leaked && 'file descriptors', growing && 'memory grows round after round', !duringOk && 'page under slowloris', stillOpen && 'slow clients never closed'].filter(Boolean).join(', ')})\n`);
    process.exit(1);
  }
  process.exit(0);
}

main().catch((error) => {
  process.stderr.write(`stress failed: ${error.stack ?? error}\n`);
  process.exit(1);
});
