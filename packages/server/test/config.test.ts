import { describe, expect, it } from 'vitest';
import { SlipwayError } from '@slipway/contracts';
import { loadConfig } from '../src/config.js';

describe('loadConfig', () => {
  it('defaults to embedded storage under ~/.slipway on 127.0.0.1:5000', () => {
    const c = loadConfig({}, {}, '/home/ada');
    expect(c).toEqual({
      host: '127.0.0.1',
      port: 5000,
      dataDir: '/home/ada/.slipway',
      backendStoreUri: 'sqlite:/home/ada/.slipway/slipway.db',
      artifactsUri: 'file:/home/ada/.slipway/artifacts',
      logLevel: false,
    });
  });

  it('lets flags override env vars and env vars override defaults', () => {
    const env = { SLIPWAY_PORT: '7000', SLIPWAY_DATA_DIR: '/data', SLIPWAY_LOG_LEVEL: 'info' };
    const fromEnv = loadConfig({}, env, '/home/ada');
    expect(fromEnv.port).toBe(7000);
    expect(fromEnv.backendStoreUri).toBe('sqlite:/data/slipway.db');
    expect(fromEnv.logLevel).toBe('info');
    const fromFlags = loadConfig({ port: '8000', backendStoreUri: 'postgresql://u@h/db' }, env, '/home/ada');
    expect(fromFlags.port).toBe(8000);
    expect(fromFlags.backendStoreUri).toBe('postgresql://u@h/db');
  });

  it.each([
    [{ port: 'abc' }, 'port'],
    [{ port: '70000' }, 'port'],
    [{ backendStoreUri: 'mysql://x' }, 'backend-store-uri'],
    [{ artifactsUri: 'ftp://x' }, 'artifacts-uri'],
    [{ logLevel: 'loud' }, 'log-level'],
  ])('rejects %o naming the flag', (flags, field) => {
    try {
      loadConfig(flags, {}, '/h');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(SlipwayError);
      expect((err as SlipwayError).code).toBe('INVALID_ARGUMENT');
      expect((err as SlipwayError).details.field).toBe(field);
    }
  });
});
