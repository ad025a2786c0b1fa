/**
 * `client.monitors` against a real platform on a socket with a real ONNX endpoint: a reference
 * profile uploaded, shifted traffic served, a monitor created and run (drift flagged on the shifted
 * column only), its series, an alert rule and the alert it fired, deletion, and refusals as typed
 * errors naming the field.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  InvalidArgumentError,
  NotFoundError,
  SlipwayClient,
  type CreateMonitorInput,
  type SlipwayApiError,
} from '@slipway/sdk';
import { LOGISTIC_AB_MANIFEST, logisticClassifierOnnx } from '../../server/test/helpers/onnx-models.js';
import { startTestPlatform, type TestPlatform } from '../../server/test/helpers/test-platform.js';

const ROWS = 200;

let platform: TestPlatform;
let client: SlipwayClient;

/** A deterministic spread in [-1, 1): the i-th of n evenly spaced points, shuffled by a stride. */
function spread(i: number, n: number): number {
  return (((i * 7919) % n) / n) * 2 - 1;
}

async function caught(promise: Promise<unknown>): Promise<SlipwayApiError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (error === undefined) throw new Error('expected the call to fail');
  return error as SlipwayApiError;
}

const MONITOR: CreateMonitorInput = {
  name: 'fraud-drift',
  endpoint: 'fraud',
  reference: { model: 'fraud', version: '1' },
  checks: { drift: {}, service: { minRequests: 1 } },
  window: { kind: 'rolling', durationMs: 3_600_000 },
};

beforeAll(async () => {
  platform = await startTestPlatform({ listen: true });
  client = new SlipwayClient({ url: platform.url });
  const run = await client.runs.create({ experimentId: '0' });
  const runId = run.info.runId;
  await client.artifacts.upload(runId, 'model/slipway.yaml', new TextEncoder().encode(LOGISTIC_AB_MANIFEST));
  await client.artifacts.upload(runId, 'model/model.onnx', logisticClassifierOnnx([1, -1], 0));
  await client.models.register({ name: 'fraud', source: `runs:/${runId}/model`, runId });
  await client.endpoints.create({ name: 'fraud', model: { name: 'fraud', version: '1' } });
});
afterAll(async () => {
  await platform?.close();
});

describe('client.monitors', () => {
  it('uploads a reference profile and reads it back', async () => {
    const rows = Array.from({ length: ROWS }, (_, i) => ({ a: spread(i, ROWS), b: spread(i + 1, ROWS) }));
    const uploaded = await client.monitors.putReferenceProfile('fraud', '1', rows);
    expect(uploaded).toMatchObject({ model: 'fraud', version: '1', source: 'upload' });
    expect(uploaded.profile.rowCount).toBe(ROWS);
    expect(Object.keys(uploaded.profile.columns).sort()).toEqual(['a', 'b']);
    expect(uploaded.profile.columns['b']).toMatchObject({ kind: 'numeric', count: ROWS, missing: 0 });
    expect(await client.monitors.referenceProfile('fraud', '1')).toEqual(uploaded);
  });

  it('creates and runs a monitor: drift on the shifted column, its series, a rule and its alert', async () => {
    // Live traffic: `a` as in the reference, `b` shifted by +3.
    const live = Array.from({ length: ROWS }, (_, i) => ({ a: spread(i + 3, ROWS), b: spread(i, ROWS) + 3 }));
    await client.endpoints.predict('fraud', live);
    await expect
      .poll(async () => (await client.predictions.query('fraud', { limit: 1000 })).predictions.length, {
        timeout: 15_000,
        interval: 100,
      })
      .toBe(ROWS);

    const monitor = await client.monitors.create(MONITOR);
    expect(monitor).toMatchObject({ ...MONITOR, id: expect.stringMatching(/^mon_/) });
    expect(await client.monitors.get('fraud-drift')).toEqual(monitor);
    expect(await client.monitors.get(monitor.id)).toEqual(monitor);
    expect((await client.monitors.list({ endpoint: 'fraud' })).map((m) => m.name)).toEqual(['fraud-drift']);
    expect(await client.monitors.list({ endpoint: 'elsewhere' })).toEqual([]);

    const rule = await client.monitors.addRule('fraud-drift', {
      name: 'ks-drift',
      severity: 'critical',
      match: { check: 'drift', name: 'ks' },
      cooldownMs: 0,
    });
    expect(rule).toEqual({
      id: expect.stringMatching(/^rule_/),
      monitorId: monitor.id,
      name: 'ks-drift',
      severity: 'critical',
      match: { check: 'drift', name: 'ks' },
      cooldownMs: 0,
      channels: [{ kind: 'log' }],
    });
    expect(await client.monitors.rules(monitor.id)).toEqual([rule]);

    const run = await client.monitors.run('fraud-drift');
    expect(run).toMatchObject({ monitorId: monitor.id, state: 'succeeded', rows: ROWS });
    const ks = new Map(
      run.statistics.filter((s) => s.check === 'drift' && s.name === 'ks').map((s) => [s.column, s]),
    );
    expect(ks.get('a')?.flagged).toBe(false);
    // Reference [-1, 1) against [2, 4): no value in common, so the KS distance is 1.
    expect(ks.get('b')).toMatchObject({ value: 1, flagged: true });
    expect(run.statistics.find((s) => s.name === 'error_rate')).toMatchObject({ value: 0, flagged: false });

    expect(await client.monitors.getRun(run.id)).toEqual(run);
    expect((await client.monitors.runs('fraud-drift', { limit: 5 })).map((r) => r.id)).toEqual([run.id]);
    expect(await client.monitors.runs('fraud-drift', { before: new Date(run.startedAt) })).toEqual([]);

    const points = await client.monitors.series('fraud-drift', { name: 'ks', column: 'b', check: 'drift' });
    expect(points).toEqual([{ runId: run.id, at: run.to, value: 1, flagged: true }]);
    expect(await client.monitors.series('fraud-drift', { name: 'ks', column: 'b', to: run.to - 1 })).toEqual(
      [],
    );

    const firing = await client.monitors.alerts({ monitor: 'fraud-drift', state: 'firing' });
    expect(firing).toHaveLength(1);
    expect(firing[0]).toMatchObject({
      ruleId: rule.id,
      monitorId: monitor.id,
      severity: 'critical',
      state: 'firing',
      firedByRun: run.id,
    });
    expect(firing[0]?.evidence.map((s) => [s.column, s.name, s.value])).toEqual([['b', 'ks', 1]]);
    expect(await client.monitors.alerts({ state: 'resolved' })).toEqual([]);
    expect((await client.monitors.alerts({ limit: 1 })).map((a) => a.id)).toEqual([firing[0]?.id]);

    await client.monitors.deleteRule(rule.id);
    expect(await client.monitors.rules('fraud-drift')).toEqual([]);
    expect(await client.monitors.alerts({ monitor: 'fraud-drift' })).toEqual([]);
    await client.monitors.delete('fraud-drift');
    expect(await client.monitors.list()).toEqual([]);
  });

  it('refuses unknown names and bad input with typed errors naming the field', async () => {
    const missing = await caught(client.monitors.get('nope'));
    expect(missing).toBeInstanceOf(NotFoundError);
    expect(missing.details.field).toBe('monitor');
    expect(await caught(client.monitors.run('nope'))).toBeInstanceOf(NotFoundError);
    expect(await caught(client.monitors.getRun('run_nope'))).toBeInstanceOf(NotFoundError);
    const noProfile = await caught(client.monitors.referenceProfile('fraud', '9'));
    expect(noProfile).toBeInstanceOf(NotFoundError);
    expect(noProfile.details.field).toBe('version');
    expect(await caught(client.monitors.create({ ...MONITOR, endpoint: 'nope' }))).toBeInstanceOf(
      NotFoundError,
    );

    const refusals: [() => Promise<unknown>, string][] = [
      [() => client.monitors.create({ ...MONITOR, name: 'bad name!' }), 'name'],
      [() => client.monitors.create({ ...MONITOR, checks: {} }), 'checks'],
      [
        () => client.monitors.create({ ...MONITOR, window: { kind: 'rolling', durationMs: 5 } }),
        'window.durationMs',
      ],
      [() => client.monitors.create({ ...MONITOR, schedule: { intervalMs: 10 } }), 'schedule.intervalMs'],
      [() => client.monitors.putReferenceProfile('fraud', '1', []), 'rows'],
      [() => client.monitors.alerts({ limit: 0 }), 'limit'],
    ];
    // Thunks: a promise made early would reject before its turn comes, unhandled.
    for (const [call, field] of refusals) {
      const error = await caught(call());
      expect(error, field).toBeInstanceOf(InvalidArgumentError);
      expect(error.details.field).toBe(field);
      expect(error.status).toBe(400);
    }

    await client.monitors.create({ ...MONITOR, name: 'm2' });
    const unnamed = await caught(client.monitors.series('m2', { name: '' }));
    expect(unnamed).toBeInstanceOf(InvalidArgumentError);
    expect(unnamed.details.field).toBe('name');
    const badRule = await caught(
      client.monitors.addRule('m2', { name: 'r', match: { check: 'drift' }, cooldownMs: -1 }),
    );
    expect(badRule.details.field).toBe('cooldownMs');
    // Checked before any request: an invalid Date cannot become a time.
    const badDate = await caught(client.monitors.runs('m2', { before: new Date(Number.NaN) }));
    expect(badDate).toBeInstanceOf(InvalidArgumentError);
    expect(badDate).toMatchObject({ status: 0, details: { field: 'before' } });
  });
});
