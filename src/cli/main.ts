#!/usr/bin/env node
/** The `blockforge` command line. */

import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { BlockforgeError } from '../core/errors.js';
import { KERNEL_NAMES } from '../core/pow-kernel.js';
import { PROFILE_NAMES } from '../core/profiles.js';
import { LOG_FORMATS } from './log-format.js';
import { runNode } from './node-command.js';
import { advertiseOption, collect, intOption, secondsOption } from './options.js';
import { lastHashOption, lastProofOption, runPow } from './pow-command.js';
import { runVerify } from './verify-command.js';

/** The package's version (package.json is two folders up from both src/cli and dist/cli). */
const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

/** After a flag error: where the options are, instead of the whole help screen. */
const hint = (command: string): string => `(run blockforge ${command} --help for the options)`;

const program = new Command();
program
  .name('blockforge')
  .description('A blockchain node that speaks the tutorial protocol exactly, done as real software.')
  .version(version, '-V, --version', 'print the version')
  // One line saying what is wrong (prefixed like the CLI's other errors), then the hint; exit 1.
  // Subcommands inherit the output settings; each names its own help in its hint.
  .configureOutput({ outputError: (text, write) => write(text.replace(/^error: /, 'blockforge: ')) })
  .showHelpAfterError('(run blockforge --help for the commands)');

program
  .command('node')
  .description('run a node (HTTP API on --port, data in --data-dir)')
  .showHelpAfterError(hint('node'))
  .option('-p, --port <port>', 'port to listen on', intOption('--port', 1, 65535), 5000)
  .option('--host <host>', 'address to listen on', '0.0.0.0')
  .option('--data-dir <dir>', 'data folder (default: ./.blockforge/<port>)')
  .addOption(new Option('--profile <name>', 'consensus rules').choices(PROFILE_NAMES).default('seed'))
  .option('--difficulty <zeros>', 'leading hex zeros a proof needs (default 4)', intOption('--difficulty', 1, 64))
  .option('--peer <url>', 'peer to register at start (repeatable)', collect)
  .option('--threads <n>', 'proof-of-work threads (default: one per core)', intOption('--threads', 1, 256))
  .addOption(new Option('--kernel <name>', 'proof-of-work kernel').choices(KERNEL_NAMES).default('wasm'))
  .option('--peer-timeout <seconds>', 'time limit for each peer request (default 5)', secondsOption('--peer-timeout'))
  .option(
    '--sync-interval <seconds>',
    'sync with peers at start and every N seconds (0: only at start and on /nodes/resolve)',
    intOption('--sync-interval', 0, 86_400),
    10,
  )
  .option('--no-auto-sync', 'peers meet only on /nodes/resolve, as in the tutorial (no push, no periodic sync)')
  .option('--advertise <url>', 'how peers reach this node (default: the address they see, and --port)', advertiseOption)
  .option(
    '--ban-seconds <seconds>',
    'how long a peer that sent invalid data is ignored',
    intOption('--ban-seconds', 0, 86_400),
    300,
  )
  .addOption(
    new Option('--log-level <level>', 'log level')
      .choices(['fatal', 'error', 'warn', 'info', 'debug', 'silent'])
      .default('info'),
  )
  .addOption(
    new Option('--log-format <format>', 'log lines: readable on a terminal and JSON otherwise (auto), or always one')
      .choices(LOG_FORMATS)
      .default('auto'),
  )
  .action(runNode);

program
  .command('verify')
  .description('validate a saved /chain response and say which block breaks which rule')
  .showHelpAfterError(hint('verify'))
  .argument('<file>', 'a file holding a /chain response ({"chain": [...], "length": n}) or a list of blocks')
  .addOption(
    new Option('--profile <name>', 'consensus rules (default: guessed from the genesis block)').choices(PROFILE_NAMES),
  )
  .option('--difficulty <zeros>', 'leading hex zeros a proof needs (default 4)', intOption('--difficulty', 1, 64))
  .option('--json', 'print one JSON line')
  .action((file: string, options) => {
    process.exitCode = runVerify(file, options);
  });

program
  .command('pow')
  .description("search the tutorial's proof of work: the smallest proof after --last-proof")
  .showHelpAfterError(hint('pow'))
  .requiredOption('--last-proof <n>', "the previous block's proof", lastProofOption)
  .option('--last-hash <hash>', "the previous block's hash (master profile)", lastHashOption)
  .addOption(new Option('--profile <name>', 'consensus rules').choices(PROFILE_NAMES).default('seed'))
  .option('--difficulty <zeros>', 'leading hex zeros (default 4)', intOption('--difficulty', 1, 64))
  .option('--threads <n>', 'threads (default: one per core)', intOption('--threads', 1, 256))
  .addOption(new Option('--kernel <name>', 'search kernel').choices(KERNEL_NAMES).default('wasm'))
  .option('--json', 'print one JSON line {"proof", "digest", "tries", "seconds", "rate"}')
  .action(async (options) => {
    try {
      process.exitCode = await runPow(options);
    } catch (err) {
      if (!(err instanceof BlockforgeError)) throw err;
      console.error(`blockforge: ${err.message} [${err.code}]`);
      process.exitCode = 1;
    }
  });

await program.parseAsync(process.argv);
