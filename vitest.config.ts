import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (pkg: string): string => fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url));

export default defineConfig({
  resolve: {
    // Tests run against each workspace package's TypeScript sources, not its last build.
    alias: {
      '@switchboard/core': src('core'),
      '@switchboard/cli': src('cli'),
      '@switchboard/relay': src('relay'),
      '@switchboard/adapter-qq': src('adapter-qq'),
      '@switchboard/adapter-wechat': src('adapter-wechat'),
    },
  },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'examples/*/test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: 'forks',
  },
});
