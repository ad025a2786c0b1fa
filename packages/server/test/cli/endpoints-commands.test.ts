/** `slipway endpoints ...` in-process against a test platform on a real socket, with real ONNX models. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Endpoint } from '@slipway/contracts';
import { SlipwayClient, type PredictResponse } from '@slipway/sdk';
import { runSlipway, type CliResult } from '../helpers/cli-runner.js';
import { LOGISTIC_AB_MANIFEST as MANIFEST, logisticClassifierOnnx } from '../helpers/onnx-models.js';
import { startTestPlatform, type TestPlatform } from '../helpers/test-platform.js';

let platform: TestPlatform;
let client: SlipwayClient;
let workDir: string;

async function registerVersion(weights: [number, number]): Promise<void> {
  const run = await client.runs.create({ experimentId: '0' });
  const runId = run.info.runId;
  await client.artifacts.upload(runId, 'model/slipway.yaml', new TextEncoder().encode(MANIFEST));
  await client.artifacts.upload(runId, 'model/model.onnx', logisticClassifierOnnx(weights, 0));
  await client.models.register({ name: 'fraud', source: `runs:/${runId}/model`, runId });
}

beforeAll(async () => {
  platform = await startTestPlatform({ listen: true });
  client = new SlipwayClient({ url: platform.url });
  workDir = await mkdtemp(join(tmpdir(), 'slipway-cli-endpoints-'));
  await registerVersion([2, -1]);
  await registerVersion([-1, 3]);
  await client.models.setAlias('fraud', 'champion', 1);
});
afterAll(async () => {
  await platform.close();
  await rm(workDir, { recursive: true, force: true });
});
afterEach(() => {
  vi.restoreAllMocks();
});

function cli(args: string[]): Promise<CliResult> {
  return runSlipway(args, { SLIPWAY_URL: platform.url, SLIPWAY_USER: 'cli-user' });
}

function json<T>(result: CliResult): T {
  expect(result.code, result.err).toBeUndefined();
  return JSON.parse(result.out) as T;
}

async function dataFile(name: string, body: unknown): Promise<string> {
  const path = join(workDir, name);
  await writeFile(path, JSON.stringify(body));
  return path;
}

describe('slipway endpoints', () => {
  it('create prints the endpoint; --json gives the API shape', async () => {
    const created = await cli([
      'endpoints',
      'create',
      'fraud',
      '--model',
      'fraud@champion',
      '--max-rows',
      '50',
      '--unknown-categories',
      'flag',
    ]);
    expect(created.code, created.err).toBeUndefined();
    expect(created.out).toContain('Created endpoint fraud.');
    expect(created.out).toMatch(/Model:\s+fraud@champion/);
    expect(created.out).toMatch(/Canary:\s+-/);
    expect(created.out).toMatch(/Created:.*by cli-user/);

    const shown = json<{ endpoint: Endpoint }>(await cli(['endpoints', 'show', 'fraud', '--json']));
    expect(shown.endpoint).toMatchObject({
      name: 'fraud',
      model: { name: 'fraud', alias: 'champion' },
      maxRows: 50,
      validation: { unknownCategories: 'flag' },
      createdBy: 'cli-user',
      revision: 1,
    });
  });

  it('create takes a canary, shadows and batching', async () => {
    const { endpoint } = json<{ endpoint: Endpoint }>(
      await cli([
        'endpoints',
        'create',
        'full',
        '--model',
        'fraud/1',
        '--canary',
        'fraud/2',
        '--canary-percent',
        '10',
        '--shadow',
        'fraud/2',
        '--batch-size',
        '64',
        '--batch-wait-ms',
        '5',
        '--json',
      ]),
    );
    expect(endpoint).toMatchObject({
      model: { name: 'fraud', version: '1' },
      canary: { model: { name: 'fraud', version: '2' }, percent: 10 },
      shadows: [{ name: 'fraud', version: '2' }],
      batching: { maxBatchSize: 64, maxWaitMs: 5 },
    });
    const shown = await cli(['endpoints', 'show', 'full']);
    expect(shown.out).toMatch(/Canary:\s+fraud\/2 \(10%\)/);
    expect(shown.out).toMatch(/Shadows:\s+fraud\/2/);
    expect(shown.out).toMatch(/Batching:\s+max 64 rows, wait 5ms/);
  });

  it('refuses a canary without a percent, a bad reference and a bad percent', async () => {
    const noPercent = await cli(['endpoints', 'create', 'x', '--model', 'fraud/1', '--canary', 'fraud/2']);
    expect(noPercent.code).toBe(1);
    expect(noPercent.err).toContain('--canary-percent');
    const badRef = await cli(['endpoints', 'create', 'x', '--model', 'fraud']);
    expect(badRef.code).toBe(1);
    expect(badRef.err).toContain('error INVALID_ARGUMENT (model)');
    const badPercent = await cli([
      'endpoints',
      'create',
      'x',
      '--model',
      'fraud/1',
      '--canary',
      'fraud/2',
      '--canary-percent',
      '150',
    ]);
    expect(badPercent.code).toBe(1);
    expect(badPercent.err).toContain('between 0 and 100');
    const missing = await cli(['endpoints', 'show', 'x']);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('error NOT_FOUND');
  });

  it('list shows a table, or JSON', async () => {
    const table = await cli(['endpoints', 'list']);
    expect(table.code, table.err).toBeUndefined();
    const lines = table.out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+MODEL\s+CANARY\s+SHADOWS\s+REVISION\s+UPDATED$/);
    expect(lines.some((l) => /^fraud\s+fraud@champion\s+-\s+-\s+1\s/.test(l))).toBe(true);
    expect(lines.some((l) => /^full\s+fraud\/1\s+fraud\/2 \(10%\)\s+fraud\/2\s+1\s/.test(l))).toBe(true);
    const listed = json<{ endpoints: Endpoint[] }>(await cli(['endpoints', 'list', '--json']));
    expect(listed.endpoints.map((e) => e.name)).toEqual(['fraud', 'full']);
  });

  it('update: canary in, percent alone, rollback with --no-canary; shadows and batching off', async () => {
    const canary = json<{ endpoint: Endpoint }>(
      await cli(['endpoints', 'update', 'fraud', '--canary', 'fraud/2', '--canary-percent', '20', '--json']),
    );
    expect(canary.endpoint).toMatchObject({ revision: 2, canary: { model: { version: '2' }, percent: 20 } });

    // --canary-percent alone keeps the stored canary model.
    const percent = await cli(['endpoints', 'update', 'fraud', '--canary-percent', '100']);
    expect(percent.code, percent.err).toBeUndefined();
    expect(percent.out).toContain('Updated endpoint fraud (revision 3).');
    expect(percent.out).toMatch(/Canary:\s+fraud\/2 \(100%\)/);

    const file = await dataFile('one.json', { instances: [{ a: 1, b: 0 }] });
    const toCanary = json<PredictResponse>(await cli(['endpoints', 'predict', 'fraud', '--data', file]));
    expect(toCanary).toMatchObject({ arm: 'canary', model_version: '2' });

    const rollback = json<{ endpoint: Endpoint }>(
      await cli(['endpoints', 'update', 'fraud', '--no-canary', '--json']),
    );
    expect(rollback.endpoint.canary).toBeUndefined();
    expect(rollback.endpoint.model).toEqual({ name: 'fraud', alias: 'champion' });
    const toLive = json<PredictResponse>(await cli(['endpoints', 'predict', 'fraud', '--data', file]));
    expect(toLive).toMatchObject({ arm: 'live', model_version: '1' });

    const off = json<{ endpoint: Endpoint }>(
      await cli([
        'endpoints',
        'update',
        'full',
        '--no-shadows',
        '--no-batching',
        '--model',
        'fraud/2',
        '--json',
      ]),
    );
    expect(off.endpoint.shadows).toEqual([]);
    expect(off.endpoint.batching).toEqual({ enabled: false });
    expect(off.endpoint.model).toEqual({ name: 'fraud', version: '2' });

    // --batch-wait-ms alone keeps the stored batch size.
    await cli(['endpoints', 'update', 'full', '--batch-size', '8']);
    const wait = json<{ endpoint: Endpoint }>(
      await cli(['endpoints', 'update', 'full', '--batch-wait-ms', '2', '--json']),
    );
    expect(wait.endpoint.batching).toEqual({ maxBatchSize: 8, maxWaitMs: 2 });
  });

  it('update refuses nothing to do, a percent without any canary, and conflicting flags', async () => {
    const nothing = await cli(['endpoints', 'update', 'fraud']);
    expect(nothing.code).toBe(1);
    expect(nothing.err).toContain('nothing to update');
    const noCanary = await cli(['endpoints', 'update', 'fraud', '--canary-percent', '5']);
    expect(noCanary.code).toBe(1);
    expect(noCanary.err).toContain('error INVALID_ARGUMENT (canary)');
    const conflict = await cli(['endpoints', 'update', 'fraud', '--no-canary', '--canary-percent', '5']);
    expect(conflict.code).toBe(1);
    expect(conflict.err).toContain('cannot be used with');
  });

  it('predict takes rows, columns or a bare list, and a routing key', async () => {
    const rows = json<PredictResponse>(
      await cli([
        'endpoints',
        'predict',
        'fraud',
        '--data',
        await dataFile('rows.json', {
          instances: [
            { a: 1, b: 0 },
            { a: -1, b: 0 },
          ],
        }),
      ]),
    );
    expect(rows).toMatchObject({ endpoint: 'fraud', model_name: 'fraud', model_version: '1', arm: 'live' });
    expect(rows.prediction_ids).toHaveLength(2);
    expect(rows.predictions.map((p) => p['label'])).toEqual([1, 0]);

    const columns = json<PredictResponse>(
      await cli([
        'endpoints',
        'predict',
        'fraud',
        '--data',
        await dataFile('cols.json', { inputs: { a: [1], b: [0] }, routing_key: 'k' }),
      ]),
    );
    expect(columns.predictions.map((p) => p['label'])).toEqual([1]);

    const bare = json<PredictResponse>(
      await cli([
        'endpoints',
        'predict',
        'fraud',
        '--routing-key',
        'user-7',
        '--data',
        await dataFile('bare.json', [{ a: -1, b: 0 }]),
      ]),
    );
    expect(bare.predictions.map((p) => p['label'])).toEqual([0]);
  });

  it('predict reports refusals with the field, and bad data files', async () => {
    const refused = await cli([
      'endpoints',
      'predict',
      'fraud',
      '--data',
      await dataFile('bad.json', { instances: [{ a: 'x', b: 0 }] }),
    ]);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/error INVALID_ARGUMENT \(instances\[0\]\.a\)/);
    const notJson = join(workDir, 'not.json');
    await writeFile(notJson, '{');
    const broken = await cli(['endpoints', 'predict', 'fraud', '--data', notJson]);
    expect(broken.code).toBe(1);
    expect(broken.err).toContain('error INVALID_ARGUMENT (data)');
    const extra = await cli([
      'endpoints',
      'predict',
      'fraud',
      '--data',
      await dataFile('extra.json', { instances: [], rows: [] }),
    ]);
    expect(extra.code).toBe(1);
    expect(extra.err).toContain("unexpected field 'rows'");
  });

  it('delete removes the endpoint', async () => {
    const deleted = await cli(['endpoints', 'delete', 'full']);
    expect(deleted.code, deleted.err).toBeUndefined();
    expect(deleted.out).toBe('Deleted endpoint full.\n');
    const again = await cli(['endpoints', 'delete', 'full']);
    expect(again.code).toBe(1);
    expect(again.err).toContain('error NOT_FOUND');
    const listed = json<{ endpoints: Endpoint[] }>(await cli(['endpoints', 'list', '--json']));
    expect(listed.endpoints.map((e) => e.name)).toEqual(['fraud']);
  });
});
