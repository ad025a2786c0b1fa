import { describe, expect, it } from 'vitest';
import { SlipwayError, type Experiment, type Metric, type Run } from '@slipway/contracts';
import {
  artifactContentType,
  attachmentDisposition,
} from '../../src/http/compat/mlflow/mlflow-content-type.js';
import { mlflowErrorResponse } from '../../src/http/compat/mlflow/mlflow-errors.js';
import {
  datasetInputList,
  metricList,
  optionalEnum,
  optionalInt64,
  optionalKeyValues,
  optionalStringList,
  requiredDouble,
  requiredRunId,
  requiredString,
} from '../../src/http/compat/mlflow/mlflow-request.js';
import {
  experimentResponse,
  fileListResponse,
  metricHistoryResponse,
  runResponse,
  searchExperimentsResponse,
  searchRunsResponse,
} from '../../src/http/compat/mlflow/mlflow-wire.js';

const RUN_ID = '56a116e22a024a0ca755a1df66bd7c86';

function run(overrides: Partial<Run['info']> = {}, data: Partial<Run['data']> = {}): Run {
  return {
    info: {
      runId: RUN_ID,
      experimentId: '1',
      runName: 'smoke-run-1',
      userId: 'root',
      status: 'RUNNING',
      startTime: 1795737581154,
      endTime: null,
      artifactUri: `mlflow-artifacts:/1/${RUN_ID}/artifacts`,
      lifecycleStage: 'active',
      ...overrides,
    },
    data: { metrics: [], params: {}, tags: {}, ...data },
    inputs: { datasetInputs: [] },
  };
}

describe('MLflow wire writers', () => {
  it('writes an experiment like MLflow (zero times and empty tags omitted)', () => {
    const e: Experiment = {
      experimentId: '1',
      name: 'n"q',
      artifactLocation: 'mlflow-artifacts:/1',
      lifecycleStage: 'active',
      creationTime: 5,
      lastUpdateTime: 6,
      tags: { team: 'anchors' },
    };
    expect(JSON.parse(experimentResponse(e))).toEqual({
      experiment: {
        experiment_id: '1',
        name: 'n"q',
        artifact_location: 'mlflow-artifacts:/1',
        lifecycle_stage: 'active',
        last_update_time: 6,
        creation_time: 5,
        tags: [{ key: 'team', value: 'anchors' }],
      },
    });
    const bare = JSON.parse(experimentResponse({ ...e, creationTime: 0, lastUpdateTime: 0, tags: {} }));
    expect(Object.keys(bare.experiment)).toEqual([
      'experiment_id',
      'name',
      'artifact_location',
      'lifecycle_stage',
    ]);
  });

  it('writes run info with run_id and run_uuid, and omits end_time until set', () => {
    const running = JSON.parse(runResponse(run()));
    expect(running.run.info.run_id).toBe(RUN_ID);
    expect(running.run.info.run_uuid).toBe(RUN_ID);
    expect(running.run.info).not.toHaveProperty('end_time');
    expect(running.run.data).toEqual({});
    expect(running.run.inputs).toEqual({});
    const done = JSON.parse(runResponse(run({ status: 'FINISHED', endTime: 1795737581273 }), false));
    expect(done.run.info.end_time).toBe(1795737581273);
    expect(done.run).not.toHaveProperty('inputs');
  });

  it('writes NaN and infinities as protobuf-JSON strings', () => {
    const metrics: Metric[] = [
      { key: 'm', value: Number.NaN, timestamp: 1, step: 0 },
      { key: 'm', value: Number.POSITIVE_INFINITY, timestamp: 2, step: 1 },
      { key: 'm', value: Number.NEGATIVE_INFINITY, timestamp: 3, step: 2 },
      { key: 'm', value: -0.5, timestamp: 4, step: -3 },
    ];
    const history = JSON.parse(metricHistoryResponse(metrics));
    expect(history.metrics.map((m: { value: unknown }) => m.value)).toEqual([
      'NaN',
      'Infinity',
      '-Infinity',
      -0.5,
    ]);
    expect(history.metrics[3]).toEqual({ key: 'm', value: -0.5, timestamp: 4, step: -3 });
    const inRun = JSON.parse(runResponse(run({}, { metrics })));
    expect(inRun.run.data.metrics[0].value).toBe('NaN');
  });

  it('answers {} for empty pages and histories, and adds next_page_token only when given', () => {
    expect(metricHistoryResponse([])).toBe('{}');
    expect(searchRunsResponse([])).toBe('{}');
    expect(searchExperimentsResponse([])).toBe('{}');
    expect(JSON.parse(searchRunsResponse([], 'tok'))).toEqual({ next_page_token: 'tok' });
    expect(JSON.parse(searchRunsResponse([run(), run()], 'tok')).runs).toHaveLength(2);
  });

  it('keeps tag and param values verbatim, including empty strings and odd keys', () => {
    const params = Object.create(null) as Record<string, string>;
    params['__proto__'] = '';
    params['ünï ✓'] = 'a\nb"c';
    const body = JSON.parse(runResponse(run({}, { params })));
    expect(body.run.data.params).toEqual([
      { key: '__proto__', value: '' },
      { key: 'ünï ✓', value: 'a\nb"c' },
    ]);
  });

  it('lists basenames and omits the size of directories and empty files', () => {
    const body = JSON.parse(
      fileListResponse([
        { path: 'a/b/cfg.json', isDir: false, fileSize: 39 },
        { path: 'empty.txt', isDir: false, fileSize: 0 },
        { path: 'model', isDir: true },
      ]),
    );
    expect(body).toEqual({
      files: [
        { path: 'cfg.json', is_dir: false, file_size: 39 },
        { path: 'empty.txt', is_dir: false },
        { path: 'model', is_dir: true },
      ],
    });
    expect(fileListResponse([])).toBe('{}');
  });
});

describe('MLflow request readers', () => {
  it("names the missing field with MLflow's phrasing", () => {
    expect(() => requiredRunId({})).toThrow(
      "Missing value for required parameter 'run_id'. See the API docs for more information about request parameters.",
    );
    expect(() => requiredString({ key: '' }, 'key')).toThrow("Missing value for required parameter 'key'");
  });

  it('names the field of a value with the wrong type', () => {
    expect(() => requiredString({ experiment_id: 1 }, 'experiment_id')).toThrow(
      "Invalid value 1 for parameter 'experiment_id' supplied. Hint: Value was of type 'int'.",
    );
    try {
      optionalInt64({ start_time: 'soon' }, 'start_time');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(SlipwayError);
      expect((err as SlipwayError).code).toBe('INVALID_ARGUMENT');
      expect((err as SlipwayError).details.field).toBe('start_time');
    }
  });

  it('accepts run_uuid when run_id is absent', () => {
    expect(requiredRunId({ run_uuid: 'abc' })).toBe('abc');
    expect(requiredRunId({ run_id: 'x', run_uuid: 'y' })).toBe('x');
  });

  it('reads int64 from numbers and decimal strings, refusing fractions and values beyond 2^53', () => {
    expect(optionalInt64({ t: '1795737581154' }, 't')).toBe(1795737581154);
    expect(optionalInt64({ t: -3 }, 't')).toBe(-3);
    expect(optionalInt64({}, 't')).toBeUndefined();
    expect(() => optionalInt64({ t: 1.5 }, 't')).toThrow("parameter 't'");
    expect(() => optionalInt64({ t: '9007199254740993' }, 't')).toThrow("parameter 't'");
    expect(() => optionalInt64({ t: '1e3' }, 't')).toThrow("parameter 't'");
  });

  it('reads doubles from numbers, numeric strings and the non-finite names', () => {
    expect(requiredDouble({ v: 'NaN' }, 'v')).toBeNaN();
    expect(requiredDouble({ v: 'Infinity' }, 'v')).toBe(Number.POSITIVE_INFINITY);
    expect(requiredDouble({ v: '-Infinity' }, 'v')).toBe(Number.NEGATIVE_INFINITY);
    expect(requiredDouble({ v: '0.25' }, 'v')).toBe(0.25);
    expect(() => requiredDouble({ v: 'abc' }, 'v')).toThrow("Invalid value abc for parameter 'v'");
    expect(() => requiredDouble({ v: true }, 'v')).toThrow("parameter 'v'");
  });

  it('reads metrics of a batch, defaulting step to 0 and naming the bad element', () => {
    expect(metricList({ metrics: [{ key: 'a', value: 'NaN', timestamp: '5' }] })).toEqual([
      { key: 'a', value: Number.NaN, timestamp: 5, step: 0 },
    ]);
    expect(metricList({})).toEqual([]);
    expect(() =>
      metricList({
        metrics: [
          { key: 'a', value: 1, timestamp: 1 },
          { key: 'b', value: 1 },
        ],
      }),
    ).toThrow("Missing value for required parameter 'metrics[1].timestamp'");
    expect(() => metricList({ metrics: [{ key: 'a', value: 'x', timestamp: 1 }] })).toThrow(
      "'metrics[0].value'",
    );
    expect(() => metricList({ metrics: {} })).toThrow("parameter 'metrics'");
  });

  it('reads key/value lists, refusing repeated param keys', () => {
    expect(optionalKeyValues({ tags: [{ key: 'k' }, { key: 'j', value: 'v' }] }, 'tags')).toEqual({
      k: '',
      j: 'v',
    });
    expect(
      optionalKeyValues(
        {
          tags: [
            { key: 'k', value: '1' },
            { key: 'k', value: '2' },
          ],
        },
        'tags',
      ),
    ).toEqual({
      k: '2',
    });
    expect(() =>
      optionalKeyValues(
        {
          params: [
            { key: 'p', value: '1' },
            { key: 'p', value: '1' },
          ],
        },
        'params',
        { unique: true },
      ),
    ).toThrow("Duplicate parameter keys have been submitted: ['p']");
    expect(() => optionalKeyValues({ tags: [{ value: 'v' }] }, 'tags')).toThrow("'tags[0].key'");
    expect(() => optionalKeyValues({ tags: [{ key: 'k', value: 3 }] }, 'tags')).toThrow("'tags[0].value'");
  });

  it('reads enums by name or protobuf number', () => {
    const views = ['ACTIVE_ONLY', 'DELETED_ONLY', 'ALL'] as const;
    expect(optionalEnum({ v: 'ALL' }, 'v', views)).toBe('ALL');
    expect(optionalEnum({ v: 2 }, 'v', views)).toBe('DELETED_ONLY');
    expect(optionalEnum({ v: '1' }, 'v', views)).toBe('ACTIVE_ONLY');
    expect(() => optionalEnum({ v: 0 }, 'v', views)).toThrow("parameter 'v'");
    expect(() => optionalEnum({ v: 'SOME' }, 'v', views)).toThrow("parameter 'v'");
  });

  it('reads repeated strings: a lone string only from a query string', () => {
    expect(optionalStringList({ order_by: 'name ASC' }, 'order_by', true)).toEqual(['name ASC']);
    expect(optionalStringList({ 'order_by[]': 'name' }, 'order_by', true)).toEqual(['name']);
    expect(optionalStringList({ order_by: ['a', 'b'] }, 'order_by', false)).toEqual(['a', 'b']);
    expect(() => optionalStringList({ experiment_ids: '1' }, 'experiment_ids', false)).toThrow(
      "'experiment_ids'",
    );
    expect(() => optionalStringList({ experiment_ids: [1] }, 'experiment_ids', false)).toThrow(
      "'experiment_ids'",
    );
  });

  it('reads dataset inputs with their tags', () => {
    const inputs = datasetInputList({
      datasets: [
        {
          tags: [{ key: 'mlflow.data.context', value: 'training' }],
          dataset: { name: 'd', digest: 'x', source_type: 'local', source: '{}', schema: '{"a":1}' },
        },
      ],
    });
    expect(inputs).toEqual([
      {
        tags: { 'mlflow.data.context': 'training' },
        dataset: { name: 'd', digest: 'x', sourceType: 'local', source: '{}', schema: '{"a":1}' },
      },
    ]);
    expect(() => datasetInputList({})).toThrow("'datasets'");
    expect(() => datasetInputList({ datasets: [{ tags: [] }] })).toThrow("'datasets[0].dataset'");
  });
});

describe('MLflow error mapping', () => {
  it.each([
    ['INVALID_ARGUMENT', 400, 'INVALID_PARAMETER_VALUE'],
    ['NOT_FOUND', 404, 'RESOURCE_DOES_NOT_EXIST'],
    ['ALREADY_EXISTS', 400, 'RESOURCE_ALREADY_EXISTS'],
    ['FAILED_PRECONDITION', 400, 'INVALID_PARAMETER_VALUE'],
    ['PAYLOAD_TOO_LARGE', 400, 'INVALID_PARAMETER_VALUE'],
    ['UNAVAILABLE', 503, 'TEMPORARILY_UNAVAILABLE'],
    ['INTERNAL', 500, 'INTERNAL_ERROR'],
  ] as const)('maps %s to %i %s', (code, status, errorCode) => {
    expect(mlflowErrorResponse(new SlipwayError(code, 'boom'))).toEqual({
      status,
      body: { error_code: errorCode, message: 'boom' },
    });
  });

  it('hides the internals of unexpected errors', () => {
    const res = mlflowErrorResponse(new TypeError('secret detail'));
    expect(res.status).toBe(500);
    expect(res.body.error_code).toBe('INTERNAL_ERROR');
    expect(res.body.message).not.toContain('secret');
  });
});

describe('artifact download headers', () => {
  it.each([
    ['a/b/hello.txt', 'text/plain'],
    ['model/MLmodel', 'text/plain'],
    ['cfg.json', 'text/plain'],
    ['cfg.yaml', 'text/plain'],
    ['plot.PNG', 'image/png'],
    ['blob.bin', 'application/octet-stream'],
    ['weights', 'application/octet-stream'],
    ['.hidden', 'application/octet-stream'],
  ])('%s is sent as %s', (path, type) => {
    expect(artifactContentType(path)).toBe(type);
  });

  it('always sends an attachment, with an RFC 6266 name for non-ASCII files', () => {
    expect(attachmentDisposition('a/name with space.txt')).toBe('attachment; filename="name with space.txt"');
    expect(attachmentDisposition('wörld.txt')).toBe(
      `attachment; filename="w_rld.txt"; filename*=UTF-8''w%C3%B6rld.txt`,
    );
  });
});
