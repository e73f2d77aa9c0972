#!/usr/bin/env node
/** The `blockforge` command line. */

import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { BlockforgeError } from '../core/errors.js';
import { KERNEL_NAMES, PROFILE_NAMES } from '../core/names.js';
import type { GenesisOptions } from './genesis-command.js';
import { CliError } from './http-client.js';
import type {
  DoubleSpendCliOptions,
  LiveCliOptions,
  MajorityCliOptions,
  ProtocolCliOptions,
  SelfishCliOptions,
} from './lab-command.js';
import { countListOption, probabilityOption, shareListOption } from './lab-options.js';
import type { NodeCommandOptions } from './node-command.js';
import {
  adminTokenOption,
  advertiseOption,
  collect,
  DEFAULT_NODE_URL,
  DEFAULT_WALLET_FILE,
  hashrateOption,
  intOption,
  LOG_FORMATS,
  lastHashOption,
  lastProofOption,
  secondsOption,
} from './options.js';
import type { PowOptions } from './pow-command.js';
import type {
  HistoryOptions,
  SendOptions,
  VerifyPaymentOptions,
  WalletNewOptions,
  WalletOptions,
} from './wallet-command.js';

// Each command's modules load when it runs, not before: `--help`, `--version` and flag errors
// start in about the time of a bare `node` (the node command alone pulls Fastify and SQLite).
const labModule = () => import('./lab-command.js');
const walletModule = () => import('./wallet-command.js');

/** The package's version (package.json is two folders up from both src/cli and dist/cli). */
const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

/** After a flag error: where the options are, instead of the whole help screen. */
const hint = (command: string): string => `(run blockforge ${command} --help for the options)`;

/**
 * Runs a command's action: its exit code, or a user error (a CliError or BlockforgeError) as one
 * line `blockforge: <message> [CODE]` on stderr (with --json, `{"error": {"code", "message"}}` on
 * stdout) and exit 1. Anything else is a bug, and Node prints its stack.
 */
async function guard(
  options: { json?: boolean },
  run: () => number | undefined | Promise<number | undefined>,
): Promise<void> {
  try {
    process.exitCode = (await run()) ?? 0;
  } catch (err) {
    if (!(err instanceof CliError) && !(err instanceof BlockforgeError)) throw err;
    if (options.json) console.log(JSON.stringify({ error: { code: err.code, message: err.message } }));
    else console.error(`blockforge: ${err.message} [${err.code}]`);
    process.exitCode = 1;
  }
}

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
  .option('--genesis <file>', "ledger: the network's genesis file (default: the built-in devnet)")
  .option(
    '--miner-address <address>',
    "ledger: who this node's block rewards pay (default: a wallet of the node's own, in its data folder)",
  )
  .option('--peer <url>', 'peer to register at start (repeatable)', collect)
  .option('--threads <n>', 'proof-of-work threads (default: one per core)', intOption('--threads', 1, 256))
  .addOption(
    new Option(
      '--kernel <name>',
      'proof-of-work kernel (default: native where built and the CPU has SHA-256 instructions, else wasm)',
    ).choices(KERNEL_NAMES),
  )
  .option(
    '--hashrate <rate>',
    'most hashes per second this node mines (2000, 20k, 1.5M; default: no cap)',
    hashrateOption,
  )
  .option(
    '--admin-token <token>',
    'require Authorization: Bearer TOKEN on the routes that control the node (/mine, /nodes/register, /nodes/resolve, DELETE /nodes/..., POST /shutdown)',
    adminTokenOption,
  )
  .option(
    '--admin-token-file [file]',
    'as --admin-token, with the token kept in FILE (default: <data-dir>/admin-token), made at first start and printed that once',
  )
  .option('--discover', 'find peers on the LAN by mDNS (default for --profile ledger)')
  .option('--no-discover', 'do not look for peers on the LAN')
  .option(
    '--no-peer-exchange',
    'neither ask peers for the peers they know nor list ours (a fixed topology: a line, a ring)',
  )
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
  .action(async (options: NodeCommandOptions) => (await import('./node-command.js')).runNode(options));

program
  .command('class')
  .description('start N local nodes wired together (a classroom network on one machine); Ctrl-C stops them all')
  .showHelpAfterError(hint('class'))
  .requiredOption('--nodes <n>', 'how many nodes (1 to 50)', intOption('--nodes', 1, 50))
  .option(
    '-p, --port <port>',
    'port of the first node; the others take the next ones',
    intOption('--port', 1, 65486),
    5000,
  )
  .option('--host <host>', 'address the nodes listen on', '127.0.0.1')
  .option('--data-dir <dir>', "folder of the nodes' data folders (one per port)", './.blockforge/class')
  .allowUnknownOption()
  .allowExcessArguments()
  .addHelpText('after', '\nAny other flag goes to every node as given (--profile, --difficulty, --admin-token, ...).')
  .action(async (options, command: Command) => {
    process.exitCode = await (await import('./class-command.js')).runClass(options, command.args);
  });

program
  .command('verify')
  .description('validate a saved /chain response and say which block breaks which rule')
  .showHelpAfterError(hint('verify'))
  .argument('<file>', 'a file holding a /chain response ({"chain": [...], "length": n}) or a list of blocks')
  .addOption(
    new Option('--profile <name>', 'consensus rules (default: guessed from the genesis block)').choices(PROFILE_NAMES),
  )
  .option('--difficulty <zeros>', 'leading hex zeros a proof needs (default 4)', intOption('--difficulty', 1, 64))
  .option('--genesis <file>', "ledger: the network's genesis file (default: the built-in devnet)")
  .option('--json', 'print one JSON line')
  .action(async (file: string, options) => {
    process.exitCode = await (await import('./verify-command.js')).runVerify(file, options);
  });

program
  .command('genesis')
  .description("write a ledger network's genesis file; every node of the network starts with --genesis FILE")
  .showHelpAfterError(hint('genesis'))
  .requiredOption('--out <file>', 'the file to write')
  .option('--name <name>', 'network name: 1-32 of a-z, 0-9 and - (default localnet)')
  .option('--hrp <prefix>', 'address prefix: 1-10 letters a-z (default bfd, as devnet)')
  .option('--block-time <seconds>', 'target seconds between blocks (default 10)', intOption('--block-time', 1, 3600))
  .option(
    '--half-life <seconds>',
    'how fast the difficulty follows the hash rate (default 10 block times)',
    intOption('--half-life', 1, 100_000_000),
  )
  .option('--expected-hashes <n>', 'hashes the first blocks take on average (default 1048576); 1 for tests')
  .option('--reward <coins>', 'block reward in coins, up to 8 decimals (default 50)')
  .option(
    '--halving-interval <blocks>',
    'the reward halves every N blocks, 0: never (default 100000)',
    intOption('--halving-interval', 0, 2 ** 31),
  )
  .option('--maturity <blocks>', 'blocks a reward stays locked (default 10)', intOption('--maturity', 0, 1000))
  .option('--alloc <address=coins>', 'a balance at genesis, e.g. bfd1...=100 (repeatable)', collect)
  .option('--time <unix>', 'the genesis time in seconds (default now)', intOption('--time', 0, 2 ** 40))
  .option('--force', 'replace the file if it exists')
  .option('--json', 'print one JSON object')
  .action((options: GenesisOptions) =>
    guard(options, async () => (await import('./genesis-command.js')).runGenesis(options)),
  );

const wallet = program
  .command('wallet')
  .description('a ledger wallet: the key stays in a local file, payments are signed here')
  .showHelpAfterError(hint('wallet'));

/** A wallet subcommand with the options they all have. */
const walletCommand = (name: string, description: string): Command =>
  wallet
    .command(name)
    .description(description)
    .showHelpAfterError(hint(`wallet ${name}`))
    .option('--wallet <file>', 'the wallet (keystore) file', DEFAULT_WALLET_FILE)
    .option('--node <url>', "the node's URL", DEFAULT_NODE_URL)
    .option('--json', 'print one JSON object');

walletCommand('new', 'make a key and its wallet file (passphrase from BLOCKFORGE_PASSPHRASE, or asked)')
  .option('--hrp <prefix>', "address prefix (default: the node's network, else bfd)")
  .option('--no-passphrase', 'write the key unencrypted (classrooms, tests): anyone who reads the file can spend')
  .option('--force', 'replace the wallet file if it exists')
  .action((options: WalletNewOptions) => guard(options, async () => (await walletModule()).runWalletNew(options)));

walletCommand('address', "print the wallet's address").action((options: WalletOptions) =>
  guard(options, async () => (await walletModule()).runWalletAddress(options)),
);

walletCommand('balance', "an account's balance, in coins")
  .argument('[address]', "whose (default: the wallet's)")
  .action((address: string | undefined, options: WalletOptions) =>
    guard(options, async () => (await walletModule()).runWalletBalance(address, options)),
  );

walletCommand('send', 'sign a payment here and send it to the node')
  .requiredOption('--to <address>', 'the recipient')
  .requiredOption('--amount <coins>', 'coins to send, up to 8 decimals (1.5)')
  .option('--fee <coins>', "the fee in coins (default: the node's minimum, if at most 0.001)")
  .option('--yes', 'pay a --fee above 1 coin or above the amount')
  .action((options: SendOptions) => guard(options, async () => (await walletModule()).runWalletSend(options)));

walletCommand('history', "an account's transactions, newest first")
  .argument('[address]', "whose (default: the wallet's)")
  .option('--limit <n>', 'how many', intOption('--limit', 1, 1000), 20)
  .action((address: string | undefined, options: HistoryOptions) =>
    guard(options, async () => (await walletModule()).runWalletHistory(address, options)),
  );

walletCommand(
  'verify-payment',
  'check that a transaction is in the chain, as a light client: every header, its id, its inclusion proof',
)
  .argument('<id>', 'the transaction id (64 hex)')
  .option(
    '--genesis <file>',
    "the network's genesis file (default: the node's; unpinned, with a warning, unless devnet)",
  )
  .option('--confirmations <n>', 'fewer is an error (exit 1)', intOption('--confirmations', 1, 100_000_000))
  .option('--min-work <n>', 'a total work (expected hashes) below this is an error (exit 1)', '0')
  .option(
    '--timeout <seconds>',
    'give up after this long, every request included (default 120)',
    secondsOption('--timeout'),
  )
  .action((id: string, options: VerifyPaymentOptions) =>
    guard(options, async () => (await walletModule()).runVerifyPayment(id, options)),
  );

program
  .command('pow')
  .description("search the tutorial's proof of work: the smallest proof after --last-proof")
  .showHelpAfterError(hint('pow'))
  .requiredOption('--last-proof <n>', "the previous block's proof", lastProofOption)
  .option('--last-hash <hash>', "the previous block's hash (master profile)", lastHashOption)
  .addOption(new Option('--profile <name>', 'consensus rules').choices(PROFILE_NAMES).default('seed'))
  .option('--difficulty <zeros>', 'leading hex zeros (default 4)', intOption('--difficulty', 1, 64))
  .option('--threads <n>', 'threads (default: one per core)', intOption('--threads', 1, 256))
  .addOption(
    new Option(
      '--kernel <name>',
      'search kernel (default: native where built and the CPU has SHA-256 instructions, else wasm)',
    ).choices(KERNEL_NAMES),
  )
  .option('--json', 'print one JSON line {"proof", "digest", "tries", "seconds", "rate"}')
  .action(async (options: PowOptions) => {
    try {
      process.exitCode = await (await import('./pow-command.js')).runPow(options);
    } catch (err) {
      if (!(err instanceof BlockforgeError)) throw err;
      console.error(`blockforge: ${err.message} [${err.code}]`);
      process.exitCode = 1;
    }
  });

const lab = program
  .command('lab')
  .description('the classic attacks on proof of work, run on the real rules and nodes (docs/lab.md)')
  .showHelpAfterError(hint('lab'));

/** A lab subcommand with the options every simulated run takes. */
function labCommand(name: string, description: string): Command {
  return lab
    .command(name)
    .description(description)
    .showHelpAfterError(hint(`lab ${name}`))
    .option(
      '--seed <n>',
      'seed of the simulated randomness (same seed, same run)',
      intOption('--seed', 0, 2 ** 32 - 1),
      1,
    )
    .option(
      '--confidence <c>',
      'confidence level of the intervals',
      probabilityOption('--confidence', 0.5, 0.9999),
      0.95,
    )
    .option(
      '--block-time <s>',
      'mean seconds between blocks of the whole network',
      intOption('--block-time', 1, 86_400),
      600,
    )
    .option('--json', 'print one JSON object with every figure (what the explorer lab page draws)')
    .option('--svg <file>', "also write the run's chart to FILE (SVG)");
}

labCommand('double-spend', "a merchant ships after z confirmations; the attacker's private branch races the honest one")
  .option('--attacker <q>', "attacker's share(s) of the hash power, e.g. 0.1,0.3", shareListOption('--attacker'), [0.1])
  .option(
    '--confirmations <z>',
    'confirmations the merchant waits for: 6, 1,2,6 or 0-10',
    countListOption('--confirmations', 0, 1000),
    [6],
  )
  .option('--trials <n>', 'trials per (q, z) cell', intOption('--trials', 1, 10_000_000), 10_000)
  .addOption(
    new Option('--tie <who>', "who wins a tie: 'honest' (the node keeps what it saw first) or 'attacker' (Rosenfeld)")
      .choices(['honest', 'attacker'])
      .default('honest'),
  )
  .option(
    '--give-up <blocks>',
    'the attacker abandons when this many blocks behind (default: where it changes the odds by < 0.1%)',
    intOption('--give-up', 1, 100_000),
  )
  .option('--find-z', "print the confirmations needed per attacker share instead (the whitepaper's second table)")
  .option(
    '--risk <p>',
    'with --find-z: the success probability to stay below',
    probabilityOption('--risk', 1e-15),
    0.001,
  )
  .option(
    '--live',
    'one double spend with real node processes and wallets on this machine (one --attacker, one --confirmations)',
  )
  .option(
    '--total-hashrate <rate>',
    'with --live: both nodes together, hashes per second (default 20k)',
    hashrateOption,
  )
  .option('--block-seconds <s>', "with --live: the honest node's mean seconds per block (default 1)")
  .option(
    '--timeout <seconds>',
    'with --live: give up after this long (default 120)',
    intOption('--timeout', 1, 86_400),
  )
  .option('--keep', 'with --live: leave the nodes running afterwards (Ctrl-C stops them), to look at the explorer')
  .action((options: DoubleSpendCliOptions & LiveCliOptions) =>
    guard(options, async () =>
      options.live ? (await labModule()).runLabLive(options) : (await labModule()).runLabDoubleSpend(options),
    ),
  );

labCommand('selfish', "Eyal and Sirer's selfish mining: the pool's share of the main chain")
  .option(
    '--alpha <a>',
    "the selfish pool's share(s) of the hash power, below 0.5",
    shareListOption('--alpha', 0, 0.5),
    [0.35],
  )
  .option(
    '--gamma <g>',
    "share(s) of honest power mining on the pool's block in a tie race, 0 to 1",
    shareListOption('--gamma', 0, 1, true),
    [0.5],
  )
  .option('--blocks <n>', 'blocks mined per (alpha, gamma) cell', intOption('--blocks', 100, 1_000_000), 20_000)
  .action((options: SelfishCliOptions) => guard(options, async () => (await labModule()).runLabSelfish(options)));

labCommand('majority', 'an attacker above 50% rewrites the last blocks: how long it takes')
  .option(
    '--attacker <q>',
    "attacker's share(s), above 0.5",
    shareListOption('--attacker', 0.5, 1),
    [0.55, 0.6, 0.7, 0.8, 0.9],
  )
  .option('--depth <k>', 'blocks to rewrite', intOption('--depth', 0, 1000), 6)
  .option('--trials <n>', 'trials per share', intOption('--trials', 2, 1_000_000), 500)
  .action((options: MajorityCliOptions) => guard(options, async () => (await labModule()).runLabMajority(options)));

lab
  .command('protocol')
  .description(
    'attacks on the rules (replay, forged signature, timestamps, low-work chain, merkle mutation, header flood, seed precompute)',
  )
  .showHelpAfterError(hint('lab protocol'))
  .argument('[names...]', 'attacks to run (default: all)')
  .option('--proofs <n>', 'seed-precompute: proofs to compute ahead', intOption('--proofs', 1, 100_000), 1000)
  .option('--difficulty <zeros>', "seed-precompute: the tutorial's difficulty", intOption('--difficulty', 1, 6), 4)
  .option('--json', 'print one JSON object with every figure')
  .action((names: string[], options: ProtocolCliOptions) =>
    guard(options, async () => (await labModule()).runLabProtocol(names, options)),
  );

await program.parseAsync(process.argv);
