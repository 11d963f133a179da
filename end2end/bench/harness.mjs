// What `make bench` and `make stress` share: starting processes and reading their
// readiness from their own output, signing in, and reading the server's memory and files.

import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const children = [];
process.on('exit', () => children.forEach((child) => child.kill('SIGTERM')));

// Starts a process; `until(regex)` resolves with the first output line (past or future)
// that matches, so readiness is read from what the process says, not guessed.
export function start(command, args, env, cwd = root) {
  const child = spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  children.push(child);
  const lines = [];
  const waiters = [];
  const onLine = (line) => {
    lines.push(line);
    for (const waiter of [...waiters]) {
      if (waiter.pattern.test(line)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
    }
  };
  createInterface({ input: child.stdout }).on('line', onLine);
  createInterface({ input: child.stderr }).on('line', onLine);
  const exited = new Promise((_, reject) => child.on('exit', (code) => reject(new Error(`${command} exited with ${code}`))));
  // The next line matching `pattern` from now on.
  const next = (pattern) => Promise.race([new Promise((resolve) => waiters.push({ pattern, resolve })), exited]);
  // The first line matching `pattern`, perhaps one already printed.
  const until = (pattern) => {
    const seen = lines.find((line) => pattern.test(line));
    return seen ? Promise.resolve(seen) : next(pattern);
  };
  return { child, until, next, lines };
}

export const quantile = (values, q) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
};
export const median = (values) => quantile(values, 0.5);
export const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`;
export const ms = (value) => `${value.toFixed(1)} ms`;

export function rss(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name) => Number(status.match(new RegExp(`${name}:\\s+(\\d+) kB`))?.[1] ?? 0) * 1024;
  // `own`: anonymous memory, what the process itself allocated. The rest of RSS is the
  // binary's pages, and how many of those are mapped depends on the page cache (a binary
  // just built maps ~10 MB more), not on the process.
  return { rss: field('VmRSS'), peak: field('VmHWM'), own: field('RssAnon') };
}

// Open file descriptors of a process, split into those on files under `dir` (a database:
// its pool opens and keeps up to three per connection as load demands) and all the others
// (sockets above all).
export function openFilesOutside(pid, dir) {
  const targets = readdirSync(`/proc/${pid}/fd`).map((fd) => {
    try { return readlinkSync(`/proc/${pid}/fd/${fd}`); } catch { return ''; }
  });
  const inside = targets.filter((target) => target.startsWith(dir)).length;
  return { inside, outside: targets.length - inside };
}

// Signs in with the fixed admin token; returns the session cookie as `name=value`.
export async function signInCookie(app, token) {
  const response = await fetch(`http://${app}/login?token=${token}`, { redirect: 'manual' });
  const cookie = (response.headers.get('set-cookie') ?? '').split(';')[0];
  if (!cookie.includes('=')) throw new Error(`sign-in failed: ${response.status}`);
  return cookie;
}
