#!/usr/bin/env node
// Builds the optional native kernel (native/: SHA-256 with the CPU's SHA instructions) with
// node-gyp, as npm builds better-sqlite3. Run by `npm ci` / `npm install` (the `install` script) and
// by hand with `npm run build:native`. It never fails the install: on any failure it prints one
// warning line saying what failed and that the WebAssembly kernel will be used, and exits 0.
// BLOCKFORGE_NO_NATIVE=1 skips it (to test the fallback).
//
// node-gyp is, in order: npm's own (npm sets npm_config_node_gyp in lifecycle scripts), `node-gyp` on
// PATH, the copy in the npm that sits beside this Node. Headers: npm's nodedir setting when there is
// one, else this Node's own include/node (so nothing is downloaded), else node-gyp's default.

import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const native = join(root, 'native');
const addon = join(native, 'build', 'Release', 'blockforge_native.node');
const FALLBACK = 'the WebAssembly kernel will be used';

function warn(what) {
  console.warn(`blockforge: native kernel not built (${what}); ${FALLBACK}`);
  process.exit(0);
}

const disabled = process.env.BLOCKFORGE_NO_NATIVE;
if (disabled !== undefined && disabled !== '' && disabled !== '0') {
  console.log(`blockforge: BLOCKFORGE_NO_NATIVE is set: native kernel not built; ${FALLBACK}`);
  process.exit(0);
}
if (!existsSync(join(native, 'binding.gyp'))) warn('native/binding.gyp is not in this install');

/** The node-gyp command: [executable, ...leading args]. */
function nodeGyp() {
  const fromNpm = process.env.npm_config_node_gyp;
  if (fromNpm && existsSync(fromNpm)) return /\.(c|m)?js$/.test(fromNpm) ? [process.execPath, fromNpm] : [fromNpm];
  const onPath = spawnSync('node-gyp', ['--version'], { encoding: 'utf8', timeout: 30_000 });
  if (onPath.status === 0) return ['node-gyp'];
  const prefix = dirname(dirname(process.execPath));
  for (const candidate of [
    join(prefix, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    join(dirname(process.execPath), 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ]) {
    if (existsSync(candidate)) return [process.execPath, candidate];
  }
  return null;
}

const gyp = nodeGyp();
if (gyp === null) warn('node-gyp not found: neither npm_config_node_gyp, node-gyp on PATH, nor npm beside node');

const args = ['rebuild'];
if (!process.env.npm_config_nodedir) {
  // This Node's own headers, when installed with it: node-gyp would otherwise download them.
  const prefix = dirname(dirname(process.execPath));
  if (existsSync(join(prefix, 'include', 'node', 'node_api.h'))) args.push(`--nodedir=${prefix}`);
}

const [command, ...lead] = gyp;
const build = spawnSync(command, [...lead, ...args], {
  cwd: native,
  encoding: 'utf8',
  timeout: 300_000,
  env: process.env,
});
if (build.error || build.status !== 0) {
  // The first compiler or gyp error says most; the whole log is one `npm run build:native` away.
  const log = `${build.stdout ?? ''}\n${build.stderr ?? ''}`;
  const lines = log.split('\n');
  const first =
    lines.find((line) => /error:/i.test(line) && !line.startsWith('gyp')) ??
    lines.find((line) => line.startsWith('gyp ERR! stack Error:')) ??
    lines.find((line) => line.startsWith('gyp ERR!')) ??
    build.error?.message ??
    `exit ${build.status}`;
  rmSync(join(native, 'build'), { recursive: true, force: true });
  warn(`node-gyp rebuild failed: ${first.trim().slice(0, 200)}`);
}

// Built: check that it loads and answers here, as the node will load it.
const check = spawnSync(
  process.execPath,
  ['-e', `const f = require(${JSON.stringify(addon)}).features(); console.log(JSON.stringify(f));`],
  { encoding: 'utf8', timeout: 30_000 },
);
if (check.status !== 0) {
  const reason = (check.stderr ?? '').split('\n').find((line) => line.trim() !== '') ?? `exit ${check.status}`;
  rmSync(join(native, 'build'), { recursive: true, force: true });
  warn(`the built addon does not load: ${reason.trim().slice(0, 200)}`);
}
const features = JSON.parse(check.stdout);
console.log(
  features.sha
    ? `blockforge: native kernel built (${features.arch}, ${features.impl}): the default proof-of-work kernel`
    : `blockforge: native kernel built, but this CPU has no SHA-256 instructions: ${FALLBACK}`,
);
