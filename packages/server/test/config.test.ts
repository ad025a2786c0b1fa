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
      s3: { forcePathStyle: false },
      logLevel: false,
      predictionLog: true,
      workers: 1,
    });
    expect(c.s3.endpoint).toBeUndefined();
  });

  it('takes a PostgreSQL queue URI and a worker count, and refuses others', () => {
    const pg = 'postgresql://db/slipway?schema=queue';
    expect(loadConfig({}, { SLIPWAY_QUEUE_URI: pg, SLIPWAY_WORKERS: '0' }, '/h')).toMatchObject({
      queueUri: pg,
      workers: 0,
    });
    expect(loadConfig({ workers: 4 }, {}, '/h').workers).toBe(4);
    expect(() => loadConfig({ queueUri: 'redis://x' }, {}, '/h')).toThrow(/queue-uri/);
    for (const bad of ['-1', '65', '1.5', 'many']) {
      expect(() => loadConfig({ workers: bad }, {}, '/h'), bad).toThrow(/--workers/);
    }
  });

  it('turns the prediction log off by flag or env, and refuses other words', () => {
    expect(loadConfig({ predictionLog: 'off' }, {}, '/h').predictionLog).toBe(false);
    expect(loadConfig({}, { SLIPWAY_PREDICTION_LOG: 'false' }, '/h').predictionLog).toBe(false);
    expect(() => loadConfig({ predictionLog: 'maybe' }, {}, '/h')).toThrow(/prediction-log/);
  });

  it('takes a prediction log URI for DuckDB or PostgreSQL by flag or env, and refuses other schemes', () => {
    expect(loadConfig({}, {}, '/h')).not.toHaveProperty('predictionLogUri');
    const pg = 'postgresql://db/slipway?schema=log';
    expect(loadConfig({}, { SLIPWAY_PREDICTION_LOG_URI: pg }, '/h').predictionLogUri).toBe(pg);
    expect(loadConfig({ predictionLogUri: 'duckdb:/x.duckdb' }, {}, '/h').predictionLogUri).toBe(
      'duckdb:/x.duckdb',
    );
    expect(() => loadConfig({ predictionLogUri: 'clickhouse://x' }, {}, '/h')).toThrow(/prediction-log-uri/);
  });

  it('reads the prediction retention as a duration of at least an hour', () => {
    expect(loadConfig({}, {}, '/h')).not.toHaveProperty('predictionRetentionMs');
    expect(loadConfig({ predictionRetention: '90d' }, {}, '/h').predictionRetentionMs).toBe(90 * 86_400_000);
    expect(loadConfig({}, { SLIPWAY_PREDICTION_RETENTION: '12h' }, '/h').predictionRetentionMs).toBe(
      43_200_000,
    );
    for (const bad of ['30m', '1w', 'soon', '0']) {
      expect(() => loadConfig({ predictionRetention: bad }, {}, '/h'), bad).toThrow(/prediction-retention/);
    }
  });

  it('reads the DuckDB memory limits as sizes of at least 16 MB', () => {
    expect(loadConfig({}, {}, '/h')).not.toHaveProperty('predictionLogMemory');
    expect(loadConfig({}, {}, '/h')).not.toHaveProperty('batchMemory');
    expect(loadConfig({ predictionLogMemory: '64mb' }, {}, '/h').predictionLogMemory).toBe('64MB');
    expect(loadConfig({}, { SLIPWAY_BATCH_MEMORY: '2GB' }, '/h').batchMemory).toBe('2048MB');
    for (const bad of ['8MB', '1.5GB', '256', 'lots', '-64MB']) {
      expect(() => loadConfig({ batchMemory: bad }, {}, '/h'), bad).toThrow(/batch-memory/);
      expect(() => loadConfig({ predictionLogMemory: bad }, {}, '/h'), bad).toThrow(/prediction-log-memory/);
    }
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

  it('accepts an s3:// artifacts URI with or without a prefix', () => {
    expect(loadConfig({ artifactsUri: 's3://ml-artifacts' }, {}, '/h').artifactsUri).toBe(
      's3://ml-artifacts',
    );
    const env = { SLIPWAY_ARTIFACTS_URI: 's3://ml-artifacts/team/a' };
    expect(loadConfig({}, env, '/h').artifactsUri).toBe('s3://ml-artifacts/team/a');
  });

  it('reads the S3 settings from flags over env vars', () => {
    const env = { SLIPWAY_S3_ENDPOINT_URL: 'http://minio:9000', SLIPWAY_S3_FORCE_PATH_STYLE: 'true' };
    expect(loadConfig({}, env, '/h').s3).toEqual({ endpoint: 'http://minio:9000', forcePathStyle: true });
    const flags = { s3EndpointUrl: 'https://s3.example.com:8443/base', s3ForcePathStyle: false };
    expect(loadConfig(flags, env, '/h').s3).toEqual({
      endpoint: 'https://s3.example.com:8443/base',
      forcePathStyle: false,
    });
    expect(loadConfig({ s3ForcePathStyle: true }, {}, '/h').s3.forcePathStyle).toBe(true);
  });

  it.each([
    ['true', true],
    ['TRUE', true],
    ['1', true],
    ['yes', true],
    ['on', true],
    ['false', false],
    ['0', false],
    ['No', false],
    ['off', false],
  ])('reads SLIPWAY_S3_FORCE_PATH_STYLE=%s as %s', (raw, expected) => {
    expect(loadConfig({}, { SLIPWAY_S3_FORCE_PATH_STYLE: raw }, '/h').s3.forcePathStyle).toBe(expected);
  });

  it('ignores empty S3 env vars, as it does every other', () => {
    const env = { SLIPWAY_S3_ENDPOINT_URL: '', SLIPWAY_S3_FORCE_PATH_STYLE: '' };
    expect(loadConfig({}, env, '/h').s3).toEqual({ forcePathStyle: false });
  });

  it('does not echo a refused endpoint, which may carry a secret', () => {
    try {
      loadConfig({ s3EndpointUrl: 'http://AKIA:hunter2@minio:9000' }, {}, '/h');
      expect.unreachable();
    } catch (err) {
      expect((err as SlipwayError).details.field).toBe('s3-endpoint-url');
      expect((err as SlipwayError).message).not.toContain('hunter2');
    }
  });

  it.each([
    [{ port: 'abc' }, 'port'],
    [{ port: '70000' }, 'port'],
    [{ backendStoreUri: 'mysql://x' }, 'backend-store-uri'],
    [{ artifactsUri: 'ftp://x' }, 'artifacts-uri'],
    [{ logLevel: 'loud' }, 'log-level'],
    [{ artifactsUri: 's3://' }, 'artifacts-uri'],
    [{ artifactsUri: 's3://No_Such_Bucket/x' }, 'artifacts-uri'],
    [{ artifactsUri: 's3://bucket/../escape' }, 'artifacts-uri'],
    [{ s3EndpointUrl: 'minio:9000' }, 's3-endpoint-url'],
    [{ s3EndpointUrl: 'ftp://minio:9000' }, 's3-endpoint-url'],
    [{ s3EndpointUrl: 'not a url' }, 's3-endpoint-url'],
    [{ s3EndpointUrl: 'http://minio:9000/?x=1' }, 's3-endpoint-url'],
    [{ s3ForcePathStyle: 'maybe' }, 's3-force-path-style'],
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
