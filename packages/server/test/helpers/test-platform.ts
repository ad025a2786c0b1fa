/**
 * Starts a real platform (SQLite file + filesystem artifacts in a fresh temp dir) for HTTP-level
 * tests: in-process via `app.inject`, or on a real socket via `url`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { loadConfig, type ConfigFlags } from '../../src/config.js';
import { createPlatform } from '../../src/main.js';

/** A platform started for one test file. */
export interface TestPlatform {
  app: FastifyInstance;
  /** Base URL (only when started with `listen: true`). */
  url: string;
  dataDir: string;
  /** Shuts the platform down but keeps its data dir (to inspect what it wrote). */
  stop(): Promise<void>;
  /** Stops the platform (if still running) and removes its data dir. */
  close(): Promise<void>;
}

/** Starts a platform on a temp data dir; `listen` binds 127.0.0.1 on a free port. */
export async function startTestPlatform(
  options: { listen?: boolean; flags?: ConfigFlags } = {},
): Promise<TestPlatform> {
  const dataDir = await mkdtemp(join(tmpdir(), 'slipway-test-'));
  const config = loadConfig({ dataDir, port: 0, ...options.flags }, {}, dataDir);
  const platform = await createPlatform(config);
  let url = '';
  if (options.listen) {
    url = await platform.app.listen({ host: '127.0.0.1', port: 0 });
  }
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => (stopped ??= platform.close());
  return {
    app: platform.app,
    url,
    dataDir,
    stop,
    async close() {
      await stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
