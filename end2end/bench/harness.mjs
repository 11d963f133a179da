// What `make bench` and `make stress` share: starting processes and reading their
// readiness from their own output, signing in, and reading the server's memory and files.

import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const children = [];
process.on('exit', () => children.forEach((child) => child.kill('SIGTERM')));

// Starts a process; `until(regex)` resolves with the first output line (past or future)
// that matches, so readiness is read from what the process says, not guessed.
export function start(command, args, env) {
  const child = spawn(command, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
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
  const until = (pattern) => {
    const seen = lines.find((line) => pattern.test(line));
    if (seen) return Promise.resolve(seen);
    return Promise.race([new Promise((resolve) => waiters.push({ pattern, resolve })), exited]);
  };
  return { child, until };
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
  return { rss: field('VmRSS'), peak: field('VmHWM') };
}

// Open file descriptors of a process (sockets, files).
export const openFiles = (pid) => readdirSync(`/proc/${pid}/fd`).length;

// Signs in with the fixed admin token; returns the session cookie as `name=value`.
export async function signInCookie(app, token) {
  const response = await fetch(`http://${app}/login?token=${token}`, { redirect: 'manual' });
  const cookie = (response.headers.get('set-cookie') ?? '').split(';')[0];
  if (!cookie.includes('=')) throw new Error(`sign-in failed: ${response.status}`);
  return cookie;
}
