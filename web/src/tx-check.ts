/**
 * The transaction form's own check, before it posts: every field's problem at once, in the node's
 * words. The node's policy (the core's `parseTransaction`, imported, not copied) stops at the first
 * problem, so each field is judged alone, with the other two replaced by values the policy accepts.
 * No DOM here, so unit tests run it against the node's answers.
 */

import { BlockforgeError } from '../../src/core/errors.js';
import {
  isJsonObject,
  JsonNumber,
  type JsonObject,
  type JsonValue,
  newJsonObject,
  parseJson,
} from '../../src/core/json.js';
import type { RuleProfile } from '../../src/core/profile.js';
import { transactionBody } from './forms.js';

/** The fields of `POST /transactions/new`, in the form's order. */
export const TRANSACTION_FIELDS = ['sender', 'recipient', 'amount'] as const;

/** One of {@link TRANSACTION_FIELDS}. */
export type TransactionField = (typeof TRANSACTION_FIELDS)[number];

/** What the form puts in place of the fields not being judged: values every policy here accepts. */
const PLACEHOLDERS: Record<TransactionField, () => JsonValue> = {
  sender: () => 'placeholder-sender',
  recipient: () => 'placeholder-recipient',
  amount: () => JsonNumber.int(1),
};

/**
 * Each field's problem, as the node would name it were that field the only one at fault (a field
 * left empty: `Missing values: amount`). Fields without a problem are absent. The body checked is
 * the one the form sends ({@link transactionBody}), parsed as the node parses it.
 */
export function transactionFieldErrors(
  profile: Pick<RuleProfile, 'parseTransaction'>,
  sender: string,
  recipient: string,
  amount: string,
): Partial<Record<TransactionField, string>> {
  const body = parseJson(transactionBody(sender, recipient, amount));
  if (!isJsonObject(body)) throw new Error('the form did not build a JSON object');
  const errors: Partial<Record<TransactionField, string>> = {};
  for (const field of TRANSACTION_FIELDS) {
    const alone: JsonObject = newJsonObject();
    for (const key of TRANSACTION_FIELDS) {
      if (key !== field) alone[key] = PLACEHOLDERS[key]();
      else if (Object.hasOwn(body, key)) alone[key] = body[key] as JsonValue;
    }
    try {
      profile.parseTransaction(alone);
    } catch (err) {
      if (!(err instanceof BlockforgeError)) throw err;
      errors[field] = err.message;
    }
  }
  return errors;
}
