import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const here = (path: string): string => fileURLToPath(new URL(`./packages/${path}`, import.meta.url));
const packages = ['core', 'cli', 'relay', 'ops', 'store-redis', 'adapter-qq', 'adapter-wechat'];

export default defineConfig({
  resolve: {
    // Tests run against each workspace package's TypeScript sources, not its last build: the main entry and the
    // `testing` subpath, matched exactly so that one does not swallow the other.
    alias: packages.flatMap((pkg) => [
      { find: new RegExp(`^@switchboard/${pkg}$`), replacement: here(`${pkg}/src/index.ts`) },
      { find: new RegExp(`^@switchboard/${pkg}/testing$`), replacement: here(`${pkg}/src/testing/index.ts`) },
    ]),
  },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'examples/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: 'forks',
  },
});
