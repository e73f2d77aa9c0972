/** Short descriptions of untrusted values for error messages. */

import { JsonNumber, type JsonValue } from './json.js';

/** Short description of a value for error messages (never echoes large input). */
export function describe(value: JsonValue | undefined): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'boolean') return `boolean ${value}`;
  if (typeof value === 'string') {
    return value.length > 40
      ? `string ${JSON.stringify(`${value.slice(0, 40)}...`)}`
      : `string ${JSON.stringify(value)}`;
  }
  if (value instanceof JsonNumber)
    return `number ${value.text.length > 40 ? `${value.text.slice(0, 40)}...` : value.text}`;
  if (Array.isArray(value)) return 'a list';
  return 'an object';
}
