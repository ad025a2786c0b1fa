import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { SlipwayClient } from '@slipway/sdk';
import type { Experiment, WireRun } from '@slipway/contracts';
import { runSlipway, type CliResult } from '../helpers/cli-runner.js';
import { startTestPlatform, type TestPlatform } from '../helpers/test-platform.js';

let platform: TestPlatform;
let client: SlipwayClient;

beforeAll(async () => {
  platform = await startTestPlatform({ listen: true });
  client = new SlipwayClient({ url: platform.url });
});
afterAll(async () => {
  await platform.close();
});
afterEach(() => {
  vi.restoreAllMocks();
});

/** Runs `slipway <args>` in-process against the test platform (unless `--url` or env say otherwise). */
function cli(
  args: string[],
  env: Record<string, string> = { SLIPWAY_URL: platform.url },
): Promise<CliResult> {
  return runSlipway(args, env);
}

/** Column start offsets of a table's header line. */
function columnStarts(header: string): number[] {
  return [...header.matchAll(/(?:^|\s{2})(\S)/g)].map((m) => (m.index ?? 0) + m[0].length - 1);
}

describe('slipway experiments create', () => {
  it('creates with tags and prints a sentence for people', async () => {
    const res = await cli(['experiments', 'create', 'cli-human', '--tag', 'team=ml', '--tag', 'note=a=b']);
    expect(res.code).toBeUndefined();
    const experiment = await client.experiments.getByName('cli-human');
    expect(res.out).toBe(`Created experiment 'cli-human' with id ${experiment.experimentId}.\n`);
    expect(experiment.tags).toEqual({ team: 'ml', note: 'a=b' });
  });

  it('prints machine JSON with --json', async () => {
    const res = await cli(['experiments', 'create', 'cli-json', '--json']);
    const parsed = JSON.parse(res.out) as { experiment: Experiment };
    expect(parsed.experiment).toMatchObject({ name: 'cli-json', lifecycleStage: 'active' });
  });

  it('fails with exit code 1 and the code in the message for a taken name', async () => {
    await cli(['experiments', 'create', 'cli-dup']);
    const res = await cli(['experiments', 'create', 'cli-dup']);
    expect(res.code).toBe(1);
    expect(res.out).toBe('');
    expect(res.err).toMatch(/^error ALREADY_EXISTS/);
  });

  it('rejects a malformed --tag before calling the server', async () => {
    const res = await cli(['experiments', 'create', 'cli-badtag', '--tag', 'novalue']);
    expect(res.code).toBe(1);
    expect(res.err).toContain('Expected key=value');
    await expect(client.experiments.getByName('cli-badtag')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('slipway experiments list', () => {
  beforeAll(async () => {
    await client.experiments.create({ name: 'list-one' });
    const gone = await client.experiments.create({ name: 'list-gone-with-a-long-name' });
    await client.experiments.delete(gone.experimentId);
  });

  it('prints an aligned table', async () => {
    const res = await cli(['experiments', 'list', '--filter', "name LIKE 'list-%'", '--view', 'all']);
    expect(res.code).toBeUndefined();
    const [header, ...rows] = res.out.trimEnd().split('\n');
    expect(header).toMatch(/^ID\s+NAME\s+LIFECYCLE\s+CREATED \(UTC\)\s+ARTIFACT LOCATION$/);
    expect(rows).toHaveLength(2);
    const starts = columnStarts(header ?? '');
    for (const row of rows) {
      for (const start of starts.slice(1)) expect(row[start - 1]).toBe(' ');
      expect(row.slice(starts[1])).toMatch(/^list-/);
      expect(row.slice(starts[2])).toMatch(/^(active|deleted)/);
    }
  });

  it('filters by lifecycle with --view', async () => {
    const deleted = await cli(['experiments', 'list', '--view', 'deleted', '--json']);
    const names = (JSON.parse(deleted.out) as { experiments: Experiment[] }).experiments.map((e) => e.name);
    expect(names).toEqual(['list-gone-with-a-long-name']);
    const active = await cli(['experiments', 'list', '--json', '--filter', "name LIKE 'list-%'"]);
    expect((JSON.parse(active.out) as { experiments: Experiment[] }).experiments.map((e) => e.name)).toEqual([
      'list-one',
    ]);
  });

  it('rejects an unknown --view value', async () => {
    const res = await cli(['experiments', 'list', '--view', 'everything']);
    expect(res.code).toBe(1);
    expect(res.err).toContain('active, deleted, all');
  });

  it('reports a bad filter with code and field', async () => {
    const res = await cli(['experiments', 'list', '--filter', 'name ~~ 1']);
    expect(res.code).toBe(1);
    expect(res.err).toMatch(/^error INVALID_ARGUMENT \(filter\): /);
  });

  it('uses --url over SLIPWAY_URL, and reports an unreachable server as UNAVAILABLE', async () => {
    const res = await cli(['experiments', 'list', '--url', 'http://127.0.0.1:1']);
    expect(res.code).toBe(1);
    expect(res.err).toMatch(/^error UNAVAILABLE: Could not reach Slipway at http:\/\/127\.0\.0\.1:1/);
    const viaFlag = await cli(['experiments', 'list', '--json', '--url', platform.url], {});
    expect(viaFlag.code).toBeUndefined();
  });
});

describe('slipway runs', () => {
  let experimentId: string;
  let runId: string;

  beforeAll(async () => {
    experimentId = (await client.experiments.create({ name: 'cli runs' })).experimentId;
    for (const [name, acc] of [
      ['run-a', 0.5],
      ['run-b', 0.9],
    ] as const) {
      const run = await client.runs.create({ experimentId, runName: name, startTime: 1_700_000_000_000 });
      await client.runs.logBatch(run.info.runId, {
        metrics: [
          { key: 'acc', value: acc, step: 1, timestamp: 1_700_000_001_000 },
          { key: 'loss', value: Number.NaN, step: 1, timestamp: 1_700_000_001_000 },
        ],
        params: { lr: '0.01' },
        tags: { owner: 'ana' },
      });
      await client.runs.update(run.info.runId, { status: 'FINISHED', endTime: 1_700_000_012_300 });
      runId = run.info.runId;
    }
  });

  it('runs list prints a table, by experiment name or id', async () => {
    const byName = await cli([
      'runs',
      'list',
      '--experiment',
      'cli runs',
      '--order-by',
      'attributes.run_name',
    ]);
    expect(byName.code).toBeUndefined();
    const lines = byName.out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^RUN ID\s+NAME\s+STATUS\s+START \(UTC\)\s+DURATION$/);
    expect(lines.slice(1).map((l) => l.split(/\s{2,}/))).toEqual([
      [expect.stringMatching(/^[0-9a-f]{32}$/), 'run-a', 'FINISHED', '2023-11-14 22:13:20', '12.3s'],
      [runId, 'run-b', 'FINISHED', '2023-11-14 22:13:20', '12.3s'],
    ]);
    const byId = await cli(['runs', 'list', '--experiment', experimentId, '--json']);
    expect((JSON.parse(byId.out) as { runs: WireRun[] }).runs).toHaveLength(2);
  });

  it('runs list --json honours --filter, --order-by and --max-results', async () => {
    const res = await cli([
      'runs',
      'list',
      '--experiment',
      experimentId,
      '--filter',
      'metrics.acc > 0.1',
      '--order-by',
      'metrics.acc DESC',
      '--max-results',
      '1',
      '--json',
    ]);
    const page = JSON.parse(res.out) as { runs: WireRun[]; nextPageToken?: string };
    expect(page.runs.map((r) => r.info.runName)).toEqual(['run-b']);
    expect(page.nextPageToken).toBeTypeOf('string');
    expect(page.runs[0]?.data.metrics.find((m) => m.key === 'loss')?.value).toBe('NaN');
  });

  it('runs list points at the next page for people', async () => {
    const res = await cli(['runs', 'list', '--experiment', experimentId, '--max-results', '1']);
    expect(res.out).toMatch(/\nMore results: --page-token \S+\n$/);
  });

  it('runs list fails clearly for an unknown experiment and a bad --max-results', async () => {
    const unknown = await cli(['runs', 'list', '--experiment', 'no-such-experiment']);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toBe(
      "error NOT_FOUND (experiment): No experiment with id or name 'no-such-experiment'.\n",
    );
    const bad = await cli(['runs', 'list', '--experiment', experimentId, '--max-results', '0']);
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('Expected a positive integer');
    const missing = await cli(['runs', 'list']);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('--experiment');
  });

  it('runs show prints info, metrics, params, tags and inputs', async () => {
    const res = await cli(['runs', 'show', runId]);
    expect(res.code).toBeUndefined();
    expect(res.out).toContain(`Run run-b (${runId})\n`);
    expect(res.out).toMatch(/^Status:\s+FINISHED$/m);
    expect(res.out).toMatch(/^Duration:\s+12\.3s$/m);
    expect(res.out).toMatch(
      /^Metrics\nKEY\s+VALUE\s+STEP\s+TIME \(UTC\)\nacc\s+0\.9\s+1\s+2023-11-14 22:13:21\nloss\s+NaN\s+1/m,
    );
    expect(res.out).toMatch(/^Params\nKEY\s+VALUE\nlr\s+0\.01$/m);
    expect(res.out).toMatch(/^owner\s+ana$/m);
    expect(res.out).toMatch(/^Inputs\n\(none\)$/m);
  });

  it('runs show --json prints the wire run', async () => {
    const res = await cli(['runs', 'show', runId, '--json']);
    const { run } = JSON.parse(res.out) as { run: WireRun };
    expect(run.info.runId).toBe(runId);
    expect(run.data.params).toEqual({ lr: '0.01' });
  });

  it('runs show fails with NOT_FOUND for an unknown run', async () => {
    const res = await cli(['runs', 'show', 'f'.repeat(32)]);
    expect(res.code).toBe(1);
    expect(res.err).toMatch(/^error NOT_FOUND \(runId\): /);
  });
});
