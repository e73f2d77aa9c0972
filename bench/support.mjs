// Helpers shared by the bench scripts.

import { createServer } from 'node:net';

/** A free TCP port on `host` (127.0.0.1 by default) right now. */
export function freePort(host = '127.0.0.1') {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}
