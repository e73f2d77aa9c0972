/**
 * Builds the block explorer (web/) into dist/web. The node serves index.html at `/` and every
 * other file under `/explorer/` (src/api/explorer.ts), hence the base. The explorer imports the
 * core's pure modules (canonical JSON, the rule profiles) so the browser checks blocks with the
 * node's own code; their one Node import, node:crypto, is swapped for a browser SHA-256.
 */

import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

const shim = fileURLToPath(new URL('web/src/node-crypto-shim.ts', import.meta.url));

/** Fails the build if anything else from Node reaches the bundle (it would break at run time). */
function noNodeBuiltins(): Plugin {
  return {
    name: 'blockforge:no-node-builtins',
    enforce: 'pre',
    resolveId(id, importer) {
      if (id === 'node:crypto') return shim;
      if (id.startsWith('node:')) {
        this.error(`${importer ?? '?'} imports ${id}, which the browser does not have`);
      }
      return null;
    },
  };
}

export default defineConfig({
  root: fileURLToPath(new URL('web/', import.meta.url)),
  base: '/explorer/',
  plugins: [noNodeBuiltins()],
  // Workers are bundled apart, without `plugins`: they get the same node:crypto stand-in.
  worker: { plugins: () => [noNodeBuiltins()] },
  build: {
    outDir: fileURLToPath(new URL('dist/web/', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // The page is served by the node, never from a CDN: no remote module-preload polyfill either.
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
  },
  server: {
    // `npm run dev:web`: the page with hot reload, the API of a node on port 5000 behind it.
    proxy: {
      '^/(?!explorer/).*': { target: 'http://127.0.0.1:5000', changeOrigin: false },
    },
  },
});
