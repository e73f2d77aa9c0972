/** Loads the known-answer vectors (copied from the protocol's shared vectors into test fixtures). */
import { readFileSync } from 'node:fs';
import { isJsonObject, type JsonObject, type JsonValue, parseJson } from '../../src/core/json.js';

const dir = new URL('../fixtures/vectors/', import.meta.url);

/** Raw text of a vector file. */
export function vectorText(name: string): string {
  return readFileSync(new URL(name, dir), 'utf8');
}

/** A vector file parsed losslessly. */
export function vector(name: string): JsonObject {
  const value = parseJson(vectorText(name));
  if (!isJsonObject(value)) throw new Error(`${name}: not an object`);
  return value;
}

/** A vector file's list field. */
export function vectorList(name: string, field: string): JsonValue[] {
  const list = vector(name)[field];
  if (!Array.isArray(list)) throw new Error(`${name}: ${field} is not a list`);
  return list;
}
