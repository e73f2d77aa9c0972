#!/usr/bin/env node
/** The `blockforge` command line. */

import { Command, Option } from 'commander';
import { BlockforgeError } from '../core/errors.js';
import { KERNEL_NAMES } from '../core/pow-kernel.js';
import { PROFILE_NAMES } from '../core/profiles.js';
import { runNode } from './node-command.js';
import { advertiseOption, collect, intOption, secondsOption } from './options.js';
import { lastHashOption, lastProofOption, runPow } from './pow-command.js';
import { runVerify } from './verify-command.js';

const program = new Command();
program
  .name('blockforge')
  .description('A blockchain node that speaks the tutorial protocol exactly, done as real software.')
  .showHelpAfterError();

program
  .command('node')
  .description('run a node (HTTP API on --port, data in --data-dir)')
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
  .action(runNode);

program
  .command('verify')
  .description('validate a saved /chain response and say which block breaks which rule')
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
