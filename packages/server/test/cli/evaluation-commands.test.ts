import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { FailedPreconditionError, SlipwayClient, gateVerdictOf } from '@slipway/sdk';
import type {
  CreateBaselineResponse,
  Evaluation,
  EvaluationPolicy,
  EvaluationReport,
  GateVerdict,
  JobDetailsOf,
  RegistryEvent,
} from '@slipway/contracts';
import {
  baselineSummary,
  bootstrapSpecOf,
  evaluationSummary,
  formatMetric,
  gateSpecOf,
  metricTable,
  parseClassValue,
  parseModelRef,
  parseSlice,
  policySummary,
  refusalSummary,
  slicesSection,
  verdictSection,
  withSliceColumn,
} from '../../src/cli/evaluation-output.js';
import { runSlipway, type CliResult } from '../helpers/cli-runner.js';
import { floatTensor, onnxModel } from '../helpers/onnx-models.js';
import { startTestPlatform, type TestPlatform } from '../helpers/test-platform.js';

afterEach(() => {
  vi.restoreAllMocks();
});

// ---------------------------------------------------------------------------------------------
// Pure parsing and formatting
// ---------------------------------------------------------------------------------------------

const VERDICT: GateVerdict = {
  passed: false,
  metric: 'accuracy',
  direction: 'higher',
  candidate: { id: 'churn/2', value: 0.7 },
  baseline: { id: 'churn-rules/1', value: 0.75 },
  difference: -0.05,
  required: 0.8,
  threshold: null,
  margin: { kind: 'absolute', value: 0.05 },
  sliceChecks: [],
  differenceCi: null,
  reasons: ['fail: accuracy 0.7 vs baseline 0.75 is 0.05 worse; 0.05 better required'],
};

const REPORT: EvaluationReport = {
  task: 'binary',
  rows: 100,
  labelColumn: 'y',
  classes: [0, 1],
  positiveLabel: 1,
  minSliceRows: 30,
  models: [
    {
      id: 'churn/2',
      role: 'candidate',
      hasProbabilities: true,
      hasScores: true,
      metrics: { accuracy: 0.7, rocAuc: 0.81234 },
    },
    {
      id: 'churn-rules/1',
      role: 'baseline',
      hasProbabilities: false,
      hasScores: false,
      metrics: { accuracy: 0.75 },
    },
  ],
  slices: [
    {
      column: 'region',
      slices: [
        {
          label: 'north',
          value: 'north',
          rows: 80,
          small: false,
          models: { 'churn/2': { accuracy: 0.5 }, 'churn-rules/1': { accuracy: null } },
        },
        {
          label: 'south',
          value: 'south',
          rows: 20,
          small: true,
          models: { 'churn/2': { accuracy: 1 }, 'churn-rules/1': { accuracy: 0.9 } },
        },
      ],
    },
  ],
};

describe('evaluation option parsing', () => {
  it('reads NAME/VERSION, NAME@ALIAS and models:/ URIs, refusing latest', () => {
    expect(parseModelRef('churn/3', 'model')).toEqual({ name: 'churn', version: '3' });
    expect(parseModelRef('churn@champion', 'model')).toEqual({ name: 'churn', alias: 'champion' });
    expect(parseModelRef('models:/churn/2', 'model')).toEqual({ name: 'churn', version: '2' });
    expect(() => parseModelRef('churn/latest', 'baseline')).toThrow(/version \(NAME\/3\) or an alias/);
    expect(() => parseModelRef('churn', 'baseline')).toThrow(/Invalid model URI/);
  });

  it('reads slices by value and by bucket edges', () => {
    expect(parseSlice('region')).toEqual({ column: 'region' });
    expect(parseSlice('amount:10,20,50')).toEqual({ column: 'amount', buckets: [10, 20, 50] });
    expect(parseSlice('a:b')).toEqual({ column: 'a:b' });
    expect(() => parseSlice('amount:20,10')).toThrow(/strictly ascending/);
    expect(withSliceColumn([{ column: 'x', buckets: [1] }], 'region')).toEqual([
      { column: 'x', buckets: [1] },
      { column: 'region' },
    ]);
    expect(withSliceColumn([{ column: 'region' }], 'region')).toEqual([{ column: 'region' }]);
  });

  it('builds gates, inferring the direction of well-known metrics', () => {
    expect(gateSpecOf({ metric: 'rmse', margin: 0.1, relativeMargin: true })).toEqual({
      metric: 'rmse',
      direction: 'lower',
      margin: { kind: 'relative', value: 0.1 },
    });
    expect(gateSpecOf({ metric: 'accuracy', threshold: 0.8, sliceColumn: 'region' })).toEqual({
      metric: 'accuracy',
      direction: 'higher',
      threshold: 0.8,
      slices: { column: 'region', minRows: 30, maxDegradation: 0 },
    });
    expect(() => gateSpecOf({ metric: 'residualP50' })).toThrow(/--direction/);
    expect(() => gateSpecOf({ metric: 'accuracy', relativeMargin: true })).toThrow(/needs --margin/);
    expect(bootstrapSpecOf({ confidence: 0.9, seed: 1 }, 'accuracy')).toBeUndefined();
    expect(bootstrapSpecOf({ bootstrap: 50, confidence: 0.9, seed: 1 }, 'rocAuc')).toEqual({
      resamples: 50,
      seed: 1,
      confidence: 0.9,
      headline: 'rocAuc',
    });
    expect([parseClassValue('1'), parseClassValue('yes'), parseClassValue('true')]).toEqual([1, 'yes', true]);
  });
});

describe('evaluation output', () => {
  it('formats metrics: 4 decimals, n/a for undefined, - for unavailable', () => {
    expect([
      formatMetric(0.81234),
      formatMetric(null),
      formatMetric(undefined),
      formatMetric(0.00001234),
    ]).toEqual(['0.8123', 'n/a', '-', '0.0000123']);
  });

  it('tables one row per metric and one column per model, marking baselines', () => {
    expect(metricTable(REPORT)).toBe(
      'METRIC    churn/2  churn-rules/1 (baseline)\n' +
        'accuracy  0.7000   0.7500\n' +
        'rocAuc    0.8123   -\n',
    );
  });

  it('summarises slices with the headline metric and flags small ones', () => {
    expect(slicesSection(REPORT, 'accuracy')).toBe(
      'Slices by region: accuracy (* = under 30 rows, too few to act on)\n' +
        'SLICE    ROWS  churn/2  churn-rules/1 (baseline)\n' +
        'north    80    0.5000   n/a\n' +
        'south *  20    1.0000   0.9000\n',
    );
  });

  it('prints a verdict with its reasons, and a refusal with how to override it', () => {
    expect(verdictSection(VERDICT)).toBe(
      'Gate FAILED: accuracy (higher is better), candidate churn/2 0.7000 vs baseline churn-rules/1 0.7500, required 0.8000\n' +
        '  fail: accuracy 0.7 vs baseline 0.75 is 0.05 worse; 0.05 better required\n',
    );
    const refusal = refusalSummary('churn', '2', 'champion', VERDICT, 'ev-1');
    expect(refusal).toMatch(
      /^Refused: churn version 2 failed the promotion gate; churn@champion was not moved\./,
    );
    expect(refusal).toContain('Evaluation: ev-1\n');
    expect(refusal).toContain('--force');
  });

  it('prints a whole evaluation', () => {
    const evaluation: Evaluation = {
      id: 'ev-9',
      createdAt: 0,
      createdBy: 'ana',
      settings: { task: 'binary', labelColumn: 'y' },
      dataset: { uri: 'runs:/r1/datasets/test.csv', format: 'csv', rows: 100, digest: 'sha256:ab' },
      models: [],
      report: REPORT,
      gate: { metric: 'accuracy', direction: 'higher', margin: { kind: 'absolute', value: 0.05 } },
      verdict: VERDICT,
      runId: 'r1',
    };
    const text = evaluationSummary(evaluation);
    expect(text).toContain('Evaluation ev-9 (run r1)\n');
    expect(text).toContain('Dataset:  runs:/r1/datasets/test.csv, 100 rows, sha256:ab\n');
    expect(text).toContain('Task:     binary, label column y; classes 0, 1; positive label 1\n');
    expect(text.indexOf('METRIC')).toBeLessThan(text.indexOf('Slices by region'));
    expect(text.indexOf('Slices by region')).toBeLessThan(text.indexOf('Gate FAILED'));
  });

  it('summarises fitted constant and rules baselines and policies', () => {
    const version = {
      name: 'b',
      version: '1',
      source: 'runs:/r/baseline',
    } as CreateBaselineResponse['modelVersion'];
    expect(
      baselineSummary({
        modelVersion: version,
        spec: {
          kind: 'constant',
          task: 'classification',
          strategy: 'majority',
          label: 0,
          probabilities: { 0: 0.6, 1: 0.4 },
        },
      }),
    ).toBe(
      'Registered b version 1 from runs:/r/baseline.\nBaseline: constant (majority)\n  label: 0\n  probabilities: {"0":0.6,"1":0.4}\n',
    );
    const rules = baselineSummary({
      modelVersion: version,
      spec: { kind: 'rules', output: 'label', rules: [{ when: 'f1 > 0.5', then: 1 }], default: 0 },
    });
    expect(rules).toContain('  output: label (the first rule that matches wins)\n');
    expect(rules).toMatch(/ {2}1\s+f1 > 0\.5\s+1\n/);
    expect(rules).toMatch(/ {2}-\s+\(default\)\s+0\n/);
    const policy: EvaluationPolicy = {
      task: 'binary',
      labelColumn: 'y',
      dataset: { uri: 'runs:/r/datasets/holdout.csv' },
      baseline: { name: 'churn-rules', alias: 'prod' },
      gate: {
        metric: 'accuracy',
        direction: 'higher',
        threshold: 0.6,
        margin: { kind: 'relative', value: 0.02 },
      },
    };
    expect(policySummary('churn', policy)).toContain(
      'Gate:      accuracy (higher is better), at least 0.6, better than the baseline by 2% of it\n',
    );
    expect(policySummary('churn', policy)).toContain('Baseline:  churn-rules@prod\n');
  });
});

// ---------------------------------------------------------------------------------------------
// End to end: baselines, a candidate, eval, gate, promote
// ---------------------------------------------------------------------------------------------

let platform: TestPlatform;
let client: SlipwayClient;
let workDir: string;

/** Runs `slipway <args>` in-process against the test platform. */
function cli(args: string[]): Promise<CliResult> {
  return runSlipway(args, { SLIPWAY_URL: platform.url, SLIPWAY_USER: 'eval-user' });
}

function json<T>(result: CliResult): T {
  expect(result.code, result.err).toBeUndefined();
  return JSON.parse(result.out) as T;
}

/** Deterministic uniform numbers in [0, 1) (a 32-bit LCG). */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/**
 * Binary churn data: y = 1 when f1 + f2 (plus a little noise) exceeds 1. A logistic model on f1 + f2
 * gets it nearly right; the rule `f1 > 0.5` about 3 in 4; a constant about half.
 */
function churnCsv(rows: number, seed: number): string {
  const next = random(seed);
  const lines = ['f1,f2,region,y'];
  for (let i = 0; i < rows; i++) {
    const f1 = Math.round(next() * 1000) / 1000;
    const f2 = Math.round(next() * 1000) / 1000;
    const region = next() < 0.7 ? 'north' : 'south';
    const y = f1 + f2 + (next() - 0.5) * 0.2 > 1 ? 1 : 0;
    lines.push(`${f1},${f2},${region},${y}`);
  }
  return `${lines.join('\n')}\n`;
}

/** p1 = sigmoid(w·(f1 + f2) + b) from two [N, 1] column inputs, with sklearn-onnx-like outputs. */
function churnOnnx(w: number, b: number): Uint8Array {
  const axis = (i: number) => ({ name: 'axis', type: 2, i });
  return onnxModel({
    inputs: [
      { name: 'f1', type: 'float32', shape: ['N', 1] },
      { name: 'f2', type: 'float32', shape: ['N', 1] },
    ],
    outputs: [
      { name: 'label', type: 'int64', shape: ['N'] },
      { name: 'probabilities', type: 'float32', shape: ['N', 2] },
    ],
    initializers: [
      floatTensor('w', [2, 1], [w, w]),
      floatTensor('b', [1], [b]),
      floatTensor('one', [1], [1]),
    ],
    nodes: [
      { opType: 'Concat', input: ['f1', 'f2'], output: ['x'], attribute: [axis(1)] },
      { opType: 'MatMul', input: ['x', 'w'], output: ['xw'] },
      { opType: 'Add', input: ['xw', 'b'], output: ['z'] },
      { opType: 'Sigmoid', input: ['z'], output: ['p1'] },
      { opType: 'Sub', input: ['one', 'p1'], output: ['p0'] },
      { opType: 'Concat', input: ['p0', 'p1'], output: ['probabilities'], attribute: [axis(1)] },
      {
        opType: 'ArgMax',
        input: ['probabilities'],
        output: ['label'],
        attribute: [axis(1), { name: 'keepdims', type: 2, i: 0 }],
      },
    ],
  });
}

const CHURN_MANIFEST =
  'format_version: 1\nruntime: onnx\nentry_point: model.onnx\n' +
  'contract:\n  inputs:\n    kind: columns\n    fields: [{ name: f1, type: float32 }, { name: f2, type: float32 }]\n' +
  '  outputs:\n    kind: columns\n    fields:\n' +
  '      - { name: label, type: int64, categories: [0, 1] }\n      - { name: probabilities, type: float32 }\n';

async function writePackage(dir: string, model: Uint8Array): Promise<string> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'slipway.yaml'), CHURN_MANIFEST);
  await writeFile(join(dir, 'model.onnx'), model);
  return dir;
}

describe('slipway baselines, eval, models gate and promote', () => {
  let train: string;
  let holdout: string;

  beforeAll(async () => {
    platform = await startTestPlatform({ listen: true });
    client = new SlipwayClient({ url: platform.url });
    workDir = await mkdtemp(join(tmpdir(), 'slipway-cli-eval-'));
    train = join(workDir, 'train.csv');
    holdout = join(workDir, 'holdout.csv');
    await writeFile(train, churnCsv(400, 1));
    await writeFile(holdout, churnCsv(300, 2));
    await writeFile(join(workDir, 'rules.yaml'), '- when: "f1 > 0.5"\n');
  });
  afterAll(async () => {
    await platform?.close();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  it('fits a constant and a rules baseline from the training split and registers them', async () => {
    const constant = json<CreateBaselineResponse>(
      await cli([
        'baselines',
        'create',
        'churn-const',
        '--kind',
        'constant',
        '--task',
        'binary',
        '--label',
        'y',
        '--dataset',
        train,
        '--experiment',
        'churn-training',
        '--json',
      ]),
    );
    expect(constant.modelVersion).toMatchObject({ name: 'churn-const', version: '1', userId: 'eval-user' });
    expect(constant.modelVersion.package?.runtime).toBe('baseline');
    expect(constant.spec).toMatchObject({ kind: 'constant', strategy: 'majority' });

    const rules = await cli([
      'baselines',
      'create',
      'churn-rules',
      '--kind',
      'rules',
      '--task',
      'binary',
      '--label',
      'y',
      '--dataset',
      train,
      '--rules',
      join(workDir, 'rules.yaml'),
      '--experiment',
      'churn-training',
      '--description',
      'f1 alone',
    ]);
    expect(rules.code, rules.err).toBeUndefined();
    expect(rules.out).toMatch(/^Registered churn-rules version 1 from runs:\/.+\.\n/);
    expect(rules.out).toContain('Baseline: rules\n');
    // The rule's output and the default are fitted: the majority label on each side of f1 = 0.5.
    expect(rules.out).toMatch(/ {2}1\s+f1 > 0\.5\s+1\n/);
    expect(rules.out).toMatch(/ {2}-\s+\(default\)\s+0\n/);
    expect((await client.models.getVersion('churn-rules', 1)).description).toBe('f1 alone');

    // The training data went into a run of the experiment, created because it did not exist.
    const experiment = await client.experiments.getByName('churn-training');
    const runs = await client.runs.search({ experimentIds: [experiment.experimentId] });
    const uploads = runs.runs.filter((r) => r.data.tags['slipway.source'] === 'slipway baselines create');
    expect(uploads).toHaveLength(2);
    expect(uploads.every((r) => r.info.status === 'FINISHED')).toBe(true);
  });

  it('registers a complete spec given with --spec instead of fitting', async () => {
    const spec = join(workDir, 'spec.json');
    await writeFile(
      spec,
      JSON.stringify({ kind: 'rules', output: 'label', rules: [{ when: 'f2 > 0.5', then: 1 }], default: 0 }),
    );
    const res = await cli(['baselines', 'create', 'churn-f2', '--spec', spec]);
    expect(res.code, res.err).toBeUndefined();
    expect(res.out).toMatch(/^Registered churn-f2 version 1 from runs:\/.+\.\nBaseline: rules\n/);
    expect(res.out).toMatch(/ {2}1\s+f2 > 0\.5\s+1\n/);
    const both = await cli(['baselines', 'create', 'churn-f2', '--spec', spec, '--kind', 'constant']);
    expect(both.code).toBe(1);
    expect(both.err).toMatch(/cannot be used with option '--kind/);
  });

  it('refuses a fit without its options', async () => {
    const res = await cli(['baselines', 'create', 'nope', '--kind', 'rules', '--task', 'binary']);
    expect(res.code).toBe(1);
    expect(res.err).toContain('without --spec, --label, --dataset are required');
  });

  it('registers an ONNX candidate and a worse one', async () => {
    const good = await writePackage(join(workDir, 'good'), churnOnnx(12, -12));
    const bad = await writePackage(join(workDir, 'bad'), churnOnnx(-12, 12));
    for (const dir of [good, bad]) {
      const res = await cli(['models', 'register', 'churn', '--from-dir', dir]);
      expect(res.code, res.err).toBeUndefined();
    }
    expect((await client.models.getVersion('churn', 2)).package?.runtime).toBe('onnx');
    const alias = await cli(['models', 'alias', 'churn-rules', 'prod', '1']);
    expect(alias.code, alias.err).toBeUndefined();
  });

  it('evaluates the candidate and both baselines on the held-out data and prints the comparison', async () => {
    const res = await cli([
      'eval',
      '--dataset',
      holdout,
      '--task',
      'binary',
      '--label',
      'y',
      '--model',
      'churn/1',
      '--baseline',
      'churn-const/1',
      '--baseline',
      'churn-rules@prod',
      '--slice',
      'region',
      '--slice',
      'f1:0.25,0.5,0.75',
      '--min-slice-rows',
      '100',
      '--bootstrap',
      '200',
      '--headline',
      'accuracy',
      '--seed',
      '7',
      '--decision-threshold',
      '0.3',
      '--optimize-threshold-for',
      'accuracy',
    ]);
    expect(res.code, res.err).toBeUndefined();
    const out = res.out;
    expect(out).toMatch(/^Confusion matrix of churn\/1 \(rows: true, columns: predicted\)$/m);
    expect(out).toMatch(/^TRUE \\ PREDICTED +0 +1$/m);
    expect(out).toMatch(/^At threshold 0\.3: precision [\d.]+, recall [\d.]+, f1 [\d.]+, accuracy [\d.]+$/m);
    expect(out).toMatch(/^Best threshold for accuracy: [\d.]+ \([\d.]+\)$/m);
    expect(out).toMatch(/^Evaluation \S+ \(run \w+\)\n/);
    expect(out).toMatch(/Dataset: +runs:\/\w+\/datasets\/holdout\.csv, 300 rows, sha256:/);
    expect(out).toMatch(/^METRIC +churn\/1 +churn-const\/1 \(baseline\) +churn-rules\/1 \(baseline\)$/m);
    const accuracy = /^accuracy +([\d.]+) +([\d.]+) +([\d.]+)$/m.exec(out);
    expect(accuracy, out).not.toBeNull();
    const [cand, constant, rules] = (accuracy ?? []).slice(1).map(Number) as [number, number, number];
    expect(cand).toBeGreaterThan(0.9);
    expect(rules).toBeGreaterThan(constant);
    expect(cand).toBeGreaterThan(rules + 0.1);
    expect(out).toMatch(/^rocAuc +[\d.]+ +0\.5000 +/m);
    expect(out).toContain('Bootstrap 95% CI of accuracy (200 resamples, seed 7)\n');
    expect(out).toMatch(/^churn\/1 +churn-const\/1 +\+0\.\d+ +\+0\.\d+ +\+0\.\d+ +100%$/m);
    expect(out).toContain('Slices by region: accuracy');
    expect(out).toMatch(/^Slices by f1: accuracy \(\* = under 100 rows, too few to act on\)$/m);
    expect(out).toMatch(/^\[0\.5, 0\.75\)/m);
    expect(out).not.toContain('Gate ');

    // The run holds the dataset and the logged metrics, and ended FINISHED.
    const runId = /\(run (\w+)\)/.exec(out)?.[1] ?? '';
    const run = await client.runs.get(runId);
    expect(run.info.status).toBe('FINISHED');
    expect(run.data.tags['slipway.source']).toBe('slipway eval');
    const experiment = await client.experiments.get(run.info.experimentId);
    expect(experiment.name).toBe('slipway-evaluations');
    expect(run.data.metrics.some((m) => m.key === 'churn/1/accuracy')).toBe(true);
  });

  it('exits 0 when the candidate passes an eval gate and 1 when a worse one fails it', async () => {
    const base = [
      'eval',
      '--dataset',
      holdout,
      '--task',
      'binary',
      '--label',
      'y',
      '--baseline',
      'churn-rules/1',
    ];
    const gate = ['--gate-metric', 'accuracy', '--margin', '0.05'];
    const passed = await cli([...base, '--model', 'churn/1', ...gate]);
    expect(passed.code, passed.err).toBeUndefined();
    expect(passed.out).toMatch(/^Gate PASSED: accuracy \(higher is better\), candidate churn\/1 /m);
    expect(passed.out).toMatch(/^ {2}pass: /m);

    const failed = await cli([...base, '--model', 'churn/2', ...gate, '--json']);
    expect(failed.code).toBe(1);
    const { evaluation } = JSON.parse(failed.out) as { evaluation: Evaluation };
    expect(evaluation.verdict?.passed).toBe(false);
    expect(evaluation.gate).toEqual({
      metric: 'accuracy',
      direction: 'higher',
      margin: { kind: 'absolute', value: 0.05 },
    });
  });

  it('queues an evaluation as a job with --detach; the job names the stored evaluation and its verdict', async () => {
    const args = ['eval', '--dataset', holdout, '--task', 'binary', '--label', 'y'];
    const models = ['--model', 'churn/2', '--baseline', 'churn-rules/1'];
    const gate = ['--gate-metric', 'accuracy', '--margin', '0.05'];
    const queued = json<JobDetailsOf<'evaluation'>>(
      await cli([...args, ...models, ...gate, '--detach', '--json']),
    );
    expect(queued).toMatchObject({ kind: 'evaluation', payload: { request: { task: 'binary' } } });
    const done = await client.jobs.wait(queued.id, { intervalMs: 50 });
    if (done.kind !== 'evaluation') throw new Error(`unexpected kind ${done.kind}`);
    expect(done.state, JSON.stringify(done.error)).toBe('succeeded');
    const stored = await client.evaluations.get(done.result?.evaluationId ?? '');
    expect(stored.verdict?.passed).toBe(false);
    expect(done.result?.verdict).toEqual(stored.verdict);
    // The same request run in the request: the same report, metric for metric.
    const sync = json<{ evaluation: Evaluation }>(await cli([...args, ...models, '--json'])).evaluation;
    expect(stored.report.models.map((m) => m.metrics)).toEqual(sync.report.models.map((m) => m.metrics));
    // The dataset was uploaded into the evaluation's run before the job was queued.
    expect(stored.runId).toBe(queued.payload.request.runId);

    const plain = await cli([...args, ...models, '--detach']);
    expect(plain.code, plain.err).toBeUndefined();
    expect(plain.out).toMatch(/^job_[0-9a-f]{32}\n$/);
    const listed = await cli(['jobs', 'list', '--kind', 'evaluation']);
    expect(listed.out).toContain(queued.id);
    expect(listed.out).toContain(plain.out.trim());
    await client.jobs.wait(plain.out.trim(), { intervalMs: 50 });
    const shown = await cli(['jobs', 'show', queued.id]);
    expect(shown.out).toMatch(new RegExp(`^evaluation: +${stored.id}$`, 'm'));
    expect(shown.out).toMatch(/^gate: +failed$/m);

    // Refused at submit, before anything is queued: an unknown model, named by position.
    const unknown = await cli([...args, '--model', 'nosuch/1', '--detach']);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toMatch(/nosuch/);
  });

  it('sets, shows and deletes a gate', async () => {
    const set = await cli([
      'models',
      'gate',
      'set',
      'churn',
      '--dataset',
      holdout,
      '--task',
      'binary',
      '--label',
      'y',
      '--baseline',
      'churn-rules@prod',
      '--metric',
      'accuracy',
      '--margin',
      '0.05',
      '--slice-column',
      'region',
      '--slice-min-rows',
      '40',
      '--slice-max-degradation',
      '0.1',
    ]);
    expect(set.code, set.err).toBeUndefined();
    expect(set.out).toContain('Set the evaluation policy of churn.\n');
    expect(set.out).toContain('Baseline:     churn-rules@prod\n');
    expect(set.out).toContain('Gate slices:  region: slices of at least 40 rows may be at most 0.1 worse\n');

    const shown = json<{ policy: EvaluationPolicy }>(
      await cli(['models', 'gate', 'show', 'churn', '--json']),
    );
    expect(shown.policy).toMatchObject({
      task: 'binary',
      labelColumn: 'y',
      dataset: { uri: expect.stringMatching(/^runs:\/\w+\/datasets\/holdout\.csv$/) as unknown },
      baseline: { name: 'churn-rules', alias: 'prod' },
      gate: { metric: 'accuracy', direction: 'higher', slices: { column: 'region', minRows: 40 } },
      slices: [{ column: 'region' }],
    });

    const deleted = await cli(['models', 'gate', 'delete', 'churn']);
    expect(deleted.code, deleted.err).toBeUndefined();
    expect(deleted.out).toBe('Deleted the evaluation policy of churn.\n');
    const gone = await cli(['models', 'gate', 'show', 'churn']);
    expect(gone.code).toBe(1);
    expect(gone.err).toContain('error NOT_FOUND');
    const ungated = await cli(['models', 'promote', 'churn', '1', '--alias', 'champion']);
    expect(ungated.code).toBe(1);
    expect(ungated.err).toContain('error FAILED_PRECONDITION (name)');
    expect(ungated.err).toContain('no evaluation policy');
  });

  it('promotes the candidate only when it beats the baseline, refuses a worse one, and audits a forced one', async () => {
    const set = await cli([
      'models',
      'gate',
      'set',
      'churn',
      '--dataset',
      holdout,
      '--task',
      'binary',
      '--label',
      'y',
      '--baseline',
      'churn-rules/1',
      '--metric',
      'accuracy',
      '--margin',
      '0.05',
      '--protect',
      'champion',
    ]);
    expect(set.code, set.err).toBeUndefined();
    expect(set.out).toMatch(/Protected aliases: +champion \(only a gated promotion moves them\)/);
    const ungated = await cli(['models', 'alias', 'churn', 'champion', '1', '--force']);
    expect(ungated.code).toBe(1);
    expect(ungated.err).toMatch(/protected by its evaluation policy/);

    const promoted = await cli([
      'models',
      'promote',
      'churn',
      '1',
      '--alias',
      'champion',
      '--reason',
      'beats rules',
    ]);
    expect(promoted.code, promoted.err).toBeUndefined();
    expect(promoted.out).toMatch(/^Set churn@champion to version 1\.\nGate PASSED: accuracy/);
    expect(promoted.out).toMatch(/^Evaluation: \S+ \(run \w+\)$/m);
    expect(promoted.err).toBe('');

    const refused = await cli(['models', 'promote', 'churn', '2', '--alias', 'champion']);
    expect(refused.code).toBe(1);
    expect(refused.out).toMatch(
      /^Refused: churn version 2 failed the promotion gate; churn@champion was not moved\.\nGate FAILED: /,
    );
    expect(refused.out).toMatch(/^ {2}fail: accuracy/m);
    expect((await client.models.getByAlias('churn', 'champion')).version).toBe('1');

    // The SDK surfaces the same refusal with the verdict readable from the error.
    const error = await client.models.promote('churn', 2, { alias: 'champion' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FailedPreconditionError);
    expect(gateVerdictOf(error)).toMatchObject({ passed: false, metric: 'accuracy' });
    expect(gateVerdictOf(new Error('x'))).toBeUndefined();

    const forced = await cli([
      'models',
      'promote',
      'churn',
      '2',
      '--alias',
      'champion',
      '--force',
      '--reason',
      'incident drill',
    ]);
    expect(forced.code, forced.err).toBeUndefined();
    expect(forced.out).toMatch(
      /^Moved churn@champion from version 1 to 2 \(FORCED past a failing gate\)\.\nGate FAILED: /,
    );
    expect(forced.err).toContain('WARNING: the promotion gate of churn FAILED for version 2.');
    expect(forced.err).toContain('churn@champion was moved anyway because of --force.');
    expect(forced.err).toContain('This override is audited');
    expect(forced.err).toMatch(/^ {2}fail: accuracy/m);
    const forcedId = /^Evaluation: (\S+)/m.exec(forced.out)?.[1] ?? '';
    const forcedEvaluation = await client.evaluations.get(forcedId);
    expect(forcedEvaluation.promotion).toEqual({ alias: 'champion', version: '2', outcome: 'forced' });
    expect((await client.models.getByAlias('churn', 'champion')).version).toBe('2');

    const history = json<{ events: RegistryEvent[] }>(
      await cli(['models', 'history', 'churn', '--alias', 'champion', '--json']),
    );
    const moves = history.events.filter((e) => e.type === 'alias.set');
    expect(moves.map((e) => [e.toVersion, e.reason, e.actor, e.gate?.passed])).toEqual([
      ['1', 'beats rules', 'eval-user', true],
      ['2', 'incident drill', 'eval-user', false],
    ]);
    expect(moves[1]?.gate).toMatchObject({
      metric: 'accuracy',
      overridden: true,
      evaluationId: forcedId,
    });
    const table = await cli(['models', 'history', 'churn', '--alias', 'champion']);
    expect(table.out).toMatch(
      /alias\.set +eval-user +champion: 1 -> 2 \(GATE FAILED on accuracy, overridden\) .*incident drill/,
    );
    expect(table.out).toMatch(/champion: - -> 1 \(gate passed on accuracy\)/);

    const attempts = await client.evaluations.list({ model: 'churn', promotions: true });
    expect(attempts.map((e) => e.promotion?.outcome)).toEqual(['forced', 'refused', 'refused', 'promoted']);
    expect(attempts[0]?.id).toBe(forcedId);
  });

  it('evaluates and gates a ranking baseline by query with --query-column and --k', async () => {
    // 12 queries of 5 rows; relevance grows with f1 (with a flip every 7th row); lang is per query.
    const lines = ['q,lang,f1,rel'];
    for (let i = 0; i < 60; i++) {
      const f1 = ((i * 37) % 100) / 100;
      const rel = (f1 > 0.66 ? 2 : f1 > 0.33 ? 1 : 0) + (i % 7 === 0 ? 1 : 0);
      const q = Math.floor(i / 5);
      lines.push(`q${q},${q % 3 === 0 ? 'fr' : 'en'},${f1},${rel}`);
    }
    const data = join(workDir, 'ranking.csv');
    await writeFile(data, `${lines.join('\n')}\n`);
    const specs: [string, unknown][] = [
      [
        'rank-f1',
        [
          { when: 'f1 > 0.66', then: 2 },
          { when: 'f1 > 0.33', then: 1 },
        ],
      ],
      ['rank-flat', [{ when: 'f1 > 2', then: 1 }]],
    ];
    for (const [name, rules] of specs) {
      const file = join(workDir, `${name}.json`);
      await writeFile(file, JSON.stringify({ kind: 'rules', output: 'score', rules, default: 0 }));
      const res = await cli(['baselines', 'create', name, '--spec', file]);
      expect(res.code, res.err).toBeUndefined();
    }
    const args = [
      '--dataset',
      data,
      '--task',
      'ranking',
      '--label',
      'rel',
      '--query-column',
      'q',
      '--k',
      '3',
    ];
    const res = await cli([
      'eval',
      ...args,
      '--model',
      'rank-f1/1',
      '--baseline',
      'rank-flat/1',
      '--slice',
      'lang',
      '--bootstrap',
      '100',
      '--gate-metric',
      'ndcg',
    ]);
    expect(res.code, res.err).toBeUndefined();
    expect(res.out).toContain(
      'ranking, label column rel; query column q, 12 queries (0 without a relevant row), k 3\n',
    );
    for (const metric of ['ndcg', 'map', 'mrr', 'precision', 'recall']) {
      expect(res.out).toMatch(new RegExp(`^${metric} +[\\d.]+ +[\\d.]+$`, 'm'));
    }
    expect(res.out).toContain('Bootstrap 95% CI of ndcg (100 resamples, resampling 12 queries, seed 42)\n');
    expect(res.out).toMatch(/^SLICE +ROWS +QUERIES +rank-f1\/1 +rank-flat\/1 \(baseline\)$/m);
    expect(res.out).toMatch(/^en +40 +8 +0\.\d+ +0\.\d+$/m);
    expect(res.out).toMatch(/^fr \* +20 +4 +/m);
    expect(res.out).toMatch(/^Gate PASSED: ndcg \(higher is better\)/m);

    const wrongTask = await cli([
      'eval',
      ...args.slice(0, 3),
      'binary',
      ...args.slice(4),
      '--model',
      'rank-f1/1',
    ]);
    expect(wrongTask.code).toBe(1);
    expect(wrongTask.err).toContain('queryColumn applies to the ranking task only, not binary');

    const set = json<{ policy: EvaluationPolicy }>(
      await cli([
        'models',
        'gate',
        'set',
        'rank-f1',
        ...args,
        '--baseline',
        'rank-flat/1',
        '--metric',
        'map',
        '--json',
      ]),
    );
    expect(set.policy).toMatchObject({
      task: 'ranking',
      queryColumn: 'q',
      k: 3,
      gate: { metric: 'map', direction: 'higher' },
    });
  });
});
