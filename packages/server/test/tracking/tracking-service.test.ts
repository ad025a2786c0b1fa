import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SlipwayError } from '@slipway/contracts';
import { openTrackingStore } from '../../src/storage/open-stores.js';
import type { TrackingStore } from '../../src/tracking/tracking-store.js';
import { TrackingService } from '../../src/tracking/tracking-service.js';
import { RUN_NAME_TAG } from '../../src/tracking/tracking-store.js';

let dir: string;
let store: TrackingStore;
let service: TrackingService;
let clock = 1_700_000_000_000;
let nextId = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-svc-'));
  store = await openTrackingStore(`sqlite:${join(dir, 'svc.db')}`);
  service = new TrackingService({
    store,
    now: () => clock,
    newRunId: () => (nextId++).toString(16).padStart(32, '0'),
    defaultArtifactLocation: (id) => `mlflow-artifacts:/${id}`,
  });
});

afterAll(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(SlipwayError);
    return (err as SlipwayError).code;
  }
  throw new Error('expected an error');
}

describe('TrackingService', () => {
  it('creates experiments with served artifact locations and the clock time', async () => {
    clock += 1;
    const e = await service.createExperiment({ name: 'svc-exp', tags: { team: 'a' } });
    expect(e.artifactLocation).toBe(`mlflow-artifacts:/${e.experimentId}`);
    expect(e.creationTime).toBe(clock);
    expect(e.tags).toEqual({ team: 'a' });
    expect(await codeOf(service.createExperiment({ name: 'svc-exp' }))).toBe('ALREADY_EXISTS');
    expect(await codeOf(service.createExperiment({ name: '  ' }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(service.getExperimentByName('nope'))).toBe('NOT_FOUND');
  });

  it('has the Default experiment 0', async () => {
    const d = await service.getExperiment('0');
    expect(d.name).toBe('Default');
  });

  it('derives the run artifact URI and keeps run name and mlflow.runName tag in sync', async () => {
    const e = await service.createExperiment({ name: 'svc-names' });
    const run = await service.createRun({ experimentId: e.experimentId, runName: 'first', userId: 'ada' });
    expect(run.info.artifactUri).toBe(`mlflow-artifacts:/${e.experimentId}/${run.info.runId}/artifacts`);
    expect(run.data.tags[RUN_NAME_TAG]).toBe('first');
    expect(run.info.userId).toBe('ada');

    await service.setTag(run.info.runId, RUN_NAME_TAG, 'renamed-by-tag');
    expect((await service.getRun(run.info.runId)).info.runName).toBe('renamed-by-tag');

    await service.updateRun(run.info.runId, { runName: 'renamed-by-update' });
    const after = await service.getRun(run.info.runId);
    expect(after.info.runName).toBe('renamed-by-update');
    expect(after.data.tags[RUN_NAME_TAG]).toBe('renamed-by-update');
  });

  it('names unnamed runs and takes the name from the tag when only the tag is given', async () => {
    const e = await service.createExperiment({ name: 'svc-unnamed' });
    const generated = await service.createRun({ experimentId: e.experimentId });
    expect(generated.info.runName).toMatch(/^[a-z]+-[a-z]+-\d{1,3}$/);
    expect(generated.info.userId).toBe('unknown');
    const fromTag = await service.createRun({
      experimentId: e.experimentId,
      tags: { [RUN_NAME_TAG]: 'tagged' },
    });
    expect(fromTag.info.runName).toBe('tagged');
    expect(
      await codeOf(
        service.createRun({ experimentId: e.experimentId, runName: 'a', tags: { [RUN_NAME_TAG]: 'b' } }),
      ),
    ).toBe('INVALID_ARGUMENT');
  });

  it('rejects runs in unknown or deleted experiments', async () => {
    expect(await codeOf(service.createRun({ experimentId: '987654' }))).toBe('NOT_FOUND');
    const e = await service.createExperiment({ name: 'svc-deleted' });
    await service.deleteExperiment(e.experimentId);
    expect(await codeOf(service.createRun({ experimentId: e.experimentId }))).toBe('FAILED_PRECONDITION');
  });

  it('pages metric history when asked and returns it whole otherwise', async () => {
    const e = await service.createExperiment({ name: 'svc-history' });
    const { info } = await service.createRun({ experimentId: e.experimentId });
    const metrics = Array.from({ length: 25 }, (_, step) => ({
      key: 'loss',
      value: 1 / (step + 1),
      timestamp: 5,
      step,
    }));
    await service.logBatch(info.runId, { metrics, params: {}, tags: {} });
    const whole = await service.getMetricHistory(info.runId, 'loss');
    expect(whole.items.map((m) => m.step)).toEqual(metrics.map((m) => m.step));
    expect(whole.nextPageToken).toBeUndefined();

    const first = await service.getMetricHistory(info.runId, 'loss', { maxResults: 10 });
    expect(first.items).toHaveLength(10);
    const second = await service.getMetricHistory(info.runId, 'loss', {
      maxResults: 10,
      pageToken: first.nextPageToken,
    });
    const third = await service.getMetricHistory(info.runId, 'loss', {
      maxResults: 10,
      pageToken: second.nextPageToken,
    });
    expect([...first.items, ...second.items, ...third.items].map((m) => m.step)).toEqual(
      metrics.map((m) => m.step),
    );
    expect(third.nextPageToken).toBeUndefined();
    expect(await codeOf(service.getMetricHistory('f'.repeat(32), 'loss'))).toBe('NOT_FOUND');
  });

  it('searches runs through the parsed grammar and pages with tokens', async () => {
    const e = await service.createExperiment({ name: 'svc-search' });
    for (let i = 0; i < 5; i++) {
      clock += 1000;
      const { info } = await service.createRun({ experimentId: e.experimentId, runName: `r${i}` });
      await service.logBatch(info.runId, {
        metrics: [{ key: 'acc', value: i / 10, timestamp: clock, step: 0 }],
        params: { lr: i % 2 === 0 ? '0.01' : '0.1' },
        tags: {},
      });
    }
    const page1 = await service.searchRuns({
      experimentIds: [e.experimentId],
      filter: "params.lr = '0.01' and metrics.acc >= 0",
      orderBy: ['metrics.acc DESC'],
      maxResults: 2,
    });
    expect(page1.items.map((r) => r.info.runName)).toEqual(['r4', 'r2']);
    expect(page1.nextPageToken).toBeDefined();
    const page2 = await service.searchRuns({
      experimentIds: [e.experimentId],
      filter: "params.lr = '0.01' and metrics.acc >= 0",
      orderBy: ['metrics.acc DESC'],
      maxResults: 2,
      pageToken: page1.nextPageToken,
    });
    expect(page2.items.map((r) => r.info.runName)).toEqual(['r0']);
    expect(page2.nextPageToken).toBeUndefined();
    expect(
      await codeOf(service.searchRuns({ experimentIds: [e.experimentId], filter: 'metrics.acc >' })),
    ).toBe('INVALID_ARGUMENT');
  });

  it('validates the whole batch before writing anything', async () => {
    const e = await service.createExperiment({ name: 'svc-atomic' });
    const { info } = await service.createRun({ experimentId: e.experimentId });
    const bad = {
      metrics: [
        { key: 'ok', value: 1, timestamp: 1, step: 0 },
        { key: 'bad', value: 1, timestamp: -1, step: 0 },
      ],
      params: {},
      tags: {},
    };
    expect(await codeOf(service.logBatch(info.runId, bad))).toBe('INVALID_ARGUMENT');
    expect((await service.getRun(info.runId)).data.metrics).toEqual([]);
  });
});
