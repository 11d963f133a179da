// `make bench`, the relay beside Postfix: Postfix's own load generator (`smtp-source`)
// against the relay (from an allowed address, no AUTH, no TLS) and against Postfix 3.7
// (end2end/bench/postfix.sh: fsynced queue files, relaying to `smtp-sink`), in alternating
// rounds of one run; each side's next round starts once it has relayed everything of
// the last, so neither delivers while the other accepts. Then the relay's peak RSS while
// ten clients send 30 MB each, and while it delivers them.

import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

import { median, root, rss, start } from './harness.mjs';

const run = promisify(execFile);
const POSTFIX_PORT = 3307;
const SINK_PORT = 3308;
const ROUNDS = 5;
const LOADS = [
  { label: '2,000 × 10 KB over 20 sessions', sessions: 20, messages: 2000, bytes: 10 * 1024 },
  { label: '2,000 × 10 KB over 100 sessions', sessions: 100, messages: 2000, bytes: 10 * 1024 },
  { label: '20 × 5 MB over 5 sessions', sessions: 5, messages: 20, bytes: 5 * 1000 * 1000 },
];
const LARGE = { label: '10 × 30 MB over 10 sessions', sessions: 10, messages: 10, bytes: 30 * 1000 * 1000 };
const TO = 'bench@fabrikam-test.com';

const wait = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

// One smtp-source run: seconds from its start to its end (every message accepted, or the
// run fails). `-d`: each session sends its messages over one connection.
async function source(port, from, load) {
  const started = performance.now();
  await run('smtp-source', ['-d', '-s', String(load.sessions), '-m', String(load.messages),
    '-l', String(load.bytes), '-f', from, '-t', TO, `127.0.0.1:${port}`], { maxBuffer: 16 * 1024 * 1024 });
  return (performance.now() - started) / 1000;
}

// Linux: writing 5 to clear_refs sets the peak RSS (VmHWM) back to the RSS of now.
function resetPeak(pid) {
  writeFileSync(`/proc/${pid}/clear_refs`, '5');
}

async function relayQueueDepth(app) {
  const text = await (await fetch(`http://${app}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('smtp_setup_relay_queue_depth'));
  return Number(line?.split(' ').pop() ?? NaN);
}

async function until(what, check, seconds = 600) {
  const deadline = performance.now() + seconds * 1000;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`bench: ${what} within ${seconds} s`);
    await wait(50);
  }
}

export async function besidePostfix({ app, relayPort, serverPid, mailbox, peers }) {
  const dir = path.join(root, 'target/bench/postfix');
  const postfix = start('bash', [path.join(root, 'end2end/bench/postfix.sh'), dir, String(POSTFIX_PORT), String(SINK_PORT)], {});
  await postfix.until(/^ready$/);
  const postfixQueued = async () => {
    postfix.child.stdin.write('queue\n');
    return Number((await postfix.next(/^queued \d+$/)).split(' ')[1]);
  };
  const delivered = async () => (await (await fetch(`${peers.control}/stats`)).json()).received;
  const relayIdle = async () => (await relayQueueDepth(app)) === 0;
  const postfixIdle = async () => (await postfixQueued()) === 0;

  const rows = [];
  for (const load of LOADS) {
    const relaySeconds = [];
    const postfixSeconds = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      // Alternating which goes first, so that neither always meets a warmer machine.
      const order = round % 2 === 0 ? ['relay', 'postfix'] : ['postfix', 'relay'];
      for (const side of order) {
        process.stderr.write(`bench: ${load.label}, round ${round + 1}, ${side}\n`);
        if (side === 'relay') {
          const before = await delivered();
          relaySeconds.push(await source(relayPort, mailbox, load));
          await until('the relay delivers', async () => (await delivered()) - before >= load.messages && relayIdle());
        } else {
          postfixSeconds.push(await source(POSTFIX_PORT, mailbox, load));
          await until('Postfix relays', postfixIdle);
        }
      }
    }
    const relay = median(relaySeconds);
    const reference = median(postfixSeconds);
    rows.push({ ...load, relay, reference, relaySeconds, postfixSeconds });
  }

  // Memory: ten clients at once, 30 MB each, then their delivery.
  const idle = rss(serverPid).rss;
  resetPeak(serverPid);
  const before = await delivered();
  const largeSeconds = await source(relayPort, mailbox, LARGE);
  const receiving = rss(serverPid).peak;
  resetPeak(serverPid);
  await until('the relay delivers the large messages', async () => (await delivered()) - before >= LARGE.messages && relayIdle());
  const delivering = rss(serverPid).peak;
  const postfixLarge = await source(POSTFIX_PORT, mailbox, LARGE);
  await until('Postfix relays the large messages', postfixIdle);
  postfix.child.stdin.end();
  return { rows, memory: { idle, receiving, delivering, largeSeconds, postfixLarge } };
}

const mb = (bytes) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
const s = (seconds) => `${seconds.toFixed(2)} s`;

// The section BENCHMARKS.md keeps.
export function besidePostfixReport({ rows, memory }) {
  return [
    '## 7. The relay beside Postfix',
    '',
    `\`smtp-source\` (Postfix's load generator, \`-d\`: one connection per session) against the relay (from an allowed address, no AUTH, no TLS; each message stored and synced before its 250, in pieces of 1 MiB) and against Postfix 3.7 (its own instance: fsynced queue files, relaying to \`smtp-sink\`), ${ROUNDS} alternating rounds each, medians; each side relays everything before its next round.`,
    '',
    '| load | relay | Postfix | ratio (relay / Postfix, goal ≤ 1.0) | relay, messages/s | Postfix, messages/s |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map((r) => `| ${r.label} | ${s(r.relay)} | ${s(r.reference)} | **${(r.relay / r.reference).toFixed(2)}** | ${(r.messages / r.relay).toFixed(0)} | ${(r.messages / r.reference).toFixed(0)} |`),
    '',
    `Every round (s): ${rows.map((r) => `${r.label}: relay ${r.relaySeconds.map((x) => x.toFixed(2)).join(', ')}; Postfix ${r.postfixSeconds.map((x) => x.toFixed(2)).join(', ')}`).join('. ')}.`,
    '',
    `${LARGE.label} to the relay: accepted in ${s(memory.largeSeconds)} (Postfix ${s(memory.postfixLarge)}). The relay's RSS idle before: **${mb(memory.idle)}**; peak while receiving them: **${mb(memory.receiving)}** (${mb(memory.receiving - memory.idle)} above idle; goal ≤ 64 MB); peak while delivering them: **${mb(memory.delivering)}** (${mb(memory.delivering - memory.idle)} above idle).`,
    '',
  ].join('\n');
}
