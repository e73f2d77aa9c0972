/**
 * One error type for the whole code base: every failure carries a stable `code` that callers,
 * tests and API clients can switch on. It carries no HTTP status (one table in `src/api/errors.ts`
 * maps codes to statuses) and no verdict on a peer (the network layer decides whether the
 * connection that sent the data misbehaved).
 */

/** Stable error codes. Adding a code is fine; renaming one is a breaking change. */
export const ErrorCode = {
  // Parsing untrusted JSON.
  InvalidJson: 'INVALID_JSON',
  DuplicateKey: 'DUPLICATE_KEY',
  JsonTooDeep: 'JSON_TOO_DEEP',
  // Requests from clients.
  MissingValues: 'MISSING_VALUES',
  InvalidAddress: 'INVALID_ADDRESS',
  InvalidTransaction: 'INVALID_TRANSACTION',
  ReservedSender: 'RESERVED_SENDER',
  InvalidNodes: 'INVALID_NODES',
  InvalidBody: 'INVALID_BODY',
  BodyTooLarge: 'BODY_TOO_LARGE',
  UnsupportedMediaType: 'UNSUPPORTED_MEDIA_TYPE',
  NotFound: 'NOT_FOUND',
  RequestTimeout: 'REQUEST_TIMEOUT',
  UriTooLong: 'URI_TOO_LONG',
  HeadersTooLarge: 'HEADERS_TOO_LARGE',
  MethodNotAllowed: 'METHOD_NOT_ALLOWED',
  // A control route of a node started with --admin-token, without it or with another token.
  AdminTokenRequired: 'ADMIN_TOKEN_REQUIRED',
  AdminTokenInvalid: 'ADMIN_TOKEN_INVALID',
  BadRequest: 'BAD_REQUEST',
  // Signed transactions (the ledger profile's policy).
  BadSignature: 'BAD_SIGNATURE',
  WrongChain: 'WRONG_CHAIN',
  NonceTooLow: 'NONCE_TOO_LOW',
  NonceTooHigh: 'NONCE_TOO_HIGH',
  InsufficientFunds: 'INSUFFICIENT_FUNDS',
  FeeTooLow: 'FEE_TOO_LOW',
  AlreadyPending: 'ALREADY_PENDING',
  SignedTransactionsOnly: 'SIGNED_TRANSACTIONS_ONLY',
  WrongPassphrase: 'WRONG_PASSPHRASE',
  InvalidGenesis: 'INVALID_GENESIS',
  // Chain rules (a chain from a peer or a file breaks one of them).
  ChainEnvelope: 'CHAIN_ENVELOPE',
  ChainEmpty: 'CHAIN_EMPTY',
  LengthMismatch: 'LENGTH_MISMATCH',
  GenesisInvalid: 'GENESIS_INVALID',
  BlockShape: 'BLOCK_SHAPE',
  IndexSequence: 'INDEX_SEQUENCE',
  PreviousHashMismatch: 'PREVIOUS_HASH_MISMATCH',
  ProofFormat: 'PROOF_FORMAT',
  ProofOfWork: 'PROOF_OF_WORK',
  TransactionInvalid: 'TRANSACTION_INVALID',
  RewardInvalid: 'REWARD_INVALID',
  BlockTooLarge: 'BLOCK_TOO_LARGE',
  HeaderInvalid: 'HEADER_INVALID',
  TargetMismatch: 'TARGET_MISMATCH',
  TimeTooEarly: 'TIME_TOO_EARLY',
  TimeTooFarAhead: 'TIME_TOO_FAR_AHEAD',
  MerkleMismatch: 'MERKLE_MISMATCH',
  SignatureInvalid: 'SIGNATURE_INVALID',
  NonceMismatch: 'NONCE_MISMATCH',
  BalanceInsufficient: 'BALANCE_INSUFFICIENT',
  // Talking to peers.
  PeerUnreachable: 'PEER_UNREACHABLE',
  PeerTimeout: 'PEER_TIMEOUT',
  PeerTooLarge: 'PEER_TOO_LARGE',
  PeerHttpStatus: 'PEER_HTTP_STATUS',
  PeerBadResponse: 'PEER_BAD_RESPONSE',
  PeerChainMoved: 'PEER_CHAIN_MOVED',
  PeerIsSelf: 'PEER_IS_SELF',
  PeerBanned: 'PEER_BANNED',
  // The node itself.
  DataDirMismatch: 'DATA_DIR_MISMATCH',
  DataDirLocked: 'DATA_DIR_LOCKED',
  DataDirReadOnly: 'DATA_DIR_READ_ONLY',
  StorageCorrupt: 'STORAGE_CORRUPT',
  StorageFull: 'STORAGE_FULL',
  UnknownProfile: 'UNKNOWN_PROFILE',
  InvalidOption: 'INVALID_OPTION',
  ShuttingDown: 'SHUTTING_DOWN',
  MempoolFull: 'MEMPOOL_FULL',
  Busy: 'BUSY',
  TooManyStreams: 'TOO_MANY_STREAMS',
  RateLimited: 'RATE_LIMITED',
  ExplorerNotBuilt: 'EXPLORER_NOT_BUILT',
  Internal: 'INTERNAL',
} as const;

/** A stable error code (see {@link ErrorCode}). */
export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Options for {@link BlockforgeError}. */
export interface BlockforgeErrorOptions {
  /** The request field at fault, when there is one (shown next to that field by clients). */
  field?: string;
  cause?: unknown;
}

/** The base class of every error blockforge raises on purpose. */
export class BlockforgeError extends Error {
  readonly code: ErrorCodeValue;
  readonly field: string | undefined;

  constructor(code: ErrorCodeValue, message: string, options: BlockforgeErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'BlockforgeError';
    this.code = code;
    this.field = options.field;
  }
}

/**
 * A chain that breaks a rule: names the block (its 1-based `index` position in the chain) and
 * the rule, so `blockforge verify` and the resolve report can say exactly what is wrong.
 */
export class ChainRuleError extends BlockforgeError {
  /** 1-based position of the offending block in the chain, or 0 for the chain as a whole. */
  readonly blockIndex: number;

  constructor(code: ErrorCodeValue, blockIndex: number, message: string) {
    super(code, blockIndex > 0 ? `block ${blockIndex}: ${message}` : message);
    this.name = 'ChainRuleError';
    this.blockIndex = blockIndex;
  }
}
