#!/usr/bin/env node
/** The `blockforge` command line. */

import { Command, Option } from 'commander';
import { PROFILE_NAMES } from '../core/profile.js';
import { runNode } from './node-command.js';
import { collect, intOption, secondsOption } from './options.js';
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
  .option('--peer-timeout <seconds>', 'time limit for each peer request (default 5)', secondsOption('--peer-timeout'))
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

await program.parseAsync(process.argv);
