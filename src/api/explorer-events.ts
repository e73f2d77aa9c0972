/**
 * `GET /events`: the node's changes as Server-Sent Events, so the block explorer updates without
 * reloading when a block is mined here, over curl, or adopted from a peer. One hub subscribes to
 * the node once and writes each event, serialized once, to every open stream.
 */

import type { ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { ErrorCode } from '../core/errors.js';
import { writeJson } from '../core/json.js';
import type { BlockforgeNode } from '../node/blockforge-node.js';
import type { NodeEventMap } from '../node/node-events.js';
import type { NodeServices } from '../node/open-node.js';
import { NODE_ID_HEADER } from '../node/peer-client.js';
import type { NetworkEventMap } from '../node/peer-network.js';
import { ERROR_SCHEMA, errorBody, sendError, statusOf } from './errors.js';

/** Error code of the 503 answered when {@link EventStreamOptions.maxClients} streams are open. */
export const TOO_MANY_STREAMS = ErrorCode.TooManyStreams;

/** Limits of the event stream. */
export interface EventStreamOptions {
  /** Interval of the comment line that keeps idle proxies and browsers from closing the stream. */
  readonly heartbeatMs?: number;
  /** Most streams open at once; one more gets 503 (each tab holds one). */
  readonly maxClients?: number;
  /**
   * Most bytes a stream may have waiting to be sent; a client that reads slower than the node
   * writes is disconnected (its browser reconnects and reloads the state) instead of growing memory.
   */
  readonly maxBufferedBytes?: number;
}

/** Defaults of {@link EventStreamOptions}. */
export const EVENT_STREAM_DEFAULTS: Required<EventStreamOptions> = {
  heartbeatMs: 15_000,
  maxClients: 100,
  maxBufferedBytes: 1024 * 1024,
};

/** Event names on the stream: the node's events plus `hello`, sent once when a stream opens. */
export const STREAM_EVENTS = [
  'block',
  'transaction',
  'chain-replaced',
  'reorg',
  'stale',
  'peers',
  'mining',
  'mining-progress',
] as const;

type StreamEvent = (typeof STREAM_EVENTS)[number];

/** The `data:` line of each node event. Blocks and transactions keep their numbers' Python text. */
type StreamEventMap = NodeEventMap & NetworkEventMap;

const serializers: { [K in StreamEvent]: (...args: StreamEventMap[K]) => string } = {
  block: ({ block, source, peer }) =>
    `{"index":${block.height},"hash":"${block.hash}","source":${JSON.stringify(source)}${
      peer === undefined ? '' : `,"peer":${JSON.stringify(peer)}`
    },"block":${writeJson(block.json)}}`,
  transaction: (event) =>
    `{"source":${JSON.stringify(event.source)}${
      event.peer === undefined ? '' : `,"peer":${JSON.stringify(event.peer)}`
    }${'id' in event && typeof event.id === 'string' ? `,"id":${JSON.stringify(event.id)}` : ''},"transaction":${writeJson(event.tx.json)}}`,
  'chain-replaced': (change) => JSON.stringify(change),
  reorg: (r) =>
    JSON.stringify({
      fork: r.fork,
      dropped: r.dropped,
      dropped_count: r.droppedCount,
      added: r.added,
      added_count: r.addedCount,
      returned: r.returned,
      returned_count: r.returnedCount,
      old_tip: { ...r.oldTip, work: r.oldTip.work.toString() },
      new_tip: { ...r.newTip, work: r.newTip.work.toString() },
      ...(r.peer === undefined ? {} : { peer: r.peer }),
    }),
  stale: (e) =>
    JSON.stringify({
      ...e.block,
      parent: e.parent,
      work: e.work.toString(),
      source: e.source,
      ...(e.peer === undefined ? {} : { peer: e.peer }),
    }),
  peers: (change) => JSON.stringify(change),
  mining: (status) => JSON.stringify(status),
  'mining-progress': (progress) => JSON.stringify(progress),
};

/** The streams of one server. */
export class EventHub {
  private readonly clients = new Set<ServerResponse>();
  private readonly options: Required<EventStreamOptions>;
  private readonly unsubscribe: (() => void)[] = [];
  private heartbeat: NodeJS.Timeout | null = null;

  private readonly node: BlockforgeNode;

  constructor(
    services: NodeServices,
    options: EventStreamOptions = {},
    private readonly onError: (err: unknown) => void = () => undefined,
  ) {
    this.node = services.node;
    this.options = { ...EVENT_STREAM_DEFAULTS, ...options };
    for (const name of STREAM_EVENTS) {
      // Peer list changes come from the network beside the node; everything else from the node.
      // Listeners typed loosely: one loop over every event name, each with its own serializer.
      const events = (name === 'peers' ? services.network.events : services.node.events) as unknown as {
        on(name: StreamEvent, listener: (...args: unknown[]) => void): void;
        off(name: StreamEvent, listener: (...args: unknown[]) => void): void;
      };
      const serialize = serializers[name] as (...args: unknown[]) => string;
      const listener = (...args: unknown[]): void => {
        if (this.clients.size === 0) return;
        // Listeners run inside the node's own operations (mining, commits): nothing here may throw there.
        try {
          this.broadcast(name, serialize(...args));
        } catch (err) {
          this.onError(err);
        }
      };
      events.on(name, listener);
      this.unsubscribe.push(() => events.off(name, listener));
    }
  }

  /** Streams open now. */
  get size(): number {
    return this.clients.size;
  }

  /** Whether one more stream may open. */
  get full(): boolean {
    return this.clients.size >= this.options.maxClients;
  }

  /** Starts a stream on `res`: headers, the reconnect delay and a `hello` with the current state. */
  open(res: ServerResponse): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      // Tells buffering reverse proxies (nginx) to pass events through at once.
      'x-accel-buffering': 'no',
      [NODE_ID_HEADER]: this.node.nodeId,
    });
    res.on('close', () => this.remove(res));
    // An error on one socket must not reach the process; 'close' follows and cleans up.
    res.on('error', () => undefined);
    this.clients.add(res);
    const hello = {
      node_id: this.node.nodeId,
      height: this.node.chain.length,
      pending: this.node.pendingTransactions.length,
      profile: this.node.profile.name,
      ...this.node.profile.params,
    };
    res.write(`retry: 2000\nevent: hello\ndata: ${JSON.stringify(hello)}\n\n`);
    if (this.heartbeat === null) {
      this.heartbeat = setInterval(() => this.beat(), this.options.heartbeatMs);
      this.heartbeat.unref();
    }
  }

  private beat(): void {
    for (const res of this.clients) this.send(res, ': heartbeat\n\n');
  }

  private broadcast(name: string, data: string): void {
    const frame = `event: ${name}\ndata: ${data}\n\n`;
    for (const res of this.clients) this.send(res, frame);
  }

  private send(res: ServerResponse, frame: string): void {
    if (res.writableLength > this.options.maxBufferedBytes) {
      res.destroy();
      this.remove(res);
      return;
    }
    res.write(frame);
  }

  private remove(res: ServerResponse): void {
    this.clients.delete(res);
    if (this.clients.size === 0 && this.heartbeat !== null) {
      clearInterval(this.heartbeat);
      this.heartbeat = null;
    }
  }

  /** Ends every stream and stops listening to the node (the server is closing). */
  close(): void {
    for (const res of [...this.clients]) {
      res.end();
      this.remove(res);
    }
    for (const off of this.unsubscribe.splice(0)) off();
  }
}

/** Registers `GET /events` on `app`. */
export function registerEvents(
  app: FastifyInstance,
  services: NodeServices,
  options: EventStreamOptions = {},
): EventHub {
  const hub = new EventHub(services, options, (err) => app.log.error({ err }, 'event stream: an event was not sent'));
  // Before the server closes: an open stream would otherwise keep app.close() waiting forever.
  app.addHook('preClose', async () => hub.close());

  app.get(
    '/events',
    {
      // A HEAD would open a stream that sends nothing; GET only.
      exposeHeadRoute: false,
      schema: {
        summary: 'Live changes as Server-Sent Events',
        description:
          'A text/event-stream. Events: `hello` (on connect: node_id, height, pending, profile, difficulty), ' +
          '`block` ({index, hash, source, peer?, block}), `transaction` ({source, peer?, transaction}), ' +
          '`chain-replaced` ({height, common, returned, dropped}), `reorg` ({fork: {height, hash}, dropped: ' +
          '[{height, hash}], dropped_count, added: [{height, hash}], added_count, returned: [transaction ids], ' +
          'returned_count, old_tip and new_tip: {height, hash, work}, peer?}; after chain-replaced; lists hold at ' +
          'most 1000 entries, the counts are whole; work is a decimal string), `stale` ({height, hash, parent, ' +
          'work, source: sibling | branch, peer?}: a validated block kept off the chain), `peers` ({peers, ...}), `mining` ' +
          '({mining, rate}) and `mining-progress` ({index, hashes, seconds, rate, expected}); a comment ' +
          'line every 15 s keeps the stream open. 503 when too many streams are open.',
        produces: ['text/event-stream'],
        response: {
          200: { description: 'the event stream', type: 'string' },
          503: ERROR_SCHEMA,
        },
      },
    },
    (_request, reply) => {
      if (hub.full) {
        return sendError(
          reply,
          errorBody(
            statusOf(ErrorCode.TooManyStreams),
            ErrorCode.TooManyStreams,
            `too many event streams are open (${hub.size}); try again later`,
          ),
        );
      }
      reply.hijack();
      hub.open(reply.raw);
      return reply;
    },
  );
  return hub;
}
