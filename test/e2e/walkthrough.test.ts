/**
 * The README's tutorial walkthrough, run as written: every `curl` line of its code blocks, in order,
 * against real nodes (only the ports are changed, so the test never collides with a running node).
 */

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupAll, freePort, type RunningNode, startNode } from '../support/harness.js';

afterAll(cleanupAll);

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

/** Shell lines of the code blocks in the README's walkthrough section. */
function walkthroughLines(): string[] {
  const start = readme.indexOf('## The tutorial, against blockforge');
  const end = readme.indexOf('\n## ', start + 10);
  const section = readme.slice(start, end);
  const lines: string[] = [];
  for (const block of section.matchAll(/```sh\n([\s\S]*?)```/g)) {
    lines.push(...(block[1] as string).split('\n').filter((line) => line.trim() !== ''));
  }
  return lines;
}

describe('README walkthrough', () => {
  it('has the tutorial steps', () => {
    const lines = walkthroughLines();
    expect(lines.filter((l) => l.startsWith('curl ')).length).toBe(6);
    expect(lines).toContain('npm start -- --port 5001');
  });

  it('works as written against two blockforge nodes', async () => {
    const ports = { 5000: await freePort(), 5001: await freePort() };
    const nodes: RunningNode[] = [await startNode({ port: ports[5000], args: ['--host', '0.0.0.0'] })];
    const outputs: { line: string; body: ReturnType<typeof JSON.parse> }[] = [];
    for (const line of walkthroughLines()) {
      const local = line.replace(/localhost:(5000|5001)/g, (_m, p: '5000' | '5001') => `localhost:${ports[p]}`);
      if (line.startsWith('npm start')) {
        expect(line).toBe('npm start -- --port 5001');
        nodes.push(await startNode({ port: ports[5001], args: ['--host', '0.0.0.0'] }));
        continue;
      }
      expect(line.startsWith('curl ')).toBe(true);
      const stdout = execFileSync('sh', ['-c', `${local} --silent --show-error --max-time 30`], { encoding: 'utf8' });
      outputs.push({ line, body: JSON.parse(stdout) });
    }
    const [mine1, tx, mine2, chain, register, resolve] = outputs.map((o) => o.body);
    expect(mine1).toMatchObject({ message: 'New Block Forged', index: 2, proof: 35293 });
    expect(tx).toEqual({ message: 'Transaction will be added to Block 3' });
    expect(mine2).toMatchObject({ message: 'New Block Forged', index: 3, proof: 35089 });
    expect(mine2.transactions[0]).toEqual({
      sender: 'd4ee26eee15148ee92c6cd394edd974e',
      recipient: 'someone-other-address',
      amount: 5,
    });
    expect(chain.length).toBe(3);
    expect(chain.chain.map((b: { index: number }) => b.index)).toEqual([1, 2, 3]);
    expect(register).toEqual({ message: 'New nodes have been added', total_nodes: [`localhost:${ports[5000]}`] });
    expect(resolve.message).toBe('Our chain was replaced');
    expect(resolve.new_chain).toEqual(chain.chain);
    await Promise.all(nodes.map((n) => n.stop()));
  });
});
