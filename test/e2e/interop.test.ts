/**
 * Interop with the tutorial's own node (test/support/tutorial-node.py: Python stdlib only, so
 * compatibility is judged by Python's `json` and `hashlib`): each side adopts the other's longer
 * chain, in both profiles, with float amounts, non-ASCII and astral-plane strings.
 */

import { afterAll, describe, expect, it } from 'vitest';
import { call, cleanupAll, type RunningNode, startNode, startTutorialNode } from '../support/harness.js';

afterAll(cleanupAll);

/** Transactions whose hashes depend on Python's exact JSON: number forms and string escapes. */
const TRICKY = [
  '{"sender": "Jos\\u00e9 \\ud83d\\ude00", "recipient": "r\\u00e9sum\\u00e9", "amount": 3.0}',
  '{"sender": "s", "recipient": "tab\\tquote\\" slash/ \\ud834\\udd1e", "amount": 1e2}',
  '{"sender": "big", "recipient": "r", "amount": 123456789012345678901234567890}',
  '{"sender": "tiny", "recipient": "\\u2028\\ufeff", "amount": 1.5e-07}',
  '{"sender": "ints", "recipient": "r", "amount": 5}',
];

async function post(node: RunningNode, path: string, body: string): Promise<number> {
  const answer = await call(`${node.url}${path}`, { body, headers: { 'content-type': 'application/json' } });
  return answer.status;
}

async function chainOf(node: RunningNode): Promise<{ chain: unknown[]; length: number }> {
  const answer = await call(`${node.url}/chain`);
  expect(answer.status).toBe(200);
  return answer.json();
}

describe.each(['seed', 'master'] as const)('interop with the Python tutorial node (%s)', (profile) => {
  it('each side adopts the other side longer chain', async () => {
    const [python, forge] = await Promise.all([
      startTutorialNode({ profile }),
      startNode({ args: ['--profile', profile, '--no-auto-sync'] }),
    ]);

    // Python builds a chain with tricky transactions.
    for (const tx of TRICKY.slice(0, 3)) expect(await post(python, '/transactions/new', tx)).toBe(201);
    expect((await call(`${python.url}/mine`)).status).toBe(200);
    expect((await call(`${python.url}/mine`)).status).toBe(200);
    const pythonChain = await chainOf(python);
    expect(pythonChain.length).toBe(3);

    // blockforge adopts it: every hash Python computed, blockforge recomputes identically.
    expect(await post(forge, '/nodes/register', JSON.stringify({ nodes: [python.url] }))).toBe(201);
    const resolved = await call(`${forge.url}/nodes/resolve`);
    expect(resolved.status).toBe(200);
    expect(resolved.json().message).toBe('Our chain was replaced');
    expect(resolved.json().peers[0].status).toBe('adopted');
    // Same blocks, same number forms (3.0 stays a float, 1e2 prints as Python's 100.0).
    expect(await chainOf(forge)).toEqual(pythonChain);
    const text = (await call(`${forge.url}/chain`)).text;
    expect(text).toContain('"amount":3.0');
    expect(text).toContain('"amount":123456789012345678901234567890');

    // blockforge extends it with more tricky transactions...
    for (const tx of TRICKY.slice(1)) expect(await post(forge, '/transactions/new', tx)).toBe(201);
    expect((await call(`${forge.url}/mine`)).status).toBe(200);
    expect((await call(`${forge.url}/mine`)).status).toBe(200);
    const forgeChain = await chainOf(forge);
    expect(forgeChain.length).toBe(5);

    // ...and Python, checking with its own json and hashlib, adopts blockforge's chain.
    expect(await post(python, '/nodes/register', JSON.stringify({ nodes: [`127.0.0.1:${forge.port}`] }))).toBe(201);
    const back = await call(`${python.url}/nodes/resolve`);
    expect(back.status).toBe(200);
    expect(back.json().message).toBe('Our chain was replaced');
    expect(await chainOf(python)).toEqual(forgeChain);

    // Python keeps mining on blockforge's blocks, and blockforge follows again.
    expect((await call(`${python.url}/mine`)).status).toBe(200);
    const again = await call(`${forge.url}/nodes/resolve`);
    expect(again.json().message).toBe('Our chain was replaced');
    expect((await chainOf(forge)).length).toBe(6);
    expect(await chainOf(forge)).toEqual(await chainOf(python));

    await Promise.all([python.stop(), forge.stop()]);
  });
});

describe('profiles do not mix', () => {
  it('a seed node refuses a master chain and reports it incompatible', async () => {
    const [python, forge] = await Promise.all([
      startTutorialNode({ profile: 'master' }),
      startNode({ args: ['--no-auto-sync'] }),
    ]);
    await call(`${python.url}/mine`);
    await call(`${python.url}/mine`);
    await post(forge, '/nodes/register', JSON.stringify({ nodes: [python.url] }));
    const resolved = await call(`${forge.url}/nodes/resolve`);
    expect(resolved.json().message).toBe('Our chain is authoritative');
    // Not a fault of the peer's: a tutorial node adopts any chain its valid_chain passes (links and
    // proofs only), so an honest one may hold a genesis of other rules: another network.
    expect(resolved.json().peers[0]).toMatchObject({ status: 'incompatible' });
    expect(resolved.json().peers[0].reason).toMatch(/GENESIS|genesis/);
    expect((await chainOf(forge)).length).toBe(1);
    await Promise.all([python.stop(), forge.stop()]);
  });
});
