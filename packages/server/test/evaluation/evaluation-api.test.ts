/**
 * The evaluation API end to end over in-process HTTP on a real platform (SQLite, filesystem
 * artifacts, DuckDB dataset reading, ONNX Runtime): baselines fitted from an uploaded CSV, an ONNX
 * candidate, evaluations, policies and gated promotion, and the refusals that must store nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  Evaluation,
  GateVerdict,
  JobDetails,
  ModelVersion,
  PromoteResponse,
  RegistryEvent,
} from '@slipway/contracts';
import { nativeApi, type NativeReply } from '../helpers/native-api.js';
import { logisticClassifierOnnx } from '../helpers/onnx-models.js';
import { startTestPlatform, type TestPlatform } from '../helpers/test-platform.js';

let platform: TestPlatform;
const api = nativeApi(() => platform.app);

/** Deterministic rows: label = [2a − b + noise > 0]; `region` for slices. */
function rows(n: number, seed: number): Record<string, number | string>[] {
  let state = seed;
  const next = (): number => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
  return Array.from({ length: n }, (_, i) => {
    const a = next() * 2 - 1;
    const b = next() * 2 - 1;
    const noise = (next() - 0.5) * 0.6;
    return { a, b, region: i % 3 === 0 ? 'north' : 'south', churned: 2 * a - b + noise > 0 ? 1 : 0 };
  });
}

function csv(data: Record<string, number | string>[]): string {
  const header = Object.keys(data[0] ?? {});
  return [header.join(','), ...data.map((r) => header.map((h) => String(r[h])).join(','))].join('\n') + '\n';
}

function ok(reply: NativeReply, status = 200): Record<string, unknown> {
  expect(reply.status, JSON.stringify(reply.body)).toBe(status);
  return reply.body;
}

function errorOf(
  reply: NativeReply,
  status: number,
  code: string,
): { message: string; details: Record<string, unknown> } {
  expect(reply.status, JSON.stringify(reply.body)).toBe(status);
  const error = reply.body['error'] as { code: string; message: string; details: Record<string, unknown> };
  expect(error.code).toBe(code);
  return error;
}

async function createRun(): Promise<string> {
  const body = ok(await api('POST', '/runs', { experimentId: '0' }), 201);
  return (body['run'] as { info: { runId: string } }).info.runId;
}

async function upload(runId: string, path: string, content: string | Uint8Array): Promise<void> {
  const res = await platform.app.inject({
    method: 'PUT',
    url: `/api/v1/runs/${runId}/artifacts/${path}`,
    payload: Buffer.from(content),
    headers: { 'content-type': 'application/octet-stream' },
  });
  expect(res.statusCode, res.body).toBe(201);
}

const CANDIDATE_MANIFEST = `format_version: 1
runtime: onnx
entry_point: model.onnx
contract:
  inputs:
    kind: columns
    fields: [{ name: a, type: float32 }, { name: b, type: float32 }]
  outputs:
    kind: tensors
    fields:
      - { name: label, type: int64, shape: [-1] }
      - { name: probabilities, type: float32, shape: [-1, 2] }
`;

/** Registers a logistic ONNX model with the given weights as the next version of `churn`. */
async function registerCandidate(weights: [number, number]): Promise<ModelVersion> {
  const runId = await createRun();
  await upload(runId, 'model/slipway.yaml', CANDIDATE_MANIFEST);
  await upload(runId, 'model/model.onnx', logisticClassifierOnnx(weights, 0));
  const body = ok(
    await api('POST', '/models/register', { name: 'churn', source: `runs:/${runId}/model`, runId }),
    201,
  );
  return body['modelVersion'] as ModelVersion;
}

let train = '';
let holdout = '';

beforeAll(async () => {
  platform = await startTestPlatform();
  const runId = await createRun();
  await upload(runId, 'datasets/train.csv', csv(rows(600, 1)));
  await upload(runId, 'datasets/holdout.csv', csv(rows(400, 2)));
  train = `runs:/${runId}/datasets/train.csv`;
  holdout = `runs:/${runId}/datasets/holdout.csv`;
});
afterAll(async () => {
  await platform.close();
});

async function evaluationCount(): Promise<number> {
  const body = ok(await api('GET', '/evaluations?limit=1000'));
  return (body['evaluations'] as Evaluation[]).length;
}

describe('baselines fitted from a dataset in the artifact store', () => {
  it('fits a constant baseline: majority label, class priors, contract inferred from the columns', async () => {
    const body = ok(
      await api('POST', '/baselines', {
        name: 'churn-constant',
        fit: { kind: 'constant', task: 'binary', labelColumn: 'churned', dataset: { uri: train } },
      }),
    );
    const spec = body['spec'] as { kind: string; label: number; probabilities: Record<string, number> };
    const labels = rows(600, 1).map((r) => r['churned']);
    const ones = labels.filter((l) => l === 1).length / labels.length;
    expect(spec.kind).toBe('constant');
    expect(spec.label).toBe(ones >= 0.5 ? 1 : 0);
    expect(spec.probabilities['1']).toBeCloseTo(ones, 12);
    const version = body['modelVersion'] as ModelVersion;
    expect(version).toMatchObject({
      name: 'churn-constant',
      version: '1',
      tags: { 'slipway.baseline_kind': 'constant' },
    });
    expect(version.package?.runtime).toBe('baseline');
    expect(version.contract?.inputs.fields.map((f) => f.name)).toEqual(['a', 'b', 'region']);
  });

  it('fits a rules baseline: outputs of rules without then come from the rows they match first', async () => {
    const body = ok(
      await api('POST', '/baselines', {
        name: 'churn-rules',
        fit: {
          kind: 'rules',
          task: 'binary',
          labelColumn: 'churned',
          dataset: { uri: train },
          rules: [{ when: 'a > 0.3' }, { when: "region = 'north'", then: 0 }],
        },
      }),
    );
    const spec = body['spec'] as {
      rules: { when: string; then: unknown }[];
      default: unknown;
      output: string;
    };
    expect(spec.output).toBe('label');
    expect(spec.rules[0]?.then).toBe(1);
    expect(spec.rules[1]?.then).toBe(0);
    expect((body['modelVersion'] as ModelVersion).version).toBe('1');
  });

  it('refuses a rule over an unknown column with its position, and registers nothing', async () => {
    const reply = await api('POST', '/baselines', {
      name: 'churn-rules',
      fit: {
        kind: 'rules',
        task: 'binary',
        labelColumn: 'churned',
        dataset: { uri: train },
        rules: [{ when: 'amout > 3' }],
      },
    });
    const error = errorOf(reply, 400, 'INVALID_ARGUMENT');
    expect(error.message).toMatch(/amout/);
    errorOf(await api('GET', '/models/churn-rules/versions/2'), 404, 'NOT_FOUND');
  });

  it('refuses a missing label column naming it', async () => {
    const reply = await api('POST', '/baselines', {
      name: 'churn-constant',
      fit: { kind: 'constant', task: 'binary', labelColumn: 'label', dataset: { uri: train } },
    });
    expect(errorOf(reply, 400, 'INVALID_ARGUMENT').details['field']).toBe('fit.labelColumn');
  });

  it('registers a declared SQL baseline and refuses one that writes', async () => {
    const good = ok(
      await api('POST', '/baselines', {
        name: 'churn-sql',
        spec: {
          kind: 'sql',
          query: 'SELECT row_id, CASE WHEN a > b THEN 1 ELSE 0 END AS label FROM input',
          output: 'label',
        },
      }),
    );
    expect((good['modelVersion'] as ModelVersion).package?.runtime).toBe('baseline');
    const bad = await api('POST', '/baselines', {
      name: 'churn-sql',
      spec: { kind: 'sql', query: 'DROP TABLE input' },
    });
    errorOf(bad, 400, 'INVALID_ARGUMENT');
  });
});

describe('evaluations', () => {
  it('scores an ONNX candidate and two baselines side by side, stored and logged to a run', async () => {
    await registerCandidate([2, -1]);
    const before = await evaluationCount();
    const body = ok(
      await api(
        'POST',
        '/evaluations',
        {
          task: 'binary',
          labelColumn: 'churned',
          dataset: { uri: holdout },
          models: [
            { name: 'churn', version: '1' },
            { name: 'churn-constant', version: '1', role: 'baseline' },
            { name: 'churn-rules', version: '1', role: 'baseline' },
          ],
          slices: [{ column: 'region' }, { column: 'a', buckets: [0] }],
          bootstrap: { resamples: 200, seed: 7, confidence: 0.9, headline: 'accuracy' },
        },
        { 'x-slipway-user': 'ada' },
      ),
    );
    const evaluation = body['evaluation'] as Evaluation;
    expect(evaluation.createdBy).toBe('ada');
    expect(evaluation.dataset).toMatchObject({ uri: holdout, format: 'csv', rows: 400 });
    expect(evaluation.dataset.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    const metric = (id: string, name: string): number | null | undefined =>
      evaluation.report.models.find((m) => m.id === id)?.metrics[name];
    const candidate = metric('churn/1', 'accuracy') ?? 0;
    expect(candidate).toBeGreaterThan(0.85);
    // The evaluated data became the candidate's reference profile: its contract's columns only.
    const reference = ok(await api('GET', '/monitoring/reference-profiles/churn/1'))['reference'] as {
      source: string;
      profile: { rowCount: number; columns: Record<string, { kind: string; count: number }> };
    };
    expect(reference.source).toBe('evaluation');
    expect(reference.profile.rowCount).toBe(400);
    // The contract's inputs and the candidate's scalar outputs (probabilities, an array, are left out).
    expect(Object.keys(reference.profile.columns).sort()).toEqual(['a', 'b', 'label']);
    expect(reference.profile.columns['a']).toMatchObject({ kind: 'numeric', count: 400 });
    expect(candidate).toBeGreaterThan(metric('churn-constant/1', 'accuracy') ?? 1);
    expect(candidate).toBeGreaterThan(metric('churn-rules/1', 'accuracy') ?? 1);
    expect(metric('churn-constant/1', 'rocAuc')).toBe(0.5);
    expect(metric('churn-rules/1', 'rocAuc')).toBeUndefined();
    expect(evaluation.report.slices.map((g) => g.slices.map((s) => s.label))).toEqual([
      ['north', 'south'],
      ['(-inf, 0)', '[0, +inf)'],
    ]);
    expect(evaluation.report.bootstrap?.differences).toHaveLength(2);
    expect(await evaluationCount()).toBe(before + 1);
    expect(ok(await api('GET', `/evaluations/${evaluation.id}`))['evaluation']).toEqual(evaluation);

    const run = ok(await api('GET', `/runs/${evaluation.runId ?? ''}`))['run'] as {
      info: { status: string };
      data: { metrics: { key: string; value: number }[]; tags: Record<string, string> };
    };
    expect(run.info.status).toBe('FINISHED');
    expect(run.data.tags['slipway.evaluation_id']).toBe(evaluation.id);
    expect(run.data.metrics.find((m) => m.key === 'churn/1/accuracy')?.value).toBe(candidate);
  });

  it('lists evaluations by model and version, newest first', async () => {
    const byModel = ok(await api('GET', '/evaluations?model=churn-rules'))['evaluations'] as Evaluation[];
    expect(byModel.length).toBeGreaterThan(0);
    expect(byModel.every((e) => e.models.some((m) => m.name === 'churn-rules'))).toBe(true);
    const none = ok(await api('GET', '/evaluations?model=churn&version=99'))['evaluations'] as Evaluation[];
    expect(none).toEqual([]);
  });

  it('evaluates inline rows with a gate and returns its verdict', async () => {
    const body = ok(
      await api('POST', '/evaluations', {
        task: 'binary',
        labelColumn: 'churned',
        dataset: { rows: rows(200, 3) },
        models: [
          { name: 'churn', version: '1' },
          { name: 'churn-constant', version: '1', role: 'baseline' },
        ],
        gate: { metric: 'accuracy', direction: 'higher', margin: { kind: 'absolute', value: 0.1 } },
      }),
    );
    const evaluation = body['evaluation'] as Evaluation;
    expect(evaluation.dataset.uri).toBeUndefined();
    expect(evaluation.verdict?.passed).toBe(true);
    expect(evaluation.verdict?.candidate.id).toBe('churn/1');
  });

  it.each([
    ['a missing label column', { labelColumn: 'nope' }, 'rows[0].nope'],
    ['a dataset outside the store', { dataset: { uri: 's3://bucket/holdout.csv' } }, 'dataset.uri'],
    ['both uri and rows', { dataset: { uri: 'runs:/x/a.csv', rows: [{ a: 1 }] } }, 'dataset'],
    [
      'a gate with two baselines',
      {
        gate: { metric: 'accuracy', direction: 'higher' },
        models: [
          { name: 'churn', version: '1' },
          { name: 'churn-constant', version: '1', role: 'baseline' },
          { name: 'churn-rules', version: '1', role: 'baseline' },
        ],
      },
      'gate',
    ],
    ['an unknown gate metric', { gate: { metric: 'acuracy', direction: 'higher' } }, 'gate.metric'],
    [
      'a model given by both version and alias',
      { models: [{ name: 'churn', version: '1', alias: 'x' }] },
      'models[0]',
    ],
    ['an unknown model version', { models: [{ name: 'churn', version: '42' }] }, undefined],
  ])('refuses %s and stores nothing', async (_label, change, field) => {
    const before = await evaluationCount();
    const reply = await api('POST', '/evaluations', {
      task: 'binary',
      labelColumn: 'churned',
      dataset: { uri: holdout },
      models: [
        { name: 'churn', version: '1' },
        { name: 'churn-constant', version: '1', role: 'baseline' },
      ],
      ...change,
    });
    expect(reply.status, JSON.stringify(reply.body)).toBeGreaterThanOrEqual(400);
    expect(reply.status).toBeLessThan(500);
    const error = reply.body['error'] as { details?: { field?: string } };
    if (field !== undefined) expect(error.details?.field).toBe(field);
    expect(await evaluationCount()).toBe(before);
  });
});

describe('policies and gated promotion', () => {
  const policy = (): Record<string, unknown> => ({
    task: 'binary',
    labelColumn: 'churned',
    dataset: { uri: holdout },
    baseline: { name: 'churn-rules', version: '1' },
    gate: { metric: 'accuracy', direction: 'higher', margin: { kind: 'absolute', value: 0.02 } },
    slices: [{ column: 'region' }],
    protectedAliases: ['champion'],
  });

  it('refuses promotion while the model has no policy', async () => {
    const reply = await api('POST', '/models/churn/versions/1/promote', { alias: 'champion' });
    expect(errorOf(reply, 409, 'FAILED_PRECONDITION').message).toMatch(/no evaluation policy/);
  });

  it('stores, reads and validates a policy', async () => {
    expect(ok(await api('PUT', '/models/churn/evaluation-policy', policy()))['policy']).toEqual(policy());
    expect(ok(await api('GET', '/models/churn/evaluation-policy'))['policy']).toEqual(policy());
    const badMetric = await api('PUT', '/models/churn/evaluation-policy', {
      ...policy(),
      gate: { metric: 'rmse', direction: 'lower' },
    });
    expect(errorOf(badMetric, 400, 'INVALID_ARGUMENT').details['field']).toBe('gate.metric');
    const badBaseline = await api('PUT', '/models/churn/evaluation-policy', {
      ...policy(),
      baseline: { name: 'churn-rules', version: '9' },
    });
    errorOf(badBaseline, 404, 'NOT_FOUND');
    expect(ok(await api('GET', '/models/churn/evaluation-policy'))['policy']).toEqual(policy());
  });

  it('refuses every ungated move of a protected alias, native and MLflow alike', async () => {
    const native = await api('PUT', '/models/churn/aliases/champion', { version: '1', force: true });
    expect(errorOf(native, 409, 'FAILED_PRECONDITION').details['field']).toBe('alias');
    const mlflow = await platform.app.inject({
      method: 'POST',
      url: '/api/2.0/mlflow/registered-models/alias',
      payload: { name: 'churn', alias: 'champion', version: '1' },
    });
    expect(mlflow.statusCode).toBeGreaterThanOrEqual(400);
    expect(mlflow.body).toMatch(/protected by its evaluation policy/);
    ok(await api('PUT', '/models/churn/aliases/staging', { version: '1' }));
  });

  it('refuses a policy protecting an invalid alias name', async () => {
    const reply = await api('PUT', '/models/churn/evaluation-policy', {
      ...policy(),
      protectedAliases: ['v1'],
    });
    expect(errorOf(reply, 400, 'INVALID_ARGUMENT').details['field']).toBe('protectedAliases[0]');
  });

  it('promotes a candidate that beats the baseline, recording the verdict in the alias event', async () => {
    const body = ok(
      await api('POST', '/models/churn/versions/1/promote', { alias: 'champion', reason: 'beats rules' }),
    );
    const result = body as unknown as PromoteResponse;
    expect(result.forced).toBe(false);
    expect(result.event).toMatchObject({
      type: 'alias.set',
      alias: 'champion',
      toVersion: '1',
      reason: 'beats rules',
    });
    expect(result.event.gate).toMatchObject({
      passed: true,
      metric: 'accuracy',
      evaluationId: result.evaluation.id,
    });
    expect(result.evaluation.promotion).toEqual({ alias: 'champion', version: '1', outcome: 'promoted' });
    const history = ok(await api('GET', '/models/churn/history?alias=champion'))['events'] as RegistryEvent[];
    expect(history.at(-1)?.gate?.['evaluationId']).toBe(result.evaluation.id);
  });

  it('refuses a worse candidate with the verdict, leaves the alias alone and stores the attempt', async () => {
    await registerCandidate([-2, 1]);
    const reply = await api('POST', '/models/churn/versions/2/promote', { alias: 'champion' });
    const error = errorOf(reply, 409, 'FAILED_PRECONDITION');
    expect(error.message).toMatch(/did not pass the gate for @champion: fail: accuracy/);
    const verdict = error.details['verdict'] as GateVerdict;
    expect(verdict.passed).toBe(false);
    expect(verdict.candidate.id).toBe('churn/2');
    expect(verdict.sliceChecks).toEqual([]);
    const alias = ok(await api('GET', '/models/churn/aliases/champion'));
    expect((alias['modelVersion'] as ModelVersion).version).toBe('1');
    const attempts = ok(await api('GET', '/evaluations?model=churn&version=2&promotions=true'))[
      'evaluations'
    ] as Evaluation[];
    expect(attempts[0]?.id).toBe(error.details['evaluationId']);
    expect(attempts[0]?.promotion?.outcome).toBe('refused');
  });

  it('moves the alias with force, audited as overridden', async () => {
    const body = ok(
      await api('POST', '/models/churn/versions/2/promote', { alias: 'champion', force: true }),
    );
    const result = body as unknown as PromoteResponse;
    expect(result.forced).toBe(true);
    expect(result.event.gate).toMatchObject({ passed: false, overridden: true });
    expect(result.evaluation.promotion?.outcome).toBe('forced');
  });

  it('deletes the policy, which unprotects its aliases', async () => {
    expect((await api('DELETE', '/models/churn/evaluation-policy')).status).toBe(204);
    errorOf(await api('GET', '/models/churn/evaluation-policy'), 404, 'NOT_FOUND');
    ok(await api('PUT', '/models/churn/aliases/champion', { version: '1' }));
  });
});

describe('evaluations as jobs (POST /api/v1/jobs/evaluation)', () => {
  const request = (change: Record<string, unknown> = {}): Record<string, unknown> => ({
    task: 'binary',
    labelColumn: 'churned',
    dataset: { uri: holdout },
    models: [
      { name: 'churn', alias: 'champion' },
      { name: 'churn-constant', version: '1', role: 'baseline' },
    ],
    gate: { metric: 'accuracy', direction: 'higher', margin: { kind: 'absolute', value: 0.1 } },
    ...change,
  });

  async function jobCount(): Promise<number> {
    return (ok(await api('GET', '/jobs?kind=evaluation'))['jobs'] as JobDetails[]).length;
  }

  it('pins the alias at submit, runs on the job runner and names the stored evaluation and verdict', async () => {
    const before = await evaluationCount();
    const queued = ok(await api('POST', '/jobs/evaluation', request(), { 'x-slipway-user': 'carol' }), 201)[
      'job'
    ] as JobDetails;
    if (queued.kind !== 'evaluation') throw new Error(`unexpected kind ${queued.kind}`);
    expect(queued.payload.request.models[0]).toEqual({ name: 'churn', version: '1' });
    let job: JobDetails = queued;
    const deadline = Date.now() + 20_000;
    while (job.state === 'queued' || job.state === 'running') {
      if (Date.now() > deadline) throw new Error('the evaluation job never finished');
      await new Promise((resolve) => setTimeout(resolve, 50));
      job = ok(await api('GET', `/jobs/${queued.id}`))['job'] as JobDetails;
    }
    if (job.kind !== 'evaluation') throw new Error(`unexpected kind ${job.kind}`);
    expect(job.state, JSON.stringify(job.error)).toBe('succeeded');
    const stored = ok(await api('GET', `/evaluations/${job.result?.evaluationId}`))[
      'evaluation'
    ] as Evaluation;
    expect(stored.models.map((m) => m.id)).toEqual(['churn/1', 'churn-constant/1']);
    expect(stored.createdBy).toBe('carol');
    expect(job.result?.verdict).toEqual(stored.verdict);
    expect(stored.verdict?.candidate.id).toBe('churn/1');
    expect(job.progress.rowsDone).toBe(400);
    expect(await evaluationCount()).toBe(before + 1);
  });

  it.each([
    ['a body without its task', { task: undefined }, 'task'],
    [
      'a gate with two candidates',
      {
        models: [
          { name: 'churn', version: '1' },
          { name: 'churn', version: '2' },
        ],
      },
      'gate',
    ],
    [
      'an unknown alias',
      {
        models: [
          { name: 'churn', alias: 'nosuch' },
          { name: 'churn-constant', version: '1', role: 'baseline' },
        ],
      },
      'alias',
    ],
  ])('refuses %s at submit, naming the field, and queues nothing', async (_label, change, field) => {
    const before = await jobCount();
    const reply = await api('POST', '/jobs/evaluation', request(change));
    expect(reply.status, JSON.stringify(reply.body)).toBeGreaterThanOrEqual(400);
    expect(reply.status).toBeLessThan(500);
    expect((reply.body['error'] as { details?: { field?: string } }).details?.field).toBe(field);
    expect(await jobCount()).toBe(before);
  });
});
