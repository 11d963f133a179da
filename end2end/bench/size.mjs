// The first load's weight: CSS + JS + WASM of the release build, brotli q11 (what a
// browser that accepts br downloads; the server sends the same precompressed files).
//
// `node end2end/bench/size.mjs` (run by `make test` after the release build) reads the
// built files named in target/release/hash.txt and fails when the sum is over the
// ceiling in size-ceiling.json. The ceiling is the last measured figure plus a little:
// a change that adds weight must raise it in the same commit, so review sees the cost.
// The budget (issue 17) is the goal; `make bench` fails while the page is over it.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';

import { kb, root } from './harness.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));

export const limits = JSON.parse(readFileSync(path.join(here, 'size-ceiling.json'), 'utf8'));

export function brotli(body) {
  return zlib.brotliCompressSync(body, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
}

// The built bundle's files, by kind, from the hashes cargo-leptos wrote.
function builtFiles() {
  const hashes = Object.fromEntries(
    readFileSync(path.join(root, 'target', 'release', 'hash.txt'), 'utf8')
      .split('\n')
      .map((line) => line.split(':').map((part) => part.trim()))
      .filter(([kind, hash]) => kind && hash),
  );
  const name = 'smtp-setup';
  return ['css', 'js', 'wasm'].map((kind) => {
    if (!hashes[kind]) throw new Error(`target/release/hash.txt names no ${kind} file`);
    return { kind, file: path.join(root, 'target', 'site', 'pkg', `${name}.${hashes[kind]}.${kind}`) };
  });
}

function main() {
  const rows = builtFiles().map(({ kind, file }) => ({ kind, bytes: brotli(readFileSync(file)) }));
  const total = rows.reduce((sum, row) => sum + row.bytes, 0);
  const parts = rows.map((row) => `${row.kind} ${kb(row.bytes)}`).join(', ');
  process.stdout.write(`first load, brotli q11: ${kb(total)} (${parts}); ceiling ${kb(limits.ceiling_bytes)}, budget ${kb(limits.budget_bytes)}\n`);
  if (total > limits.ceiling_bytes) {
    process.stderr.write(
      `size: FAILED: the first load grew to ${kb(total)}, over the ceiling of ${kb(limits.ceiling_bytes)} ` +
        '(end2end/bench/size-ceiling.json). Make it smaller, or raise the ceiling in the same commit and say why.\n',
    );
    process.exit(1);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();
