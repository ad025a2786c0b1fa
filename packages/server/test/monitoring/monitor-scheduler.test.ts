/**
 * The monitor schedule (its tick driven by the job scheduler) over the real SQL monitoring store on
 * SQLite, with the clock injected: a
 * scheduled monitor runs once when due, not again before its interval, again after it; two
 * schedulers on one database never run one due monitor twice; an unscheduled monitor never runs.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Monitor, MonitorRun } from '@slipway/contracts';
import { JobScheduler } from '../../src/jobs/job-scheduler.js';
import { monitorScheduleTick, type MonitorScheduleDeps } from '../../src/monitoring/monitor-scheduler.js';
import type { SqlBackend } from '../../src/storage/sql/sql-backend.js';
import { SqlMonitoringStore } from '../../src/storage/sql/sql-monitoring-store.js';
import { sqliteTestBackend, type TestDatabase } from '../storage/backends.js';

let database: TestDatabase;
let backend: SqlBackend;
let store: SqlMonitoringStore;
let clock = 0;
const schedulers: JobScheduler[] = [];

function monitor(name: string, intervalMs?: number): Monitor {
  return {
    id: `mon_${name}`,
    name,
    endpoint: 'fraud',
    reference: { model: 'fraud', version: '1' },
    checks: { service: {} },
    window: { kind: 'rolling', durationMs: 60_000 },
    ...(intervalMs === undefined ? {} : { schedule: { intervalMs } }),
    createdAt: 1_000,
    updatedAt: 1_000,
  };
}

/** A job scheduler (never started: the tests tick it) with only the monitor schedule. */
function schedulerOf(deps: Omit<MonitorScheduleDeps, 'store'>): JobScheduler {
  const scheduler = new JobScheduler({
    ticks: { monitor_run: monitorScheduleTick({ store, ...deps }) },
    now: () => clock,
  });
  schedulers.push(scheduler);
  return scheduler;
}

function scheduler(ran: string[]): JobScheduler {
  return schedulerOf({
    run: async (m) => {
      ran.push(m.name);
      return { id: `run-${ran.length}` } as MonitorRun;
    },
  });
}

beforeEach(async () => {
  database = await sqliteTestBackend.createDatabase();
  backend = await database.openBackend();
  store = new SqlMonitoringStore(backend);
  clock = 1_000;
});
afterEach(async () => {
  for (const s of schedulers.splice(0)) await s.stop();
  await backend.close();
  await database.dispose();
});

describe('monitor scheduler', () => {
  it('runs a scheduled monitor when due, once per interval', async () => {
    await store.createMonitor(monitor('hourly', 60_000));
    await store.createMonitor(monitor('on-demand'));
    const ran: string[] = [];
    const s = scheduler(ran);
    await s.tick();
    expect(ran).toEqual([]);
    clock = 61_000;
    await s.tick();
    expect(ran).toEqual(['hourly']);
    clock = 100_000;
    await s.tick();
    expect(ran).toEqual(['hourly']);
    clock = 121_000;
    await s.tick();
    expect(ran).toEqual(['hourly', 'hourly']);
    expect((await store.getMonitor('mon_hourly'))?.nextRunAt).toBe(181_000);
  });

  it('gives a due monitor to one of two schedulers only', async () => {
    await store.createMonitor(monitor('hourly', 60_000));
    const ran: string[] = [];
    const [a, b] = [scheduler(ran), scheduler(ran)];
    clock = 61_000;
    await Promise.all([a.tick(), b.tick()]);
    expect(ran).toEqual(['hourly']);
  });

  it('does not tick a kind again before its catalog interval has passed', async () => {
    await store.createMonitor(monitor('often', 1_000));
    const ran: string[] = [];
    const s = scheduler(ran);
    clock = 2_000;
    await s.tick();
    // The monitor is due again at 3 000, but the schedule ticks every 5 s (the catalog's).
    clock = 4_000;
    await s.tick();
    expect(ran).toEqual(['often']);
    clock = 7_000;
    await s.tick();
    expect(ran).toEqual(['often', 'often']);
  });

  it('reschedules a monitor whose run failed, and reports the failure', async () => {
    await store.createMonitor(monitor('flaky', 60_000));
    const errors: unknown[] = [];
    const s = schedulerOf({
      run: async () => {
        throw new Error('log unavailable');
      },
      onError: (err) => errors.push(err),
    });
    clock = 61_000;
    await s.tick();
    expect(errors.map((e) => (e as Error).message)).toEqual(['log unavailable']);
    expect((await store.getMonitor('mon_flaky'))?.nextRunAt).toBe(121_000);
  });
});
