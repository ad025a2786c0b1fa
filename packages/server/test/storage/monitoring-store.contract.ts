/**
 * The monitoring store contract: every MonitoringStore implementation must pass it. Each test gets a
 * fresh database; the clock is the time every call takes, so nothing sleeps.
 */
import type { Alert, AlertRule, Monitor, MonitorStatistic } from '@slipway/contracts';
import { beforeEach, describe, expect, test } from 'vitest';
import type {
  MonitoringStore,
  MonitorRunOutcome,
  ReferenceProfile,
} from '../../src/monitoring/monitoring-store.js';
import { profileColumns } from '../../src/monitoring/profile.js';
import { expectError } from './contract/harness.js';
import { useFreshStore, type StoreFactory, type StoreFixture as Fixture } from './store-fixture.js';

/** What the monitoring store contract needs from an implementation. */
export type MonitoringStoreFactory = StoreFactory<MonitoringStore>;
type StoreFixture = Fixture<MonitoringStore>;

const HOUR = 3_600_000;

/** A drift monitor on endpoint `fraud`, created at 1 000, scheduled hourly unless told otherwise. */
function monitor(id: string, overrides: Partial<Monitor> = {}): Monitor {
  return {
    id,
    name: `monitor-${id}`,
    endpoint: 'fraud',
    reference: { model: 'fraud', version: '3' },
    checks: {
      drift: { columns: ['amount', 'région'], perColumn: { amount: { method: 'psi', threshold: 0.2 } } },
    },
    window: { kind: 'rolling', durationMs: HOUR },
    schedule: { intervalMs: HOUR },
    createdAt: 1_000,
    updatedAt: 1_000,
    ...overrides,
  };
}

function unscheduled(id: string, overrides: Partial<Monitor> = {}): Monitor {
  const { schedule: _none, ...rest } = monitor(id, overrides);
  return rest;
}

function stat(overrides: Partial<MonitorStatistic> = {}): MonitorStatistic {
  return {
    check: 'drift',
    column: 'amount',
    name: 'psi',
    value: 0.05,
    threshold: 0.2,
    flagged: false,
    ...overrides,
  };
}

const STATISTICS: MonitorStatistic[] = [
  stat({ details: { reference: [0.25, 0.75], current: [0.3, 0.7] } }),
  stat({ column: 'région', name: 'jensen_shannon', value: 0.31, threshold: 0.1, flagged: true }),
  { check: 'drift', name: 'dataset_drift_share', value: 0.5, threshold: 0.5, flagged: true },
  { check: 'data_quality', column: 'amount', name: 'missing_share', value: 0.01, flagged: false },
];

function succeeded(statistics: MonitorStatistic[], finishedAt: number, rows = 500): MonitorRunOutcome {
  return { state: 'succeeded', statistics, rows, finishedAt };
}

/** Starts and finishes a run of `monitorId` over (to − HOUR, to], started at `to`. */
async function recordRun(
  store: MonitoringStore,
  monitorId: string,
  id: string,
  to: number,
  statistics: MonitorStatistic[] = STATISTICS,
): Promise<void> {
  await store.startRun({ id, monitorId, from: to - HOUR, to, startedAt: to });
  await store.finishRun(id, succeeded(statistics, to + 10));
}

function rule(id: string, monitorId: string, overrides: Partial<AlertRule> = {}): AlertRule {
  return {
    id,
    monitorId,
    name: `rule-${id}`,
    severity: 'warning',
    match: { check: 'drift', name: 'psi', column: 'amount' },
    cooldownMs: 600_000,
    channels: [{ kind: 'webhook', url: 'https://hooks.example/x', secret: 's3cret' }, { kind: 'log' }],
    ...overrides,
  };
}

function alert(id: string, ruleId: string, monitorId: string, overrides: Partial<Alert> = {}): Alert {
  return {
    id,
    ruleId,
    monitorId,
    severity: 'warning',
    state: 'firing',
    firedAt: 5_000,
    firedByRun: 'r1',
    lastRun: 'r1',
    evidence: [STATISTICS[1] as MonitorStatistic],
    ...overrides,
  };
}

/** Registers the whole monitoring store contract for `factory`. */
export function monitoringStoreContract(factory: MonitoringStoreFactory): void {
  describe(`MonitoringStore contract (${factory.name})`, () => {
    const fx = useFreshStore(factory);
    monitors(fx);
    scheduling(fx, factory);
    runs(fx);
    series(fx);
    alertRules(fx);
    alerts(fx, factory);
    referenceProfiles(fx);
  });
}

function monitors(fx: StoreFixture): void {
  describe('monitors', () => {
    test('a created monitor reads back whole, by id and by name, with its first run an interval away', async () => {
      await fx.store.createMonitor(monitor('m1'));
      const expected = { ...monitor('m1'), nextRunAt: 1_000 + HOUR };
      expect(await fx.store.getMonitor('m1')).toStrictEqual(expected);
      expect(await fx.store.getMonitorByName('monitor-m1')).toStrictEqual(expected);
      expect(await fx.store.getMonitor('nope')).toBeUndefined();
      expect(await fx.store.getMonitorByName('nope')).toBeUndefined();
    });

    test('a monitor without a schedule has no next run; nextRunAt given on create is ignored', async () => {
      await fx.store.createMonitor({ ...unscheduled('m1'), nextRunAt: 5 });
      expect(await fx.store.getMonitor('m1')).toStrictEqual(unscheduled('m1'));
    });

    test('a taken name or id is ALREADY_EXISTS naming the field', async () => {
      await fx.store.createMonitor(monitor('m1'));
      await expectError(
        fx.store.createMonitor(monitor('m2', { name: 'monitor-m1' })),
        'ALREADY_EXISTS',
        'name',
      );
      await expectError(fx.store.createMonitor(monitor('m1', { name: 'other' })), 'ALREADY_EXISTS', 'id');
      expect((await fx.store.listMonitors()).map((m) => m.id)).toStrictEqual(['m1']);
    });

    test('a non-positive interval is INVALID_ARGUMENT', async () => {
      await expectError(
        fx.store.createMonitor(monitor('m1', { schedule: { intervalMs: 0 } })),
        'INVALID_ARGUMENT',
        'schedule.intervalMs',
      );
    });

    test('listing is by name in code-point order, optionally of one endpoint', async () => {
      await fx.store.createMonitor(monitor('m1', { name: 'b' }));
      await fx.store.createMonitor(monitor('m2', { name: 'B', endpoint: 'churn' }));
      await fx.store.createMonitor(monitor('m3', { name: 'a' }));
      expect((await fx.store.listMonitors()).map((m) => m.name)).toStrictEqual(['B', 'a', 'b']);
      expect((await fx.store.listMonitors({ endpoint: 'fraud' })).map((m) => m.id)).toStrictEqual([
        'm3',
        'm1',
      ]);
      expect(await fx.store.listMonitors({ endpoint: 'none' })).toStrictEqual([]);
    });

    test('update is compare-and-set on updatedAt: of two updates from one read, one wins', async () => {
      await fx.store.createMonitor(monitor('m1'));
      const first = monitor('m1', { endpoint: 'fraud-v2', updatedAt: 2_000 });
      const second = monitor('m1', { endpoint: 'fraud-v3', updatedAt: 2_001 });
      expect(await fx.store.updateMonitor(first, 1_000)).toBe(true);
      expect(await fx.store.updateMonitor(second, 1_000)).toBe(false);
      expect(await fx.store.getMonitor('m1')).toStrictEqual({ ...first, nextRunAt: 1_000 + HOUR });
      expect((await fx.store.listMonitors({ endpoint: 'fraud-v2' })).map((m) => m.id)).toStrictEqual(['m1']);
    });

    test('update needs a later updatedAt, a free name and an existing monitor', async () => {
      await fx.store.createMonitor(monitor('m1'));
      await fx.store.createMonitor(monitor('m2'));
      await expectError(fx.store.updateMonitor(monitor('m1'), 1_000), 'INVALID_ARGUMENT', 'updatedAt');
      await expectError(
        fx.store.updateMonitor(monitor('m1', { name: 'monitor-m2', updatedAt: 2_000 }), 1_000),
        'ALREADY_EXISTS',
        'name',
      );
      await expectError(
        fx.store.updateMonitor(monitor('gone', { updatedAt: 2_000 }), 1_000),
        'NOT_FOUND',
        'id',
      );
      expect(await fx.store.updateMonitor(monitor('m1', { name: 'renamed', updatedAt: 2_000 }), 1_000)).toBe(
        true,
      );
      expect((await fx.store.getMonitorByName('renamed'))?.id).toBe('m1');
      expect(await fx.store.getMonitorByName('monitor-m1')).toBeUndefined();
    });

    test('a changed interval reschedules from the update; removing the schedule clears it', async () => {
      await fx.store.createMonitor(monitor('m1'));
      await fx.store.updateMonitor(
        monitor('m1', { updatedAt: 2_000, schedule: { intervalMs: 60_000 } }),
        1_000,
      );
      expect((await fx.store.getMonitor('m1'))?.nextRunAt).toBe(62_000);
      await fx.store.updateMonitor(unscheduled('m1', { updatedAt: 3_000 }), 2_000);
      expect((await fx.store.getMonitor('m1'))?.nextRunAt).toBeUndefined();
      expect(await fx.store.dueMonitors(10 * HOUR)).toStrictEqual([]);
      await fx.store.updateMonitor(monitor('m1', { updatedAt: 4_000 }), 3_000);
      expect((await fx.store.getMonitor('m1'))?.nextRunAt).toBe(4_000 + HOUR);
    });

    test('delete cascades to runs, statistics, rules and alerts, and leaves other monitors alone', async () => {
      await fx.store.createMonitor(monitor('m1'));
      await fx.store.createMonitor(monitor('m2'));
      for (const id of ['m1', 'm2']) {
        await recordRun(fx.store, id, `${id}-r1`, 10_000);
        await fx.store.createAlertRule(rule(`${id}-rule`, id));
        await fx.store.openAlert(alert(`${id}-a`, `${id}-rule`, id, { firedByRun: `${id}-r1` }));
      }
      await fx.store.deleteMonitor('m1');
      expect(await fx.store.getMonitor('m1')).toBeUndefined();
      expect(await fx.store.getRun('m1-r1')).toBeUndefined();
      expect(await fx.store.listRuns('m1', { limit: 10 })).toStrictEqual([]);
      expect(await fx.store.statisticSeries('m1', { name: 'psi', column: 'amount' })).toStrictEqual([]);
      expect(await fx.store.getAlertRule('m1-rule')).toBeUndefined();
      expect(await fx.store.getAlert('m1-a')).toBeUndefined();
      expect((await fx.store.listAlerts({ limit: 10 })).map((a) => a.id)).toStrictEqual(['m2-a']);
      expect((await fx.store.getRun('m2-r1'))?.statistics).toHaveLength(4);
      expect((await fx.store.listAlertRules('m2')).map((r) => r.id)).toStrictEqual(['m2-rule']);
      await expectError(fx.store.deleteMonitor('m1'), 'NOT_FOUND', 'id');
      // The name is free again.
      await fx.store.createMonitor(monitor('m3', { name: 'monitor-m1' }));
    });

    test('deleting a monitor while another store writes under it: the cascade wins or the write is NOT_FOUND', async () => {
      const other = await fx.another();
      for (let round = 0; round < 10; round++) {
        const id = `m${round}`;
        await fx.store.createMonitor(monitor(id));
        await fx.store.startRun({ id: `${id}-r0`, monitorId: id, from: 0, to: 1_000, startedAt: 1_000 });
        await fx.store.createAlertRule(rule(`${id}-k`, id));
        const [deleted, ...writes] = await Promise.allSettled([
          fx.store.deleteMonitor(id),
          other.startRun({ id: `${id}-r1`, monitorId: id, from: 0, to: 1_000, startedAt: 1_000 }),
          other.finishRun(`${id}-r0`, succeeded(STATISTICS, 2_000)),
          other.openAlert(alert(`${id}-a`, `${id}-k`, id)),
        ]);
        expect(deleted.status).toBe('fulfilled');
        for (const write of writes) {
          if (write.status === 'rejected') expect(write.reason).toMatchObject({ code: 'NOT_FOUND' });
        }
        expect(await fx.store.getRun(`${id}-r1`)).toBeUndefined();
        expect(await fx.store.getRun(`${id}-r0`)).toBeUndefined();
        expect(await fx.store.getAlert(`${id}-a`)).toBeUndefined();
        expect(await fx.store.statisticSeries(id, { name: 'psi', column: 'amount' })).toStrictEqual([]);
      }
    });
  });
}

function scheduling(fx: StoreFixture, factory: MonitoringStoreFactory): void {
  describe('scheduling', () => {
    test('due monitors are those whose next run has come, most overdue first', async () => {
      await fx.store.createMonitor(monitor('m1', { createdAt: 3_000 }));
      await fx.store.createMonitor(monitor('m2', { createdAt: 1_000 }));
      await fx.store.createMonitor(monitor('m3', { createdAt: 9_000 }));
      await fx.store.createMonitor(unscheduled('m4'));
      expect((await fx.store.dueMonitors(HOUR + 999)).map((m) => m.id)).toStrictEqual([]);
      expect((await fx.store.dueMonitors(HOUR + 3_000)).map((m) => m.id)).toStrictEqual(['m2', 'm1']);
      expect((await fx.store.dueMonitors(2 * HOUR)).map((m) => m.id)).toStrictEqual(['m2', 'm1', 'm3']);
      expect((await fx.store.dueMonitors(2 * HOUR, 1)).map((m) => m.id)).toStrictEqual(['m2']);
      await expectError(fx.store.dueMonitors(2 * HOUR, 0), 'INVALID_ARGUMENT', 'limit');
    });

    test('a claim leases the monitor: not due again until the lease lapses', async () => {
      await fx.store.createMonitor(monitor('m1'));
      const now = 1_000 + HOUR;
      const [claimed] = await fx.store.claimDue(now, 60_000);
      expect(claimed).toStrictEqual({ ...monitor('m1'), nextRunAt: now + 60_000 });
      expect(await fx.store.claimDue(now + 59_999, 60_000)).toStrictEqual([]);
      expect(await fx.store.dueMonitors(now + 59_999)).toStrictEqual([]);
      expect((await fx.store.claimDue(now + 60_000, 60_000)).map((m) => m.nextRunAt)).toStrictEqual([
        now + 120_000,
      ]);
      await expectError(fx.store.claimDue(now, 0), 'INVALID_ARGUMENT', 'leaseMs');
    });

    test('claims take up to `limit` monitors in due order', async () => {
      for (const [id, createdAt] of [
        ['m1', 3_000],
        ['m2', 1_000],
        ['m3', 2_000],
      ] as const) {
        await fx.store.createMonitor(monitor(id, { createdAt }));
      }
      const now = 2 * HOUR;
      expect((await fx.store.claimDue(now, 1_000, 2)).map((m) => m.id)).toStrictEqual(['m2', 'm3']);
      expect((await fx.store.claimDue(now, 1_000, 2)).map((m) => m.id)).toStrictEqual(['m1']);
    });

    test('reschedule is compare-and-set on the lease: a stale claimer changes nothing', async () => {
      await fx.store.createMonitor(monitor('m1'));
      const now = 1_000 + HOUR;
      const [first] = await fx.store.claimDue(now, 60_000);
      // The first claimer's lease lapsed; a second one took over.
      const [second] = await fx.store.claimDue(now + 60_000, 60_000);
      expect(await fx.store.rescheduleMonitor('m1', now + HOUR, first?.nextRunAt ?? 0)).toBe(false);
      expect(await fx.store.rescheduleMonitor('m1', now + 60_000 + HOUR, second?.nextRunAt ?? 0)).toBe(true);
      expect((await fx.store.getMonitor('m1'))?.nextRunAt).toBe(now + 60_000 + HOUR);
      expect(await fx.store.rescheduleMonitor('gone', 1, 1)).toBe(false);
    });

    test('two stores claiming at once: each due monitor goes to exactly one of them', async () => {
      const other = await fx.another();
      const rounds = factory.parallelWriters ? 40 : 5;
      for (let round = 0; round < rounds; round++) {
        const now = (round + 1) * 10 * HOUR;
        await fx.store.createMonitor(monitor(`m${round}`, { createdAt: now - HOUR }));
        // The lease outlasts the test, so only this round's monitor is due.
        const lease = 1_000 * HOUR;
        const [a, b] = await Promise.all([fx.store.claimDue(now, lease, 5), other.claimDue(now, lease, 5)]);
        const ids = [...(a ?? []), ...(b ?? [])].map((m) => m.id);
        expect(ids).toStrictEqual([`m${round}`]);
      }
    });

    test('many due monitors claimed concurrently: none twice, none missed', async () => {
      const other = await fx.another();
      for (let i = 0; i < 20; i++) await fx.store.createMonitor(monitor(`m${String(i).padStart(2, '0')}`));
      const now = 2 * HOUR;
      const batches = await Promise.all(
        Array.from({ length: 8 }, (_, i) => (i % 2 === 0 ? fx.store : other).claimDue(now, 60_000, 3)),
      );
      const ids = batches.flat().map((m) => m.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids).toHaveLength(20);
    });
  });
}

function runs(fx: StoreFixture): void {
  describe('runs', () => {
    beforeEach(async () => {
      await fx.store.createMonitor(monitor('m1'));
    });

    test('a started run is running with no statistics; finishing stores them in order', async () => {
      const started = await fx.store.startRun({
        id: 'r1',
        monitorId: 'm1',
        from: 1_000,
        to: 2_000,
        startedAt: 2_100,
      });
      const running = {
        id: 'r1',
        monitorId: 'm1',
        state: 'running',
        from: 1_000,
        to: 2_000,
        startedAt: 2_100,
        statistics: [],
      };
      expect(started).toStrictEqual(running);
      expect(await fx.store.getRun('r1')).toStrictEqual(running);
      const finished = await fx.store.finishRun('r1', succeeded(STATISTICS, 2_200, 1_234));
      const expected = {
        ...running,
        state: 'succeeded',
        finishedAt: 2_200,
        rows: 1_234,
        statistics: STATISTICS,
      };
      expect(finished).toStrictEqual(expected);
      expect(await fx.store.getRun('r1')).toStrictEqual(expected);
      expect(await fx.store.getRun('nope')).toBeUndefined();
    });

    test('a failed run keeps its error; NaN and infinite values round-trip', async () => {
      await fx.store.startRun({ id: 'r1', monitorId: 'm1', from: 1_000, to: 2_000, startedAt: 2_100 });
      const odd = [
        stat({ name: 'chi_square', value: Number.POSITIVE_INFINITY }),
        stat({ name: 'ks', value: Number.NaN }),
      ];
      await fx.store.finishRun('r1', {
        state: 'failed',
        statistics: odd,
        error: { code: 'UNAVAILABLE', message: 'prediction log unreachable' },
        finishedAt: 2_300,
      });
      expect(await fx.store.getRun('r1')).toStrictEqual({
        id: 'r1',
        monitorId: 'm1',
        state: 'failed',
        from: 1_000,
        to: 2_000,
        startedAt: 2_100,
        finishedAt: 2_300,
        statistics: odd,
        error: { code: 'UNAVAILABLE', message: 'prediction log unreachable' },
      });
    });

    test('a run of many statistics is stored whole', async () => {
      const many = Array.from({ length: 450 }, (_, i) => stat({ column: `c${i}`, value: i / 1000 }));
      await fx.store.startRun({ id: 'r1', monitorId: 'm1', from: 1_000, to: 2_000, startedAt: 2_100 });
      await fx.store.finishRun('r1', succeeded(many, 2_200));
      expect((await fx.store.getRun('r1'))?.statistics).toStrictEqual(many);
    });

    test('start and finish errors name the field', async () => {
      const run = { id: 'r1', monitorId: 'm1', from: 1_000, to: 2_000, startedAt: 2_100 };
      await expectError(fx.store.startRun({ ...run, monitorId: 'gone' }), 'NOT_FOUND', 'monitorId');
      await expectError(fx.store.startRun({ ...run, to: 999 }), 'INVALID_ARGUMENT', 'to');
      await fx.store.startRun(run);
      await expectError(fx.store.startRun(run), 'ALREADY_EXISTS', 'id');
      await expectError(fx.store.finishRun('gone', succeeded([], 1)), 'NOT_FOUND', 'id');
      await expectError(
        fx.store.finishRun('r1', { state: 'running' as 'failed', statistics: [], finishedAt: 1 }),
        'INVALID_ARGUMENT',
        'state',
      );
      await fx.store.finishRun('r1', succeeded([stat()], 2_200));
      await expectError(fx.store.finishRun('r1', succeeded(STATISTICS, 2_300)), 'FAILED_PRECONDITION', 'id');
      expect((await fx.store.getRun('r1'))?.statistics).toStrictEqual([stat()]);
    });

    test('listing is newest first per monitor, limited, and pages with `before`', async () => {
      await fx.store.createMonitor(monitor('m2'));
      for (const [id, to] of [
        ['r1', 10_000],
        ['r3', 30_000],
        ['r2', 20_000],
      ] as const) {
        await recordRun(fx.store, 'm1', id, to);
      }
      await recordRun(fx.store, 'm2', 'other', 40_000);
      const all = await fx.store.listRuns('m1', { limit: 10 });
      expect(all.map((r) => r.id)).toStrictEqual(['r3', 'r2', 'r1']);
      expect(all[0]?.statistics).toStrictEqual(STATISTICS);
      expect((await fx.store.listRuns('m1', { limit: 2 })).map((r) => r.id)).toStrictEqual(['r3', 'r2']);
      expect((await fx.store.listRuns('m1', { limit: 2, before: 20_000 })).map((r) => r.id)).toStrictEqual([
        'r1',
      ]);
      expect(await fx.store.listRuns('nope', { limit: 2 })).toStrictEqual([]);
      await expectError(fx.store.listRuns('m1', { limit: 1001 }), 'INVALID_ARGUMENT', 'limit');
    });
  });
}

function series(fx: StoreFixture): void {
  describe('statistic series', () => {
    beforeEach(async () => {
      await fx.store.createMonitor(monitor('m1'));
      await fx.store.createMonitor(monitor('m2'));
      // Recorded out of order: the series follows the windows, not the insertion.
      for (const [id, to, value] of [
        ['r2', 20_000, 0.2],
        ['r1', 10_000, 0.1],
        ['r3', 30_000, 0.3],
      ] as const) {
        await recordRun(fx.store, 'm1', id, to, [
          stat({ value, flagged: value > 0.25 }),
          stat({ column: 'région', value: value + 1 }),
          { check: 'drift', name: 'psi', value: value + 2, flagged: false },
          { check: 'data_quality', column: 'amount', name: 'psi', value: value + 3, flagged: true },
        ]);
      }
      await recordRun(fx.store, 'm2', 'x1', 15_000, [stat({ value: 9 })]);
    });

    test("one column's statistic over the runs, oldest first", async () => {
      expect(
        await fx.store.statisticSeries('m1', { name: 'psi', column: 'amount', check: 'drift' }),
      ).toStrictEqual([
        { runId: 'r1', at: 10_000, value: 0.1, flagged: false },
        { runId: 'r2', at: 20_000, value: 0.2, flagged: false },
        { runId: 'r3', at: 30_000, value: 0.3, flagged: true },
      ]);
      expect(await fx.store.statisticSeries('m1', { name: 'psi', column: 'région' })).toStrictEqual([
        { runId: 'r1', at: 10_000, value: 1.1, flagged: false },
        { runId: 'r2', at: 20_000, value: 1.2, flagged: false },
        { runId: 'r3', at: 30_000, value: 1.3, flagged: false },
      ]);
    });

    test('without a column it follows the dataset-level statistic', async () => {
      expect((await fx.store.statisticSeries('m1', { name: 'psi' })).map((p) => p.value)).toStrictEqual([
        2.1, 2.2, 2.3,
      ]);
    });

    test('without a check every check of that name and column counts, in run order', async () => {
      expect(
        (await fx.store.statisticSeries('m1', { name: 'psi', column: 'amount' })).map((p) => [
          p.runId,
          p.value,
        ]),
      ).toStrictEqual([
        ['r1', 0.1],
        ['r1', 3.1],
        ['r2', 0.2],
        ['r2', 3.2],
        ['r3', 0.3],
        ['r3', 3.3],
      ]);
      expect(
        (await fx.store.statisticSeries('m1', { name: 'psi', column: 'amount', check: 'data_quality' })).map(
          (p) => p.flagged,
        ),
      ).toStrictEqual([true, true, true]);
    });

    test('from and to bound the window end, inclusively', async () => {
      const bounded = await fx.store.statisticSeries('m1', {
        name: 'psi',
        column: 'amount',
        check: 'drift',
        from: 20_000,
        to: 30_000,
      });
      expect(bounded.map((p) => p.runId)).toStrictEqual(['r2', 'r3']);
      expect(
        (
          await fx.store.statisticSeries('m1', { name: 'psi', column: 'amount', check: 'drift', to: 19_999 })
        ).map((p) => p.runId),
      ).toStrictEqual(['r1']);
      expect(await fx.store.statisticSeries('m1', { name: 'wasserstein', column: 'amount' })).toStrictEqual(
        [],
      );
    });

    test("another monitor's series is its own", async () => {
      expect(await fx.store.statisticSeries('m2', { name: 'psi', column: 'amount' })).toStrictEqual([
        { runId: 'x1', at: 15_000, value: 9, flagged: false },
      ]);
    });
  });
}

function alertRules(fx: StoreFixture): void {
  describe('alert rules', () => {
    beforeEach(async () => {
      await fx.store.createMonitor(monitor('m1'));
      await fx.store.createMonitor(monitor('m2'));
    });

    test('rules read back whole and list by name per monitor', async () => {
      await fx.store.createAlertRule(rule('k2', 'm1', { name: 'zeta' }));
      await fx.store.createAlertRule(rule('k1', 'm1', { name: 'alpha', severity: 'critical' }));
      await fx.store.createAlertRule(rule('k3', 'm2', { name: 'alpha' }));
      expect(await fx.store.getAlertRule('k1')).toStrictEqual(
        rule('k1', 'm1', { name: 'alpha', severity: 'critical' }),
      );
      expect(await fx.store.getAlertRule('nope')).toBeUndefined();
      expect((await fx.store.listAlertRules('m1')).map((r) => r.id)).toStrictEqual(['k1', 'k2']);
      expect(await fx.store.listAlertRules('m2')).toStrictEqual([rule('k3', 'm2', { name: 'alpha' })]);
    });

    test('create errors: unknown monitor, taken id, taken name within the monitor', async () => {
      await expectError(fx.store.createAlertRule(rule('k1', 'gone')), 'NOT_FOUND', 'monitorId');
      await fx.store.createAlertRule(rule('k1', 'm1'));
      await expectError(
        fx.store.createAlertRule(rule('k1', 'm1', { name: 'other' })),
        'ALREADY_EXISTS',
        'id',
      );
      await expectError(
        fx.store.createAlertRule(rule('k2', 'm1', { name: 'rule-k1' })),
        'ALREADY_EXISTS',
        'name',
      );
    });

    test('update replaces the rule; its monitor and a taken name are refused', async () => {
      await fx.store.createAlertRule(rule('k1', 'm1'));
      await fx.store.createAlertRule(rule('k2', 'm1'));
      const changed = rule('k1', 'm1', { name: 'renamed', cooldownMs: 0, channels: [{ kind: 'log' }] });
      await fx.store.updateAlertRule(changed);
      expect(await fx.store.getAlertRule('k1')).toStrictEqual(changed);
      await expectError(fx.store.updateAlertRule(rule('k1', 'm2')), 'INVALID_ARGUMENT', 'monitorId');
      await expectError(
        fx.store.updateAlertRule(rule('k1', 'm1', { name: 'rule-k2' })),
        'ALREADY_EXISTS',
        'name',
      );
      await expectError(fx.store.updateAlertRule(rule('gone', 'm1')), 'NOT_FOUND', 'id');
      expect(await fx.store.getAlertRule('k1')).toStrictEqual(changed);
    });

    test('delete removes the rule with its alerts', async () => {
      await fx.store.createAlertRule(rule('k1', 'm1'));
      await fx.store.createAlertRule(rule('k2', 'm1'));
      await fx.store.openAlert(alert('a1', 'k1', 'm1'));
      await fx.store.openAlert(alert('a2', 'k2', 'm1'));
      await fx.store.deleteAlertRule('k1');
      expect(await fx.store.getAlertRule('k1')).toBeUndefined();
      expect(await fx.store.getAlert('a1')).toBeUndefined();
      expect((await fx.store.listAlerts({ limit: 10 })).map((a) => a.id)).toStrictEqual(['a2']);
      await expectError(fx.store.deleteAlertRule('k1'), 'NOT_FOUND', 'id');
    });
  });
}

function alerts(fx: StoreFixture, factory: MonitoringStoreFactory): void {
  describe('alerts', () => {
    beforeEach(async () => {
      await fx.store.createMonitor(monitor('m1'));
      await fx.store.createMonitor(monitor('m2'));
      await fx.store.createAlertRule(rule('k1', 'm1'));
      await fx.store.createAlertRule(rule('k2', 'm1'));
      await fx.store.createAlertRule(rule('k3', 'm2'));
    });

    test('an opened alert reads back whole and is the open alert of its rule', async () => {
      await fx.store.openAlert(alert('a1', 'k1', 'm1'));
      expect(await fx.store.getAlert('a1')).toStrictEqual(alert('a1', 'k1', 'm1'));
      expect(await fx.store.getOpenAlert('k1')).toStrictEqual(alert('a1', 'k1', 'm1'));
      expect(await fx.store.getOpenAlert('k2')).toBeUndefined();
      expect(await fx.store.getAlert('nope')).toBeUndefined();
    });

    test('a rule has at most one firing alert; after it resolves a new one may fire', async () => {
      await fx.store.openAlert(alert('a1', 'k1', 'm1'));
      await expectError(fx.store.openAlert(alert('a2', 'k1', 'm1')), 'ALREADY_EXISTS', 'ruleId');
      await expectError(fx.store.openAlert(alert('a1', 'k2', 'm1')), 'ALREADY_EXISTS', 'id');
      await fx.store.updateAlert('a1', { resolvedAt: 9_000, lastRun: 'r4' });
      expect(await fx.store.getOpenAlert('k1')).toBeUndefined();
      await fx.store.openAlert(alert('a2', 'k1', 'm1', { firedAt: 10_000 }));
      expect((await fx.store.getOpenAlert('k1'))?.id).toBe('a2');
    });

    test('open errors: unknown rule, another monitor than the rule, not firing', async () => {
      await expectError(fx.store.openAlert(alert('a1', 'gone', 'm1')), 'NOT_FOUND', 'ruleId');
      await expectError(fx.store.openAlert(alert('a1', 'k1', 'm2')), 'INVALID_ARGUMENT', 'monitorId');
      await expectError(
        fx.store.openAlert(alert('a1', 'k1', 'm1', { state: 'resolved', resolvedAt: 1 })),
        'INVALID_ARGUMENT',
        'state',
      );
      expect(await fx.store.listAlerts({ limit: 10 })).toStrictEqual([]);
    });

    test('update moves the last run, evidence and notification time, and resolves once', async () => {
      await fx.store.openAlert(alert('a1', 'k1', 'm1'));
      const evidence = [stat({ value: 0.9, flagged: true, details: { pValue: 0.001 } })];
      const updated = await fx.store.updateAlert('a1', { lastRun: 'r2', evidence, notifiedAt: 6_000 });
      const expected = { ...alert('a1', 'k1', 'm1'), lastRun: 'r2', evidence, notifiedAt: 6_000 };
      expect(updated).toStrictEqual(expected);
      expect(await fx.store.getAlert('a1')).toStrictEqual(expected);
      const resolved = await fx.store.updateAlert('a1', { resolvedAt: 7_000 });
      expect(resolved).toStrictEqual({ ...expected, state: 'resolved', resolvedAt: 7_000 });
      // The resolution is notified too.
      expect((await fx.store.updateAlert('a1', { notifiedAt: 7_001 })).notifiedAt).toBe(7_001);
      await expectError(
        fx.store.updateAlert('a1', { resolvedAt: 8_000 }),
        'FAILED_PRECONDITION',
        'resolvedAt',
      );
      await expectError(fx.store.updateAlert('gone', { notifiedAt: 1 }), 'NOT_FOUND', 'id');
      expect((await fx.store.getAlert('a1'))?.resolvedAt).toBe(7_000);
    });

    test('an alert keeps the delivery jobs its notifications were queued as', async () => {
      await fx.store.openAlert(alert('a1', 'k1', 'm1'));
      const first = [{ event: 'firing' as const, channel: 0, jobId: 'job_a' }];
      expect((await fx.store.updateAlert('a1', { deliveries: first })).deliveries).toStrictEqual(first);
      const both = [...first, { event: 'resolved' as const, channel: 1, jobId: 'job_b' }];
      await fx.store.updateAlert('a1', { resolvedAt: 7_000, deliveries: both });
      expect((await fx.store.getAlert('a1'))?.deliveries).toStrictEqual(both);
      expect((await fx.store.listAlerts({ limit: 10 }))[0]?.deliveries).toStrictEqual(both);
    });

    test('listing is newest first, filtered by monitor and state, limited', async () => {
      await fx.store.openAlert(alert('a1', 'k1', 'm1', { firedAt: 1_000 }));
      await fx.store.updateAlert('a1', { resolvedAt: 1_500 });
      await fx.store.openAlert(alert('a2', 'k1', 'm1', { firedAt: 3_000 }));
      await fx.store.openAlert(alert('a3', 'k2', 'm1', { firedAt: 2_000 }));
      await fx.store.openAlert(alert('a4', 'k3', 'm2', { firedAt: 4_000 }));
      const ids = async (request: Parameters<MonitoringStore['listAlerts']>[0]): Promise<string[]> =>
        (await fx.store.listAlerts(request)).map((a) => a.id);
      expect(await ids({ limit: 10 })).toStrictEqual(['a4', 'a2', 'a3', 'a1']);
      expect(await ids({ limit: 2 })).toStrictEqual(['a4', 'a2']);
      expect(await ids({ limit: 10, monitorId: 'm1' })).toStrictEqual(['a2', 'a3', 'a1']);
      expect(await ids({ limit: 10, state: 'resolved' })).toStrictEqual(['a1']);
      expect(await ids({ limit: 10, monitorId: 'm1', state: 'firing' })).toStrictEqual(['a2', 'a3']);
      await expectError(fx.store.listAlerts({ limit: 0 }), 'INVALID_ARGUMENT', 'limit');
      await expectError(
        fx.store.listAlerts({ limit: 5, state: 'open' as 'firing' }),
        'INVALID_ARGUMENT',
        'state',
      );
    });

    test('two stores opening an alert for one rule at once: exactly one succeeds', async () => {
      const other = await fx.another();
      const rounds = factory.parallelWriters ? 25 : 5;
      for (let round = 0; round < rounds; round++) {
        const outcomes = await Promise.allSettled([
          fx.store.openAlert(alert(`a${round}-x`, 'k1', 'm1')),
          other.openAlert(alert(`a${round}-y`, 'k1', 'm1')),
        ]);
        expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
        const rejected = outcomes.find((o) => o.status === 'rejected');
        expect((rejected as PromiseRejectedResult).reason).toMatchObject({
          code: 'ALREADY_EXISTS',
          details: { field: 'ruleId' },
        });
        const open = await fx.store.getOpenAlert('k1');
        if (open === undefined) throw new Error('no open alert');
        await fx.store.updateAlert(open.id, { resolvedAt: 9_000 });
      }
      expect(await fx.store.listAlerts({ limit: 100, state: 'resolved' })).toHaveLength(rounds);
    });
  });
}

function referenceProfiles(fx: StoreFixture): void {
  describe('reference profiles', () => {
    const profile: ReferenceProfile = {
      model: 'fraud',
      version: '3',
      source: 'registration',
      createdAt: 1_000,
      profile: profileColumns({ amount: [1, 2, 3.5, null], région: ['fr', 'de', 'fr', 'fr'] }),
    };

    test('a profile reads back whole per model version; put replaces it', async () => {
      await fx.store.putReferenceProfile(profile);
      await fx.store.putReferenceProfile({ ...profile, version: '4', createdAt: 2_000 });
      expect(await fx.store.getReferenceProfile('fraud', '3')).toStrictEqual(profile);
      const replacement: ReferenceProfile = {
        ...profile,
        source: 'evaluation',
        createdAt: 3_000,
        profile: { version: 1, rowCount: 0, columns: {} },
      };
      await fx.store.putReferenceProfile(replacement);
      expect(await fx.store.getReferenceProfile('fraud', '3')).toStrictEqual(replacement);
      expect((await fx.store.getReferenceProfile('fraud', '4'))?.createdAt).toBe(2_000);
      expect(await fx.store.getReferenceProfile('fraud', '5')).toBeUndefined();
      expect(await fx.store.getReferenceProfile('churn', '3')).toBeUndefined();
    });

    test('an unknown source is INVALID_ARGUMENT', async () => {
      await expectError(
        fx.store.putReferenceProfile({ ...profile, source: 'guess' as 'upload' }),
        'INVALID_ARGUMENT',
        'source',
      );
    });
  });
}
