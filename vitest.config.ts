import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (pkg: string): string =>
  fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url));

export default defineConfig({
  resolve: {
    // Tests run against source, so a change is tested without a rebuild.
    alias: { '@slipway/contracts': src('contracts'), '@slipway/sdk': src('sdk') },
  },
  test: {
    include: ['packages/*/test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Vitest's default is one worker fewer than the cores: one on CI's two. Most test files wait on
    // servers, child processes, PostgreSQL or a browser, so two at once use the machine better
    // (the suite took 902 s with two under a load of 9, against 766 s with one on a quiet machine).
    maxWorkers: 2,
    minWorkers: 1,
  },
});
