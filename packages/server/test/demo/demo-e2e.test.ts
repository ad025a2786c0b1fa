/**
 * `slipway demo --url` end to end against a real server process (the built `dist/main.js`), then
 * its outcome checked through the API rather than taken from what the demo printed: the gate
 * passed and moved the alias, every prediction and label reached the log, the drift alert fired
 * on the two columns the unit bug broke and on no other, and the challenger ran in shadow with
 * its own realized performance.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SlipwayClient } from '@slipway/sdk';
import type { DemoOutcome } from '../../src/demo/demo-story.js';
import { UNIT_BUG_COLUMNS } from '../../src/demo/credit-data.js';
import { runSlipway } from '../helpers/cli-runner.js';
import { startServerProcess, type ServerProcess } from '../helpers/server-process.js';

let server: ServerProcess;
let client: SlipwayClient;
let outcome: DemoOutcome;

beforeAll(async () => {
  server = await startServerProcess();
  client = new SlipwayClient({ url: server.url });
  const result = await runSlipway(['demo', '--url', server.url, '--name', 'loans', '--json'], {});
  if (result.code !== undefined)
    throw new Error(`demo failed (${result.code}): ${result.err}\n${server.stderr()}`);
  outcome = JSON.parse(result.out) as DemoOutcome;
}, 120_000);

afterAll(async () => {
  await server?.stop();
});

describe('slipway demo against a server process', () => {
  it('tracked training runs with loss curves and promoted the best model through its gate', async () => {
    expect(outcome.trainingRuns).toHaveLength(3);
    const curve = await client.runs.metricHistory(outcome.champion.runId, 'validation_loss').collect();
    expect(curve.length).toBeGreaterThan(50);
    expect(curve[curve.length - 1]?.value).toBeLessThan(curve[0]?.value ?? 0);

    const promotion = await client.evaluations.get(outcome.evaluations.promotion);
    expect(promotion.verdict?.passed).toBe(true);
    expect(promotion.promotion).toMatchObject({ alias: 'champion', version: '1', outcome: 'promoted' });
    expect(promotion.models.map((m) => [m.name, m.role])).toEqual([
      ['loans', 'candidate'],
      ['loans-rules', 'baseline'],
    ]);
    expect((await client.models.getByAlias('loans', 'champion')).version).toBe('1');
    const comparison = await client.evaluations.get(outcome.evaluations.comparison);
    expect(comparison.models.map((m) => m.name).sort()).toEqual(['loans', 'loans-constant', 'loans-rules']);
  });

  it('logged every replayed prediction with its simulated date, and every label joined', async () => {
    const [first] = (await client.predictions.query('loans', { arm: 'live', limit: 1 })).predictions;
    expect(first?.tags?.['simulated_date']).toMatch(/^2026-03-\d\d$/);
    expect(first?.label?.value).toSatisfy((v: unknown) => v === 0 || v === 1);
    const buckets = await client.predictions.aggregate('loans', {
      from: 0,
      to: Date.now() + 1,
      bucket: '30d',
      arm: 'live',
    });
    const served = buckets.reduce((n, b) => n + b.count, 0);
    const labelled = buckets.reduce((n, b) => n + b.labelled, 0);
    expect(served).toBe(outcome.traffic.predictions);
    expect(served).toBeGreaterThan(4000);
    expect(labelled).toBe(served);
    expect(outcome.traffic.labels).toBe(served);
  });

  it('fired the drift alert on the columns the unit bug broke, and only on those', async () => {
    const runs = await client.monitors.runs('loans-drift');
    expect(runs).toHaveLength(2);
    const [afterBug, beforeBug] = runs.sort((a, b) => b.startedAt - a.startedAt);
    const flagged = (run: typeof afterBug): string[] =>
      (run?.statistics ?? [])
        .filter((s) => s.check === 'drift' && s.flagged)
        .map((s) => s.column ?? '(dataset)')
        .sort();
    expect(flagged(beforeBug)).toEqual([]);
    expect(flagged(afterBug)).toEqual([...UNIT_BUG_COLUMNS].sort());
    const compared = new Set(afterBug?.statistics.filter((s) => s.check === 'drift').map((s) => s.column));
    expect(compared.size).toBeGreaterThanOrEqual(8);

    const alerts = await client.monitors.alerts({ monitor: 'loans-drift' });
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ state: 'firing', severity: 'critical', firedByRun: afterBug?.id });
    expect(alerts[0]?.evidence.map((s) => s.column).sort()).toEqual([...UNIT_BUG_COLUMNS].sort());
  });

  it('ran the retrained challenger in shadow, and its realized error is below the live one', async () => {
    const endpoint = await client.endpoints.get('loans');
    expect(endpoint.shadows).toEqual([{ name: 'loans', version: outcome.challenger.version }]);
    const challenger = await client.models.getVersion('loans', outcome.challenger.version);
    expect(challenger.runId).toBe(outcome.challenger.runId);
    const buckets = await client.predictions.aggregate('loans', {
      from: 0,
      to: Date.now() + 1,
      bucket: '30d',
      groupBy: ['arm'],
      predictionField: 'label',
    });
    const arm = (name: string): { labelled: number; errors: number } =>
      buckets
        .filter((b) => b.arm === name)
        .reduce(
          (acc, b) => ({
            labelled: acc.labelled + b.labelled,
            errors: acc.errors + (b.mae ?? 0) * b.labelled,
          }),
          {
            labelled: 0,
            errors: 0,
          },
        );
    const shadow = arm('shadow');
    expect(shadow.labelled).toBe(outcome.shadowComparison.shadow.labelled);
    expect(shadow.labelled).toBeGreaterThan(500);
    const { live, shadow: reported } = outcome.shadowComparison;
    expect(live.labelled).toBe(reported.labelled);
    expect(reported.errorRate).toBeLessThan(live.errorRate ?? 0);
    // Shadow rows are logged against the live prediction they shadow and share its label.
    const [shadowRecord] = (await client.predictions.query('loans', { arm: 'shadow', limit: 1 })).predictions;
    expect(shadowRecord?.shadowOf).toBeDefined();
    expect(shadowRecord?.modelVersion).toBe(outcome.challenger.version);
  });
});
