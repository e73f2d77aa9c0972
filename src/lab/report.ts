/**
 * What `blockforge lab` prints with `--json`, and what the explorer's lab page draws: one object per
 * run, tagged by `kind`. Probabilities are numbers in [0, 1]; times are seconds of simulated time
 * unless a field says blocks. Every simulated figure comes with its confidence interval.
 */

/** A two-sided confidence interval. */
export interface Interval {
  readonly low: number;
  readonly high: number;
  /** e.g. 0.95. */
  readonly confidence: number;
}

/** Who wins when the attacker's branch has exactly as much work as the honest one. */
export type TieRule = 'honest' | 'attacker';

/** One (attacker share, confirmations) cell of a double-spend run. */
export interface DoubleSpendRow {
  /** The attacker's share of the hash power, q. */
  readonly attacker: number;
  /** Confirmations the merchant waits for (the payment's block is the first). */
  readonly confirmations: number;
  readonly trials: number;
  /** Trials in which the merchant's payment was reversed. */
  readonly successes: number;
  /** successes / trials. */
  readonly rate: number;
  /** Wilson score interval of `rate`. */
  readonly interval: Interval;
  /** Nakamoto's formula (whitepaper section 11: Poisson approximation of the attacker's progress). */
  readonly nakamoto: number;
  /** Rosenfeld's exact formula (2014): negative binomial progress, a tie wins for the attacker. */
  readonly rosenfeld: number;
  /** The exact probability under the run's rule (tie rule and give-up), which `rate` estimates. */
  readonly exact: number;
  /** The exact probability under the run's tie rule with an attacker who never gives up. */
  readonly exactUnbounded: number;
  /** The attacker abandons the race when this many blocks behind (after the merchant ships). */
  readonly giveUp: number;
  /** Blocks mined per trial, on average (both branches). */
  readonly blocksPerTrial: number;
}

/** `blockforge lab double-spend`. */
export interface DoubleSpendReport {
  readonly kind: 'double-spend';
  readonly seed: number;
  readonly tie: TieRule;
  readonly rows: readonly DoubleSpendRow[];
  /** The whitepaper's own table (section 11), recomputed with its formula, beside its printed values. */
  readonly whitepaper: readonly WhitepaperCell[];
  /** Wall-clock seconds the run took. */
  readonly seconds: number;
}

/** One cell of the whitepaper's table: Nakamoto's formula beside the value printed in the paper. */
export interface WhitepaperCell {
  readonly attacker: number;
  readonly confirmations: number;
  readonly nakamoto: number;
  /** As printed in the whitepaper (7 decimals). */
  readonly printed: number;
}

/** `blockforge lab double-spend --find-z --risk P`: the confirmations needed per attacker share. */
export interface FindZReport {
  readonly kind: 'find-z';
  readonly risk: number;
  readonly tie: TieRule;
  readonly rows: readonly {
    readonly attacker: number;
    /** Least z with Nakamoto's probability below the risk (the whitepaper's second table). */
    readonly nakamoto: number;
    /** The whitepaper's printed z, where it has the row. */
    readonly whitepaper: number | null;
    readonly rosenfeld: number;
    /** Under the lab's rule (`tie`, never giving up). */
    readonly exact: number;
  }[];
}

/** One (alpha, gamma) cell of a selfish-mining run. */
export interface SelfishRow {
  /** The selfish pool's share of the hash power. */
  readonly alpha: number;
  /** Share of honest hash power that mines on the pool's block in a tie race. */
  readonly gamma: number;
  /** Blocks mined in all (both pools, orphans included): at least the run's `--blocks`, up to the end of its last cycle. */
  readonly mined: number;
  /** Blocks on the final main chain. */
  readonly mainChain: number;
  /** Of those, the pool's. */
  readonly pool: number;
  /** pool / mainChain: the pool's revenue share. */
  readonly share: number;
  /** Ratio-estimator interval over regeneration cycles. */
  readonly interval: Interval;
  /** Eyal and Sirer's closed form for the share. */
  readonly closedForm: number;
  /** Least alpha for which selfish mining pays at this gamma: (1 - gamma) / (3 - 2 gamma). */
  readonly threshold: number;
  /** Main-chain blocks left behind (orphaned), honest and pool. */
  readonly orphaned: number;
}

/** `blockforge lab selfish`. */
export interface SelfishReport {
  readonly kind: 'selfish';
  readonly seed: number;
  readonly rows: readonly SelfishRow[];
  readonly seconds: number;
}

/** One attacker share of a majority run. */
export interface MajorityRow {
  /** The attacker's share, above 0.5. */
  readonly attacker: number;
  /** Blocks the attacker rewrites (the honest chain is this many ahead of the fork when it starts). */
  readonly depth: number;
  readonly trials: number;
  /** Mean simulated seconds until the attacker's branch has more work and replaces the honest one. */
  readonly meanSeconds: number;
  /** Confidence interval of `meanSeconds`. */
  readonly interval: Interval;
  readonly medianSeconds: number;
  /** The expectation: (depth + 1) / (2q - 1) block intervals. */
  readonly expectedSeconds: number;
  /** Mean blocks the attacker mined per trial. */
  readonly attackerBlocks: number;
}

/** `blockforge lab majority`. */
export interface MajorityReport {
  readonly kind: 'majority';
  readonly seed: number;
  /** Mean seconds between blocks of the whole network (both sides). */
  readonly blockTime: number;
  readonly rows: readonly MajorityRow[];
  readonly seconds: number;
}

/** One protocol attack tried against the real rules. */
export interface ProtocolAttack {
  /** Stable name, as the subcommand takes it (e.g. `replay`, `merkle-mutation`). */
  readonly name: string;
  /** One line for a learner. */
  readonly title: string;
  /** What was tried, concretely. */
  readonly attempt: string;
  /** The error code that stopped it (or `null` when the attack is a measurement, e.g. `seed-precompute`). */
  readonly code: string | null;
  /** The rule that holds, as the docs name it (e.g. `L5 signature`). */
  readonly rule: string;
  /** Whether the defence held. */
  readonly held: boolean;
  /** What was measured, by name. */
  readonly figures: Readonly<Record<string, number | string>>;
}

/** `blockforge lab protocol [NAME...]`. */
export interface ProtocolReport {
  readonly kind: 'protocol';
  readonly attacks: readonly ProtocolAttack[];
}

/** What happened to the payment in a live double spend. */
export type LiveOutcome = 'reversed' | 'confirmed' | 'timeout';

/** `blockforge lab double-spend --live`. */
export interface LiveReport {
  readonly kind: 'live';
  readonly attacker: number;
  readonly confirmations: number;
  /** Hashes per second of the honest node and the attacker's. */
  readonly hashrates: { readonly honest: number; readonly attacker: number };
  readonly outcome: LiveOutcome;
  /** The merchant's payment id and the attacker's conflicting payment id. */
  readonly payment: string;
  readonly conflicting: string;
  /** Heights and work of both branches when the run ended. */
  readonly honestHeight: number;
  readonly attackerHeight: number;
  /** Wall-clock seconds. */
  readonly seconds: number;
  /** The explorer's forks view of the honest node, while it runs. */
  readonly forksUrl: string;
  /** One line per thing that happened, in order. */
  readonly events: readonly string[];
}

/** Any lab run. */
export type LabReport = DoubleSpendReport | FindZReport | SelfishReport | MajorityReport | ProtocolReport | LiveReport;
