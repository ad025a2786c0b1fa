/**
 * Monitoring end to end on a real platform: a real ONNX endpoint serves traffic whose column `b`
 * has shifted from the reference profile while `a` has not; a monitor run over the prediction log
 * flags drift on `b` only, stores every statistic (with histograms as evidence), fires an alert
 * whose signed webhook reaches a real receiver, and the statistic's series shows the run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SlipwayClient } from '@slipway/sdk';
import type { Alert, Monitor, MonitorRun } from '@slipway/contracts';
import { verifyWebhookSignature } from '../../src/registry/webhook-signing.js';
import { nativeApi } from '../helpers/native-api.js';
import { LOGISTIC_AB_MANIFEST, logisticClassifierOnnx } from '../helpers/onnx-models.js';
import { startTestPlatform, type TestPlatform } from '../helpers/test-platform.js';
import { WebhookReceiver } from '../registry/webhook-receiver.js';

const SECRET = 'whsec_monitoring_e2e_secret';
const ROWS = 400;

let platform: TestPlatform;
let client: SlipwayClient;
let receiver: WebhookReceiver;
const api = nativeApi(() => platform.app);

/** A deterministic spread in [-1, 1): the i-th of n evenly spaced points, shuffled by a stride. */
function spread(i: number, n: number): number {
  return (((i * 7919) % n) / n) * 2 - 1;
}

beforeAll(async () => {
  platform = await startTestPlatform({ listen: true });
  client = new SlipwayClient({ url: platform.url });
  receiver = await WebhookReceiver.start();
  const run = await client.runs.create({ experimentId: '0' });
  const runId = run.info.runId;
  await client.artifacts.upload(runId, 'model/slipway.yaml', new TextEncoder().encode(LOGISTIC_AB_MANIFEST));
  await client.artifacts.upload(runId, 'model/model.onnx', logisticClassifierOnnx([1, -1], 0));
  await client.models.register({ name: 'fraud', source: `runs:/${runId}/model`, runId });
  await client.endpoints.create({ name: 'fraud', model: { name: 'fraud', version: '1' } });
});

afterAll(async () => {
  await receiver?.close();
  await platform?.close();
});

describe('a monitor over an endpoint', () => {
  it('flags the shifted column only, fires a signed alert with evidence, and records the series', async () => {
    const reference = Array.from({ length: ROWS }, (_, i) => ({
      a: spread(i, ROWS),
      b: spread(i + 1, ROWS),
    }));
    const uploaded = await api('POST', '/monitoring/reference-profiles', {
      model: 'fraud',
      version: '1',
      rows: reference,
    });
    expect(uploaded.status).toBe(201);

    // Live traffic: `a` as in the reference, `b` shifted by +3.
    const live = Array.from({ length: ROWS }, (_, i) => ({ a: spread(i + 3, ROWS), b: spread(i, ROWS) + 3 }));
    await client.endpoints.predict('fraud', live);
    const deadline = Date.now() + 15_000;
    while ((await client.predictions.query('fraud', { limit: 1000 })).predictions.length < ROWS) {
      if (Date.now() > deadline) throw new Error('predictions never reached the log');
      await new Promise((r) => setTimeout(r, 100));
    }

    const created = await api('POST', '/monitors', {
      name: 'fraud-drift',
      endpoint: 'fraud',
      reference: { model: 'fraud', version: '1' },
      checks: { drift: {}, dataQuality: {}, service: { minRequests: 1 } },
      window: { kind: 'rolling', durationMs: 3_600_000 },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const monitor = created.body['monitor'] as Monitor;
    const rule = await api('POST', `/monitors/${monitor.name}/rules`, {
      name: 'drift',
      severity: 'critical',
      match: { check: 'drift', name: 'ks' },
      cooldownMs: 0,
      channels: [{ kind: 'webhook', url: receiver.url, secret: SECRET }],
    });
    expect(rule.status, JSON.stringify(rule.body)).toBe(201);

    const ran = await api('POST', `/monitors/${monitor.id}/run`);
    expect(ran.status, JSON.stringify(ran.body)).toBe(200);
    const run = ran.body['run'] as MonitorRun;
    expect(run).toMatchObject({ state: 'succeeded', rows: ROWS });
    const ks = Object.fromEntries(
      run.statistics.filter((s) => s.check === 'drift' && s.name === 'ks').map((s) => [s.column, s]),
    );
    expect(ks['a']?.flagged).toBe(false);
    expect(ks['b']?.flagged).toBe(true);
    // Reference [-1, 1) against [2, 4): no value in common, so the KS distance is 1.
    expect(ks['b']?.value).toBe(1);
    expect(ks['b']?.details).toHaveProperty('pValue');
    // The strided reference rows are not autocorrelated, so no effective size is used for them. The
    // window's rows come in the log's order (one request's rows share a timestamp, then go by id),
    // so the current side's rho is whatever that order gives; only its pairs are fixed.
    expect(ks['b']?.details?.['autocorrelation']).toMatchObject({
      reference: { pairs: ROWS - 1, size: ROWS, effectiveSize: ROWS, adjusted: false },
      current: { pairs: ROWS - 1, size: ROWS },
    });
    const outOfRange = run.statistics.find((s) => s.name === 'out_of_range_share' && s.column === 'b');
    expect(outOfRange).toMatchObject({ value: 1, flagged: true });
    expect(run.statistics.find((s) => s.name === 'error_rate')).toMatchObject({ value: 0, flagged: false });

    const alerts = (await api('GET', `/alerts?monitor=${monitor.name}&state=firing`)).body[
      'alerts'
    ] as Alert[];
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ severity: 'critical', state: 'firing', firedByRun: run.id });
    expect(alerts[0]?.evidence.map((s) => s.column)).toEqual(['b']);
    await receiver.waitForRequests(1);
    const delivery = receiver.requests[0];
    expect(delivery?.headers['slipway-event']).toBe('alert.firing');
    const signature = String(delivery?.headers['slipway-signature'] ?? '');
    expect(verifyWebhookSignature(SECRET, signature, delivery?.body ?? '', Date.now())).toBe(true);
    expect(JSON.parse(delivery?.body ?? '{}')).toMatchObject({
      event: 'firing',
      alert: { id: alerts[0]?.id },
    });

    const series = await api('GET', `/monitors/${monitor.id}/series?name=ks&column=b`);
    expect(series.body['points']).toEqual([{ runId: run.id, at: run.to, value: 1, flagged: true }]);
    const runs = (await api('GET', `/monitors/${monitor.name}/runs`)).body['runs'] as MonitorRun[];
    expect(runs.map((r) => r.id)).toEqual([run.id]);

    // The same run as a job on the embedded runner's `monitors` queue: the alert stays one alert.
    const queued = await client.jobs.submitMonitorRun({ monitorId: monitor.name });
    const done = await client.jobs.wait(queued.id, { intervalMs: 50 });
    if (done.kind !== 'monitor_run') throw new Error(`unexpected kind ${done.kind}`);
    expect(done.state, JSON.stringify(done.error)).toBe('succeeded');
    expect(done.result).toMatchObject({
      state: 'succeeded',
      flagged: run.statistics.filter((s) => s.flagged).length,
    });
    const second = (await api('GET', `/monitor-runs/${done.result?.runId}`)).body['run'] as MonitorRun;
    expect(second).toMatchObject({ monitorId: monitor.id, state: 'succeeded', rows: ROWS });
    const firing = (await api('GET', `/alerts?monitor=${monitor.id}&state=firing`)).body['alerts'] as Alert[];
    expect(firing.map((a) => [a.id, a.lastRun])).toEqual([[alerts[0]?.id, second.id]]);
  });

  it('runs a scheduled monitor by itself through the job runner', async () => {
    const created = await api('POST', '/monitors', {
      name: 'fraud-service',
      endpoint: 'fraud',
      reference: { model: 'fraud', version: '1' },
      checks: { service: { minRequests: 1 } },
      window: { kind: 'rolling', durationMs: 3_600_000 },
      schedule: { intervalMs: 10_000 },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const monitor = created.body['monitor'] as Monitor;
    expect(monitor.nextRunAt).toBe(monitor.createdAt + 10_000);
    const deadline = Date.now() + 30_000;
    let runs: MonitorRun[] = [];
    while (runs.length === 0 || runs[0]?.state === 'running') {
      if (Date.now() > deadline) throw new Error('the scheduled monitor never ran');
      await new Promise((r) => setTimeout(r, 250));
      runs = (await api('GET', `/monitors/${monitor.id}/runs`)).body['runs'] as MonitorRun[];
    }
    expect(runs[0]).toMatchObject({ state: 'succeeded', rows: ROWS });
    expect(runs[0]?.statistics.find((s) => s.name === 'requests')).toMatchObject({
      value: ROWS,
      flagged: false,
    });
    // The run is stored as succeeded before its job is marked done, so wait for the job as well.
    const ranAsJob = async (): Promise<boolean> =>
      (await client.jobs.list({ kind: 'monitor_run', state: 'succeeded' })).jobs.some(
        (j) => j.kind === 'monitor_run' && j.payload.monitorId === monitor.id,
      );
    while (!(await ranAsJob())) {
      if (Date.now() > deadline) throw new Error('the scheduled run’s job never succeeded');
      await new Promise((r) => setTimeout(r, 250));
    }
  }, 60_000);

  it('refuses bad monitors and rules, naming the field', async () => {
    const base = {
      name: 'm2',
      endpoint: 'fraud',
      reference: { model: 'fraud', version: '1' },
      checks: { drift: {} },
      window: { kind: 'rolling', durationMs: 60_000 },
    };
    const cases: [Record<string, unknown>, number, string][] = [
      [{ ...base, name: 'bad name!' }, 400, 'name'],
      [{ ...base, endpoint: 'nope' }, 404, ''],
      [{ ...base, reference: { model: 'fraud', version: '9' } }, 404, ''],
      [{ ...base, checks: {} }, 400, 'checks'],
      [{ ...base, checks: { vibes: {} } }, 400, 'checks.vibes'],
      [{ ...base, window: { kind: 'rolling', durationMs: 5 } }, 400, 'window.durationMs'],
      [{ ...base, schedule: { intervalMs: 10 } }, 400, 'schedule.intervalMs'],
      [{ ...base, checks: { drift: { autocorrelation: 'sometimes' } } }, 400, 'checks.drift.autocorrelation'],
      [
        { ...base, checks: { drift: { perColumn: { a: { autocorrelation: 1 } } } } },
        400,
        'checks.drift.perColumn.a.autocorrelation',
      ],
    ];
    for (const [body, status, field] of cases) {
      const reply = await api('POST', '/monitors', body);
      expect(reply.status, JSON.stringify(body)).toBe(status);
      const details = (reply.body['error'] as { details?: { field?: string } }).details;
      if (field !== '') expect(details?.field).toBe(field);
    }
    const bad = await api('POST', '/monitors/fraud-drift/rules', {
      name: 'r',
      match: { check: 'drift' },
      channels: [{ kind: 'webhook', url: 'http://x\r\nInjected: 1' }],
    });
    expect(bad.status).toBe(400);
    expect((bad.body['error'] as { details?: { field?: string } }).details?.field).toBe('channels[0].url');
    expect((await api('GET', '/monitors/nope')).status).toBe(404);
  });

  it('compares the prediction field with its reference distribution', async () => {
    // The model's labels on the reference rows: label 1 when a > b (weights [1, -1]).
    const reference = Array.from({ length: ROWS }, (_, i) => {
      const row = { a: spread(i, ROWS), b: spread(i + 1, ROWS) };
      return { ...row, label: row.a > row.b ? 1 : 0 };
    });
    expect(
      (await api('POST', '/monitoring/reference-profiles', { model: 'fraud', version: '1', rows: reference }))
        .status,
    ).toBe(201);
    const created = await api('POST', '/monitors', {
      name: 'fraud-predictions',
      endpoint: 'fraud',
      reference: { model: 'fraud', version: '1' },
      checks: { drift: { columns: ['a'], predictionField: 'label' } },
      window: { kind: 'rolling', durationMs: 3_600_000 },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const run = (await api('POST', '/monitors/fraud-predictions/run')).body['run'] as MonitorRun;
    expect(run.state, JSON.stringify(run.error)).toBe('succeeded');
    const drift = Object.fromEntries(
      run.statistics.filter((s) => s.check === 'drift' && s.column).map((s) => [s.column, s]),
    );
    // Live `b` is shifted by +3, so a > b never holds: every live label is 0, against half in the reference.
    expect(drift['label']).toMatchObject({ flagged: true });
    expect(drift['a']).toMatchObject({ flagged: false });
  });

  it('passes the monitor’s autocorrelation setting to the drift check', async () => {
    const created = await api('POST', '/monitors', {
      name: 'fraud-independent',
      endpoint: 'fraud',
      reference: { model: 'fraud', version: '1' },
      checks: { drift: { columns: ['a'], autocorrelation: 'ignore' } },
      window: { kind: 'rolling', durationMs: 3_600_000 },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect((created.body['monitor'] as Monitor).checks.drift?.autocorrelation).toBe('ignore');
    const run = (await api('POST', '/monitors/fraud-independent/run')).body['run'] as MonitorRun;
    expect(run.state, JSON.stringify(run.error)).toBe('succeeded');
    const a = run.statistics.find((s) => s.column === 'a');
    expect(a?.name).toBe('ks');
    expect(a?.details).not.toHaveProperty('autocorrelation');
  });
});
