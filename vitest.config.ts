import { defineConfig } from 'vitest/config';

/**
 * Test files that build hosts with network namespaces: they add and delete veth interfaces and
 * addresses. Chromium watches the machine's interfaces (netlink) and aborts every request in flight
 * with ERR_NETWORK_CHANGED when one changes, even requests to 127.0.0.1 (seen in CI: a browser test
 * failed while a netns test tore its hosts down). So these run in a group of their own, after every
 * other file has finished.
 */
const NAMESPACE_FILES = ['test/e2e/netns*.test.ts'];

export default defineConfig({
  test: {
    // e2e suites start real node processes and sockets; give them room on a 2-core machine.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default'],
    projects: [
      {
        extends: true,
        test: {
          name: 'main',
          include: ['test/**/*.test.ts'],
          exclude: NAMESPACE_FILES,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'netns',
          include: NAMESPACE_FILES,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
