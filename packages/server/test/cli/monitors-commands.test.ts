/**
 * `slipway monitors ...` and `slipway alerts list` in-process against a test platform on a real
 * socket with a real ONNX endpoint: a reference profile uploaded from a file, shifted traffic
 * served, a monitor created and run (the drift on the shifted column printed), its rule and alert
 * listed, and bad flags refused naming the flag.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Alert, Monitor, ReferenceProfile } from '@slipway/sdk';
import { SlipwayClient } from '@slipway/sdk';
import { runSlipway, type CliResult } from '../helpers/cli-runner.js';
import { LOGISTIC_AB_MANIFEST, logisticClassifierOnnx } from '../helpers/onnx-models.js';
import { startTestPlatform, type TestPlatform } from '../helpers/test-platform.js';

const ROWS = 200;

let platform: TestPlatform;
let client: SlipwayClient;
let workDir: string;

/** A deterministic spread in [-1, 1): the i-th of n evenly spaced points, shuffled by a stride. */
function spread(i: number, n: number): number {
  return (((i * 7919) % n) / n) * 2 - 1;
}

function cli(args: string[]): Promise<CliResult> {
  return runSlipway(args, { SLIPWAY_URL: platform.url });
}

function json<T>(result: CliResult): T {
  expect(result.code, result.err).toBeUndefined();
  return JSON.parse(result.out) as T;
}

beforeAll(async () => {
  platform = await startTestPlatform({ listen: true });
  client = new SlipwayClient({ url: platform.url });
  workDir = await mkdtemp(join(tmpdir(), 'slipway-cli-monitors-'));
  const run = await client.runs.create({ experimentId: '0' });
  const runId = run.info.runId;
  await client.artifacts.upload(runId, 'model/slipway.yaml', new TextEncoder().encode(LOGISTIC_AB_MANIFEST));
  await client.artifacts.upload(runId, 'model/model.onnx', logisticClassifierOnnx([1, -1], 0));
  await client.models.register({ name: 'fraud', source: `runs:/${runId}/model`, runId });
  await client.endpoints.create({ name: 'fraud', model: { name: 'fraud', version: '1' } });
});
afterAll(async () => {
  await platform?.close();
  await rm(workDir, { recursive: true, force: true });
});
afterEach(() => {
  vi.restoreAllMocks();
});

describe('slipway monitors', () => {
  it('uploads a profile, creates and runs a monitor, and lists its rule and alert', async () => {
    const reference = Array.from({ length: ROWS }, (_, i) => ({
      a: spread(i, ROWS),
      b: spread(i + 1, ROWS),
    }));
    const jsonl = join(workDir, 'reference.jsonl');
    await writeFile(jsonl, reference.map((row) => JSON.stringify(row)).join('\n') + '\n');
    const uploaded = await cli(['monitors', 'profile', 'fraud/1', '--data', jsonl]);
    expect(uploaded.code, uploaded.err).toBeUndefined();
    expect(uploaded.out).toBe(`Reference profile of fraud/1: ${ROWS} rows, 2 columns (a, b).\n`);
    const array = join(workDir, 'reference.json');
    await writeFile(array, JSON.stringify(reference));
    const again = json<ReferenceProfile>(
      await cli(['monitors', 'profile', 'fraud/1', '--data', array, '--json']),
    );
    expect(again).toMatchObject({
      model: 'fraud',
      version: '1',
      source: 'upload',
      profile: { rowCount: ROWS },
    });

    const created = json<Monitor>(
      await cli([
        'monitors',
        'create',
        'fraud-drift',
        '--endpoint',
        'fraud',
        '--reference',
        'fraud/1',
        '--drift',
        '--service',
        '--window',
        '1h',
        '--every',
        '15m',
        '--drift-share',
        '0.4',
        '--drift-autocorrelation',
        'ignore',
        '--json',
      ]),
    );
    expect(created).toMatchObject({
      name: 'fraud-drift',
      endpoint: 'fraud',
      reference: { model: 'fraud', version: '1' },
      checks: { drift: { driftShare: 0.4, autocorrelation: 'ignore' }, service: {} },
      window: { kind: 'rolling', durationMs: 3_600_000 },
      schedule: { intervalMs: 900_000 },
    });

    const added = await cli([
      'monitors',
      'rules',
      'add',
      'fraud-drift',
      '--name',
      'ks-drift',
      '--check',
      'drift',
      '--statistic',
      'ks',
      '--severity',
      'critical',
      '--cooldown',
      '0',
    ]);
    expect(added.code, added.err).toBeUndefined();
    expect(added.out).toMatch(/^Added rule ks-drift \(rule_\w+\) to monitor fraud-drift\.\n$/);
    const rules = await cli(['monitors', 'rules', 'list', 'fraud-drift']);
    expect(rules.out).toMatch(
      /^NAME\s+SEVERITY\s+MATCH\s+COOLDOWN\s+CHANNELS\nks-drift\s+critical\s+drift\/ks\s+0\s+log\n$/,
    );

    // Live traffic: `a` as in the reference, `b` shifted by +3.
    const live = Array.from({ length: ROWS }, (_, i) => ({ a: spread(i + 3, ROWS), b: spread(i, ROWS) + 3 }));
    await client.endpoints.predict('fraud', live);
    await expect
      .poll(async () => (await client.predictions.query('fraud', { limit: 1000 })).predictions.length, {
        timeout: 15_000,
        interval: 100,
      })
      .toBe(ROWS);

    const ran = await cli(['monitors', 'run', 'fraud-drift']);
    expect(ran.code, ran.err).toBeUndefined();
    const [run] = await client.monitors.runs('fraud-drift');
    if (run === undefined) throw new Error('the run was not stored');
    const flagged = run.statistics.filter((s) => s.flagged);
    const lines = ran.out.split('\n');
    expect(lines[0]).toBe(
      `Run ${run.id} succeeded over ${ROWS} rows (${time(run.from)} to ${time(run.to)}).`,
    );
    expect(lines[1]).toMatch(/^CHECK\s+COLUMN\s+STATISTIC\s+VALUE\s+THRESHOLD$/);
    // Reference [-1, 1) against [2, 4): no value in common, so the KS distance is 1.
    expect(lines).toContainEqual(expect.stringMatching(/^drift\s+b\s+ks\s+1\s+0\.05$/));
    expect(lines.filter((l) => /^drift\s+a\s/.test(l))).toEqual([]);
    expect(lines.slice(2, 2 + flagged.length)).toEqual(
      flagged.map((st) =>
        expect.stringMatching(new RegExp(`^${st.check}\\s+${st.column ?? '-'}\\s+${st.name}\\s`)),
      ),
    );
    expect(lines[2 + flagged.length]).toBe(`${run.statistics.length} statistics, ${flagged.length} flagged.`);
    expect(lines[3 + flagged.length]).toMatch(
      /^Alert firing: ks-drift \(critical\) since [\d-]+ [\d:]+, columns b\.$/,
    );
    expect(lines.slice(4 + flagged.length)).toEqual(['']);

    const alerts = await cli(['alerts', 'list', '--monitor', 'fraud-drift']);
    expect(alerts.code, alerts.err).toBeUndefined();
    expect(alerts.out).toMatch(
      /^FIRED AT\s+SEVERITY\s+STATE\s+MONITOR\s+RULE\s+COLUMNS\n[\d-]+ [\d:]+\s+critical\s+firing\s+fraud-drift\s+ks-drift\s+b\n$/,
    );
    const firing = json<Alert[]>(
      await cli(['alerts', 'list', '--state', 'firing', '--limit', '5', '--json']),
    );
    expect(firing.map((a) => [a.state, a.firedByRun])).toEqual([['firing', run.id]]);
    expect((await cli(['alerts', 'list', '--state', 'resolved'])).out).toMatch(/^FIRED AT.*\n$/);

    const listed = await cli(['monitors', 'list', '--endpoint', 'fraud']);
    expect(listed.out).toMatch(/\nfraud-drift\s+fraud\s+fraud\/1\s+drift, service\s+last 1h\s+every 15m\n$/);
    const shown = await cli(['monitors', 'show', 'fraud-drift']);
    expect(shown.out).toMatch(/^id:\s+mon_\w+\n/m);
    expect(shown.out).toMatch(/^schedule:\s+every 15m$/m);
    expect(shown.out).toContain(`\n${run.id}  succeeded  ${time(run.to)}  ${ROWS}`);
    expect(shown.out).toMatch(new RegExp(`${run.id}.*\\s${flagged.length}/${run.statistics.length}\\n$`));

    const deleted = await cli(['monitors', 'delete', 'fraud-drift']);
    expect(deleted.out).toBe('Deleted monitor fraud-drift.\n');
    const gone = await cli(['monitors', 'show', 'fraud-drift']);
    expect(gone.code).toBe(1);
    expect(gone.err).toContain('error NOT_FOUND (monitor)');
  });

  it('refuses bad flags, naming the flag', async () => {
    const create = ['monitors', 'create', 'm', '--endpoint', 'fraud', '--reference', 'fraud/1'];
    const csv = join(workDir, 'rows.csv');
    await writeFile(csv, 'a,b\n1,2\n');
    const notRows = join(workDir, 'object.json');
    await writeFile(notRows, '{"a": 1}');
    const rule = ['monitors', 'rules', 'add', 'm', '--name', 'r', '--check', 'drift'];
    const cases: [string[], string][] = [
      [create, 'error INVALID_ARGUMENT (checks): Name at least one check'],
      [
        [...create, '--drift', '--window', '5x'],
        "error INVALID_ARGUMENT (window): --window must be a duration like 30s, 15m, 1h or 1d, got '5x'.",
      ],
      [[...create, '--drift', '--every', '0m'], 'error INVALID_ARGUMENT (every)'],
      [[...create, '--drift', '--drift-share', '2'], "--drift-share must be a number in (0, 1], got '2'."],
      [
        [...create, '--service', '--drift-share', '0.3'],
        'error INVALID_ARGUMENT (drift-share): --drift-share needs --drift.',
      ],
      [
        [...create, '--drift', '--drift-autocorrelation', 'never'],
        "error INVALID_ARGUMENT (drift-autocorrelation): --drift-autocorrelation must be adjust or ignore, got 'never'.",
      ],
      [
        [...create, '--service', '--drift-autocorrelation', 'ignore'],
        'error INVALID_ARGUMENT (drift-autocorrelation): --drift-autocorrelation needs --drift.',
      ],
      [
        [...create, '--performance', 'label:rmse'],
        "error INVALID_ARGUMENT (performance): --performance must be FIELD:accuracy or FIELD:mae, got 'label:rmse'.",
      ],
      [
        ['monitors', 'create', 'm', '--endpoint', 'fraud', '--reference', 'fraud@champion', '--drift'],
        'error INVALID_ARGUMENT (reference): --reference must name a version',
      ],
      [
        ['monitors', 'profile', 'fraud/1', '--data', csv],
        'error INVALID_ARGUMENT (data): --data must be a .json file (an array of rows) or .jsonl',
      ],
      [['monitors', 'profile', 'fraud/1', '--data', notRows], 'error INVALID_ARGUMENT (data): '],
      [[...rule, '--secret', 's'], 'error INVALID_ARGUMENT (secret): --secret signs webhook notifications'],
      [[...rule, '--cooldown', 'soon'], 'error INVALID_ARGUMENT (cooldown)'],
      [
        ['monitors', 'rules', 'add', 'm', '--name', 'r', '--check', 'vibes'],
        'Allowed choices are drift, data_quality, performance, service',
      ],
      [['alerts', 'list', '--state', 'open'], 'Allowed choices are firing, resolved'],
      [['alerts', 'list', '--limit', '0'], 'Expected a positive integer.'],
      [['monitors', 'run', 'nope'], "error NOT_FOUND (monitor): Monitor 'nope' does not exist."],
    ];
    for (const [args, message] of cases) {
      const result = await cli(args);
      expect(result.code, args.join(' ')).toBe(1);
      expect(result.err, args.join(' ')).toContain(message);
      expect(result.out).toBe('');
    }
    expect(await client.monitors.list()).toEqual([]);
  });
});

/** The CLI's UTC timestamp. */
function time(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}
