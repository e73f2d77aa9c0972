// One libp2p gossipsub node for `npm run bench:network` (its packages are this folder's own,
// installed by that script: the node's `npm ci` never installs libp2p), run by the bench inside a host's network
// namespace: libp2p 3, TCP, Noise, Yamux, identify, gossipsub with its defaults, and mDNS discovery
// (the peers it finds are dialed: libp2p 3 does not dial discovered peers by itself).
// Subscribes to one topic and speaks JSON lines:
// - stdin: {"cmd":"publish","data":"<base64>"} publishes those bytes; {"cmd":"status"} asks for counts;
// - stdout: {"ev":"ready","peerId","startupMs"}, {"ev":"published","key","t","recipients"},
//   {"ev":"msg","key","t","from"} for each message received (t = Date.now() with sub-millisecond
//   precision, taken in this process; key = the first 16 hex digits of the payload's SHA-256),
//   {"ev":"status","connections","subscribers","mesh"}.
// Usage: node bench/gossipsub/node.mjs --ip <address> [--port 4001] [--topic blockforge/blocks]
//        [--mdns-interval ms]

import { createHash } from 'node:crypto';
import { createInterface } from 'node:readline';

// libp2p's stream code calls Promise.withResolvers (Node >= 22); Node 20 lacks it. Defined before
// libp2p is imported (dynamic imports below: static ones would run first).
if (typeof Promise.withResolvers !== 'function') {
  Promise.withResolvers = function withResolvers() {
    let resolve;
    let reject;
    const promise = new this((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}

const argv = process.argv.slice(2);
const arg = (name, fallback) => {
  const k = argv.indexOf(name);
  return k >= 0 ? argv[k + 1] : fallback;
};
const hostIp = arg('--ip');
if (!hostIp) throw new Error('--ip is required');
const port = Number(arg('--port', '4001'));
const topic = arg('--topic', 'blockforge/blocks');
// 30 s like blockforge's discovery (REQUERY_SECONDS): @libp2p/mdns's default of 10 s costs 30 nodes
// about a core here, since every query draws a multicast answer from every node, parsed by every node.
const mdnsInterval = Number(arg('--mdns-interval', '30000'));

const now = () => performance.timeOrigin + performance.now();
const out = (value) => process.stdout.write(`${JSON.stringify(value)}\n`);
const keyOf = (data) => createHash('sha256').update(data).digest('hex').slice(0, 16);

const [{ createLibp2p }, { tcp }, { noise }, { yamux }, { identify }, { gossipsub }, { mdns }] = await Promise.all([
  import('libp2p'),
  import('@libp2p/tcp'),
  import('@chainsafe/libp2p-noise'),
  import('@chainsafe/libp2p-yamux'),
  import('@libp2p/identify'),
  import('@libp2p/gossipsub'),
  import('@libp2p/mdns'),
]);

const node = await createLibp2p({
  // Only the host's own address: announcing 127.0.0.1 too would have peers dial themselves first.
  addresses: { listen: [`/ip4/${hostIp}/tcp/${port}`] },
  transports: [tcp()],
  connectionEncrypters: [noise()],
  streamMuxers: [yamux()],
  peerDiscovery: [mdns({ interval: mdnsInterval })],
  services: {
    identify: identify(),
    // Defaults (D=6, heartbeat 1 s, flood publish, signed messages); publishing with no topic peer
    // yet is not an error (a node restarted during churn may publish before its mesh is back).
    pubsub: gossipsub({ allowPublishToZeroTopicPeers: true }),
  },
});

node.addEventListener('peer:discovery', (event) => {
  const { id, multiaddrs } = event.detail;
  // Both ends of a pair find each other: only the one with the smaller id dials, so a pair shares one
  // connection instead of two.
  if (node.getConnections(id).length > 0 || node.peerId.toString() > id.toString()) return;
  node.dial(multiaddrs.length > 0 ? multiaddrs : id).catch(() => undefined);
});

// libp2p reports a peer as discovered once, when it first enters the peer store: a first dial that
// failed (30 nodes starting at once on a small machine) is never retried by itself. So the dialing end
// tries again every 10 s, three times at most per peer (a killed node's old identity stays known).
const REDIAL_MS = 10_000;
const attempts = new Map();
setInterval(async () => {
  const known = await node.peerStore.all();
  for (const peer of known) {
    const id = peer.id.toString();
    if (node.getConnections(peer.id).length > 0 || node.peerId.toString() > id) continue;
    const tries = attempts.get(id) ?? 0;
    if (tries >= 3 || peer.addresses.length === 0) continue;
    attempts.set(id, tries + 1);
    node.dial(peer.id).catch(() => undefined);
  }
}, REDIAL_MS).unref();

const pubsub = node.services.pubsub;
pubsub.addEventListener('message', (event) => {
  const t = now();
  const { topic: got, data } = event.detail;
  if (got !== topic) return;
  out({ ev: 'msg', key: keyOf(data), t, from: event.detail.from?.toString?.() ?? null });
});
pubsub.subscribe(topic);
out({ ev: 'ready', peerId: node.peerId.toString(), startupMs: performance.now() });

const lines = createInterface({ input: process.stdin });
lines.on('line', async (line) => {
  let command;
  try {
    command = JSON.parse(line);
  } catch {
    return;
  }
  if (command.cmd === 'publish') {
    const data = Buffer.from(command.data, 'base64');
    const t = now();
    try {
      const result = await pubsub.publish(topic, data);
      out({ ev: 'published', key: keyOf(data), t, recipients: result.recipients.length });
    } catch (err) {
      out({ ev: 'published', key: keyOf(data), t, recipients: 0, error: String(err?.message ?? err) });
    }
  } else if (command.cmd === 'status') {
    out({
      ev: 'status',
      connections: node.getConnections().length,
      subscribers: pubsub.getSubscribers(topic).length,
      mesh: pubsub.getMeshPeers(topic).length,
    });
  }
});
// The bench closing our stdin (or dying) ends this node.
lines.on('close', () => {
  node.stop().finally(() => process.exit(0));
});
