/**
 * The names the command line offers before it loads anything heavy: a `--help` or a flag error must
 * not pay for the profiles, the kernels or the node (measured: `blockforge --help` loaded every
 * command's modules and took ~4x a bare `node -e 0`). The modules that own them re-export them.
 */

/** Names accepted by `createProfile` (src/core/profiles.ts). */
export const PROFILE_NAMES = ['seed', 'master', 'ledger'] as const;
/** A built-in profile name. */
export type ProfileName = (typeof PROFILE_NAMES)[number];
/** The tutorial's profiles. */
export const TUTORIAL_PROFILE_NAMES = ['seed', 'master'] as const;

/**
 * Names of the proof-of-work kernels (src/core/pow-kernel.ts), fastest first. A miner given none runs
 * `native` where the addon is built and the CPU has SHA-256 instructions, else `wasm`
 * (src/node/kernels.ts: `defaultKernelName`).
 */
export const KERNEL_NAMES = ['native', 'wasm', 'ts', 'crypto'] as const;
/** A kernel name. */
export type KernelName = (typeof KERNEL_NAMES)[number];
