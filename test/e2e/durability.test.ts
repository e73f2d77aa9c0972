/**
 * Nothing acknowledged is lost: restarts after SIGTERM and after `kill -9` resume exactly, and
 * mining runs off the main thread with concurrent `/mine` calls each forging their own block.
 */

import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, call, cleanupAll, startNode, tempDir } from '../support/harness.js';

afterAll(cleanupAll);

const tx = (k: number): object => ({ sender: `sender-${k}`, recipient: 'bob', amount: k + 0.5 });

describe('durability', () => {
  it('keeps the chain and an acknowledged transaction across kill -9', async () => {
    const node = await startNode({ args: ['--difficulty', '3'] });
    await call(`${node.url}/mine`);
    await call(`${node.url}/mine`);
    const before = (await call(`${node.url}/chain`)).text;
    const posted = await call(`${node.url}/transactions/new`, {
      body: { sender: 'alice', recipient: 'bob', amount: 2.5 },
    });
    expect(posted.status).toBe(201);
    await node.kill9();

    const again = await startNode({ dataDir: node.dataDir, port: node.port, args: ['--difficulty', '3'] });
    expect((await call(`${again.url}/chain`)).text).toBe(before);
    const pending = (await call(`${again.url}/transactions/pending`)).json();
    expect(pending.transactions).toEqual([{ sender: 'alice', recipient: 'bob', amount: 2.5 }]);
    // Same identity: the next reward goes to the same node id.
    const mined = (await call(`${again.url}/mine`)).json();
    expect(mined.index).toBe(4);
    expect(mined.transactions.at(-1).recipient).toBe(JSON.parse(before).chain[1].transactions[0].recipient);
    await again.stop();
  });

  it('keeps every acknowledged transaction of a concurrent burst across kill -9', async () => {
    const node = await startNode({ args: ['--difficulty', '2'] });
    const answers = await Promise.all(
      Array.from({ length: 300 }, (_, k) => call(`${node.url}/transactions/new`, { body: tx(k) })),
    );
    const acknowledged = answers.filter((a) => a.status === 201).length;
    expect(acknowledged).toBe(300);
    await node.kill9();
    const again = await startNode({ dataDir: node.dataDir, port: node.port, args: ['--difficulty', '2'] });
    const pending = (await call(`${again.url}/transactions/pending`)).json();
    expect(pending.count).toBe(300);
    expect(new Set(pending.transactions.map((t: { sender: string }) => t.sender)).size).toBe(300);
    // All of them go into the next block, and leave the mempool for good.
    const mined = (await call(`${again.url}/mine`)).json();
    expect(mined.transactions.length).toBe(301);
    await again.kill9();
    const third = await startNode({ dataDir: node.dataDir, port: node.port, args: ['--difficulty', '2'] });
    expect((await call(`${third.url}/transactions/pending`)).json().count).toBe(0);
    expect((await call(`${third.url}/chain`)).json().length).toBe(2);
    await third.stop();
  });

  it('shuts down cleanly on SIGTERM and resumes', async () => {
    const node = await startNode({ args: ['--difficulty', '2'] });
    await call(`${node.url}/mine`);
    await call(`${node.url}/transactions/new`, { body: tx(1) });
    expect(await node.stop()).toBe(0);
    const again = await startNode({ dataDir: node.dataDir, port: node.port, args: ['--difficulty', '2'] });
    expect((await call(`${again.url}/chain`)).json().length).toBe(2);
    expect((await call(`${again.url}/transactions/pending`)).json().count).toBe(1);
    await again.stop();
  });

  it('shuts down cleanly even when signalled the moment it says it is ready', async () => {
    // The signal handlers must be in place before the ready line is printed: a supervisor may act
    // on that line at once, and a signal without a handler kills the node with no clean shutdown.
    for (let k = 0; k < 8; k++) {
      const node = await startNode({ args: ['--difficulty', '2'] });
      expect(await node.stop()).toBe(0);
    }
  });

  it('refuses to open a data folder with other rules, saying how to open it', async () => {
    const node = await startNode({ args: ['--difficulty', '2'] });
    await node.stop();
    const result = spawnSync(
      process.execPath,
      [CLI, 'node', '--port', String(node.port), '--data-dir', node.dataDir, '--difficulty', '3'],
      { encoding: 'utf8', timeout: 20_000 },
    );
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('--difficulty 2');
    expect(result.stderr).toContain('DATA_DIR_MISMATCH');
  });

  it('reports a port in use instead of crashing', async () => {
    const node = await startNode({ args: ['--difficulty', '2'] });
    const result = spawnSync(
      process.execPath,
      [CLI, 'node', '--host', '127.0.0.1', '--port', String(node.port), '--data-dir', tempDir()],
      {
        encoding: 'utf8',
        timeout: 20_000,
      },
    );
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('port is in use');
    await node.stop();
  });
});

describe('mining', () => {
  it('gives concurrent /mine calls one block each, in order', async () => {
    const node = await startNode({ args: ['--difficulty', '3'] });
    await call(`${node.url}/transactions/new`, { body: tx(7) });
    const mined = await Promise.all([1, 2, 3, 4].map(() => call(`${node.url}/mine`)));
    const indexes = mined.map((m) => m.json().index).sort((a: number, b: number) => a - b);
    expect(indexes).toEqual([2, 3, 4, 5]);
    const chain = (await call(`${node.url}/chain`)).json();
    expect(chain.length).toBe(5);
    // The pending transaction went into exactly one block.
    const carrying = chain.chain.filter((b: { transactions: unknown[] }) => b.transactions.length === 2);
    expect(carrying.length).toBe(1);
    await node.stop();
  });

  it('keeps answering while a search runs (the search is off the main thread)', async () => {
    const node = await startNode({ args: ['--difficulty', '5', '--threads', '1'] });
    const mining = call(`${node.url}/mine`, { timeoutMs: 120_000 });
    // Wait until the node says it is mining, then ask for other things while it does.
    let status = (await call(`${node.url}/mining`)).json();
    for (let k = 0; k < 200 && !status.mining; k++) status = (await call(`${node.url}/mining`)).json();
    expect(status.mining).toBe(true);
    const chain = await call(`${node.url}/chain`);
    const posted = await call(`${node.url}/transactions/new`, { body: tx(3) });
    expect(chain.status).toBe(200);
    expect(chain.json().length).toBe(1);
    expect(posted.status).toBe(201);
    const block = (await mining).json();
    // The chain was served (still 1 block long) while the search for block 2 ran.
    expect(block.index).toBe(2);
    await node.stop();
  });
});
