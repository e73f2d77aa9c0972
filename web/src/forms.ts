/** What the forms send: request bodies built from what was typed (no DOM here, so unit tests run it). */

/** JSON number grammar: what is sent as a number, exactly as typed (`5.0` stays a float). */
const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/**
 * The request body, written by hand so the amount goes out as typed: `5.0` as the float Python
 * reads, `abc` as a string the node refuses with its own message. Empty fields are left out, so
 * the node answers with the tutorial's "Missing values".
 */
export function transactionBody(sender: string, recipient: string, amount: string): string {
  const parts: string[] = [];
  if (sender !== '') parts.push(`"sender": ${JSON.stringify(sender)}`);
  if (recipient !== '') parts.push(`"recipient": ${JSON.stringify(recipient)}`);
  const a = amount.trim();
  if (a !== '') parts.push(`"amount": ${JSON_NUMBER.test(a) ? a : JSON.stringify(amount)}`);
  return `{${parts.join(', ')}}`;
}

/** Splits what was typed into peer addresses: one per line, or separated by commas or spaces. */
export function peerList(input: string): string[] {
  return input
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
}
