import { describe, expect, it } from 'vitest';
import { SlipwayError } from '@slipway/contracts';
import {
  parseExperimentFilter,
  parseExperimentOrderBy,
  parseRunFilter,
  parseRunOrderBy,
} from '../../src/tracking/search-grammar.js';
import type { ExperimentFilterClause, RunFilterClause } from '../../src/tracking/search-types.js';

// Shorthands keep the expected ASTs in the tables readable.
const metric = (key: string, comparator: string, value: number) => ({
  entity: 'metric',
  key,
  comparator,
  value,
});
const param = (key: string, comparator: string, value: string) => ({
  entity: 'param',
  key,
  comparator,
  value,
});
const tag = (key: string, comparator: string, value?: string) =>
  value === undefined ? { entity: 'tag', key, comparator } : { entity: 'tag', key, comparator, value };
const attr = (key: string, comparator: string, value: string | number) => ({
  entity: 'attribute',
  key,
  comparator,
  value,
});
const attrIn = (key: string, comparator: string, values: string[]) => ({
  entity: 'attribute',
  key,
  comparator,
  values,
});
const dataset = (key: string, comparator: string, value: string | string[]) =>
  Array.isArray(value)
    ? { entity: 'dataset', key, comparator, values: value }
    : { entity: 'dataset', key, comparator, value };

interface Caught {
  message: string;
  field: string | undefined;
  position: number | undefined;
}

function caught(fn: () => unknown): Caught {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(SlipwayError);
    const e = err as SlipwayError;
    expect(e.code).toBe('INVALID_ARGUMENT');
    return { message: e.message, field: e.details.field, position: e.details.position };
  }
  throw new Error('expected the parser to reject the input');
}

/** Asserts field, position and that the message names the position and contains `fragment`. */
function expectFilterError(
  parse: (f: string) => unknown,
  filter: string,
  position: number,
  fragment: string,
) {
  const error = caught(() => parse(filter));
  expect(error.field).toBe('filter');
  expect(error.position).toBe(position);
  expect(error.message.startsWith(`Invalid filter at position ${position}: `)).toBe(true);
  expect(error.message).toContain(fragment);
}

describe('parseRunFilter: accepted filters', () => {
  it.each([undefined, '', '   ', '\n\t '])('returns no clauses for %j', (filter) => {
    expect(parseRunFilter(filter)).toEqual([]);
  });

  const cases: [string, unknown[]][] = [
    // Entity prefixes and their aliases.
    ['metrics.acc > 0.9', [metric('acc', '>', 0.9)]],
    ['metric.acc >= 0.94', [metric('acc', '>=', 0.94)]],
    ["params.lr = '0.1'", [param('lr', '=', '0.1')]],
    ["param.lr = '0.1'", [param('lr', '=', '0.1')]],
    ["parameters.lr = '0.1'", [param('lr', '=', '0.1')]],
    ["parameter.lr = '0.1'", [param('lr', '=', '0.1')]],
    ["tags.team = 'ml'", [tag('team', '=', 'ml')]],
    ["tag.team = 'ml'", [tag('team', '=', 'ml')]],
    ["attributes.status = 'FAILED'", [attr('status', '=', 'FAILED')]],
    ["attribute.status = 'FAILED'", [attr('status', '=', 'FAILED')]],
    ["attr.status = 'FAILED'", [attr('status', '=', 'FAILED')]],
    ["run.status = 'RUNNING'", [attr('status', '=', 'RUNNING')]],
    ["status = 'RUNNING'", [attr('status', '=', 'RUNNING')]],
    ["datasets.name = 'my_dataset'", [dataset('name', '=', 'my_dataset')]],
    ["dataset.name = 'my_dataset'", [dataset('name', '=', 'my_dataset')]],
    ['`metric`.a >= 0.1', [metric('a', '>=', 0.1)]],
    ["`tags`.source_name = 'a notebook'", [tag('source_name', '=', 'a notebook')]],
    // Keys: bare, dotted, quoted with backticks or double quotes, digits, unicode.
    ["tags.mlflow.runName = 'x'", [tag('mlflow.runName', '=', 'x')]],
    ["tags.s.release ILIKE '%rc%'", [tag('s.release', 'ILIKE', '%rc%')]],
    ['metrics."my metric" < 1', [metric('my metric', '<', 1)]],
    ['metrics.`spacey name` > 5', [metric('spacey name', '>', 5)]],
    ["params.`a b` = 'c'", [param('a b', '=', 'c')]],
    ['metrics."accuracy.2.0" > 5', [metric('accuracy.2.0', '>', 5)]],
    ['metrics."X//Y#$$@&Z" = 3', [metric('X//Y#$$@&Z', '=', 3)]],
    ['params."p.a.r.a.m" != "a"', [param('p.a.r.a.m', '!=', 'a')]],
    ['metrics.XYZ = 3', [metric('XYZ', '=', 3)]],
    ["params.1st_try = 'x'", [param('1st_try', '=', 'x')]],
    ["params.模型 = 'gpt'", [param('模型', '=', 'gpt')]],
    ['metrics.`a``b` = 1', [metric('a`b', '=', 1)]],
    ['metrics."a""b" = 1', [metric('a"b', '=', 1)]],
    // Attribute names and MLflow's aliases.
    ["attributes.run_id = 'abc'", [attr('run_id', '=', 'abc')]],
    ["attributes.run_name LIKE 'exp-%'", [attr('run_name', 'LIKE', 'exp-%')]],
    ["attributes.user_id != 'bob'", [attr('user_id', '!=', 'bob')]],
    ["attributes.artifact_uri ILIKE 's3://%'", [attr('artifact_uri', 'ILIKE', 's3://%')]],
    ['attributes.end_time <= 100', [attr('end_time', '<=', 100)]],
    ['created > 5', [attr('start_time', '>', 5)]],
    ['attributes.Created > 5', [attr('start_time', '>', 5)]],
    ["`run name` = 'x'", [attr('run_name', '=', 'x')]],
    ["attributes.`Run name` = 'x'", [attr('run_name', '=', 'x')]],
    ['attributes."Run Name" = \'x\'', [attr('run_name', '=', 'x')]],
    // Numbers: integers, negatives, decimals, exponents.
    ['metrics.a = -1', [metric('a', '=', -1)]],
    ['metrics.a = 3.', [metric('a', '=', 3)]],
    ['metrics.a = .5', [metric('a', '=', 0.5)]],
    ['metrics.a = -.5', [metric('a', '=', -0.5)]],
    ['metrics.a = 1e-3', [metric('a', '=', 0.001)]],
    ['metrics.a = 2.5E+2', [metric('a', '=', 250)]],
    ['metrics.a = 1e3', [metric('a', '=', 1000)]],
    ['metrics.acc>=100', [metric('acc', '>=', 100)]],
    ['metrics.a>=-2', [metric('a', '>=', -2)]],
    // Strings: both quote styles, escapes, empty, literal backslashes.
    ["params.m!='tf'", [param('m', '!=', 'tf')]],
    ['params."m"!="tf"', [param('m', '!=', 'tf')]],
    ['params.m = "L\'Hosp"', [param('m', '=', "L'Hosp")]],
    ["params.m = 'it''s'", [param('m', '=', "it's")]],
    ["params.m = 'it\\'s'", [param('m', '=', "it's")]],
    ['params.m = "say ""hi"""', [param('m', '=', 'say "hi"')]],
    ['params.m = "say \\"hi\\""', [param('m', '=', 'say "hi"')]],
    ["params.path = 'C:\\temp\\\\'", [param('path', '=', 'C:\\temp\\')]],
    ["params.m LIKE '%\\_%'", [param('m', 'LIKE', '%\\_%')]],
    ["params.m = ''", [param('m', '=', '')]],
    ["tags.note = 'a AND b OR c'", [tag('note', '=', 'a AND b OR c')]],
    // Comparators: case-insensitive keywords, IN / NOT IN, IS [NOT] NULL.
    ["params.m like 'a%'", [param('m', 'LIKE', 'a%')]],
    ["params.m iLike 'a%'", [param('m', 'ILIKE', 'a%')]],
    ["attributes.run_id IN ('a', 'b')", [attrIn('run_id', 'IN', ['a', 'b'])]],
    ["attributes.run_id not in ('a')", [attrIn('run_id', 'NOT IN', ['a'])]],
    ["run_id IN ('a',)", [attrIn('run_id', 'IN', ['a'])]],
    ['run_id IN ("a", \'b\')', [attrIn('run_id', 'IN', ['a', 'b'])]],
    ["run_id IN('a','b')", [attrIn('run_id', 'IN', ['a', 'b'])]],
    ["datasets.context NOT IN ('eval')", [dataset('context', 'NOT IN', ['eval'])]],
    ["datasets.digest ILIKE 'ab%'", [dataset('digest', 'ILIKE', 'ab%')]],
    ['tags.x IS NULL', [tag('x', 'IS NULL')]],
    ['tags.x is not null', [tag('x', 'IS NOT NULL')]],
    // Conjunctions: case-insensitive AND, any whitespace.
    [
      "metrics.rmse < 1 and params.model_class = 'LR'",
      [metric('rmse', '<', 1), param('model_class', '=', 'LR')],
    ],
    ["metrics.a > 1 AnD\n\ttags.b = 'c'", [metric('a', '>', 1), tag('b', '=', 'c')]],
    ["params.a='x'AND params.b='y'", [param('a', '=', 'x'), param('b', '=', 'y')]],
  ];

  it.each(cases)('%s', (filter, expected) => {
    expect(parseRunFilter(filter)).toEqual(expected);
  });
});

// Every filter in MLflow 2.12's docs/source/search-runs.rst, the 1.x search-runs page and the
// search_runs docstrings. Examples MLflow marks as invalid are in the error table below.
describe('parseRunFilter: MLflow documentation examples', () => {
  const runIds = "'22db81f070f6413588641c8c343cdd72','c3680e37d0fa44eb9c9fb7828f6b5481'";
  const cases: [string, unknown[]][] = [
    ['metrics.loss > 0.8', [metric('loss', '>', 0.8)]],
    ["tag.`test` = 'abc'", [tag('test', '=', 'abc')]],
    ['tag.`test` = "abc"', [tag('test', '=', 'abc')]],
    ['tag."test" = "abc"', [tag('test', '=', 'abc')]],
    ['metrics.`cross-entropy-loss` < 0.5', [metric('cross-entropy-loss', '<', 0.5)]],
    [
      'params.`1st_iteration_timestamp` = "2022-01-01"',
      [param('1st_iteration_timestamp', '=', '2022-01-01')],
    ],
    [
      "attributes.run_id IN ('5984a3488161440f92de9847e846b342', 'babe221a676b4fa4b204f8240f2c4f14')",
      [attrIn('run_id', 'IN', ['5984a3488161440f92de9847e846b342', 'babe221a676b4fa4b204f8240f2c4f14'])],
    ],
    ['metrics.accuracy > 0.72', [metric('accuracy', '>', 0.72)]],
    ['metrics.loss <= 0.15', [metric('loss', '<=', 0.15)]],
    ['metrics.accuracy != 0.15', [metric('accuracy', '!=', 0.15)]],
    ['params.model = "GPT-3"', [param('model', '=', 'GPT-3')]],
    ['params.model LIKE "GPT%"', [param('model', 'LIKE', 'GPT%')]],
    ['params.model ILIKE "gpt%"', [param('model', 'ILIKE', 'gpt%')]],
    [
      "datasets.name IN ('custom', 'also custom', 'another custom name')",
      [dataset('name', 'IN', ['custom', 'also custom', 'another custom name'])],
    ],
    ["datasets.digest IN ('s8ds293b', 'jks834s2')", [dataset('digest', 'IN', ['s8ds293b', 'jks834s2'])]],
    [
      "attributes.run_id IN ('5984a3488161440f92de9847e846b342')",
      [attrIn('run_id', 'IN', ['5984a3488161440f92de9847e846b342'])],
    ],
    ['metrics.`log-scale-loss` <= 0', [metric('log-scale-loss', '<=', 0)]],
    ['metrics.`f1 score` >= 0.5', [metric('f1 score', '>=', 0.5)]],
    [
      'metrics.accuracy > 0.72 AND metrics.loss <= 0.15',
      [metric('accuracy', '>', 0.72), metric('loss', '<=', 0.15)],
    ],
    ['params.batch_size = "2"', [param('batch_size', '=', '2')]],
    ['params.model ILIKE "gPt%"', [param('model', 'ILIKE', 'gPt%')]],
    [
      'params.model LIKE "GPT%" AND params.batch_size = "2"',
      [param('model', 'LIKE', 'GPT%'), param('batch_size', '=', '2')],
    ],
    ['tags."environment" = "notebook"', [tag('environment', '=', 'notebook')]],
    ['tags.environment = "notebook"', [tag('environment', '=', 'notebook')]],
    ['tags.task = "Classification"', [tag('task', '=', 'Classification')]],
    ['tags.task ILIKE "classif%"', [tag('task', 'ILIKE', 'classif%')]],
    ['datasets.name LIKE "custom"', [dataset('name', 'LIKE', 'custom')]],
    ['datasets.context = "train"', [dataset('context', '=', 'train')]],
    ['attributes.status = "ACTIVE"', [attr('status', '=', 'ACTIVE')]],
    ['attributes.user_id LIKE "user1"', [attr('user_id', 'LIKE', 'user1')]],
    ['attributes.run_name = "my-run"', [attr('run_name', '=', 'my-run')]],
    ['attributes.run_id = "a1b2c3d4"', [attr('run_id', '=', 'a1b2c3d4')]],
    ["attributes.run_id IN ('a1b2c3d4', 'e5f6g7h8')", [attrIn('run_id', 'IN', ['a1b2c3d4', 'e5f6g7h8'])]],
    ['attributes.start_time >= 1664067852747', [attr('start_time', '>=', 1664067852747)]],
    ['attributes.end_time < 1664067852747', [attr('end_time', '<', 1664067852747)]],
    ['attributes.created > 1664067852747', [attr('start_time', '>', 1664067852747)]],
    ["datasets.name IN ('custom', 'also custom')", [dataset('name', 'IN', ['custom', 'also custom'])]],
    [
      'metrics.accuracy > 0.72 AND metrics.batch_size != 0',
      [metric('accuracy', '>', 0.72), metric('batch_size', '!=', 0)],
    ],
    [
      "metrics.accuracy > 0.72 AND metrics.batch_size != 0 AND attributes.run_id IN ('a1b2c3d4', 'e5f6g7h8')",
      [
        metric('accuracy', '>', 0.72),
        metric('batch_size', '!=', 0),
        attrIn('run_id', 'IN', ['a1b2c3d4', 'e5f6g7h8']),
      ],
    ],
    ['metrics.loss <= 0.15 AND metrics.loss >= 0.1', [metric('loss', '<=', 0.15), metric('loss', '>=', 0.1)]],
    ['params.batch_size != "None"', [param('batch_size', '!=', 'None')]],
    [
      `\n  attributes.run_id IN (${runIds})\n    AND metrics.loss > 0.3\n    AND metrics."f1 score" < 0.5\n    AND params.model LIKE "GPT%"\n  `,
      [
        attrIn('run_id', 'IN', ['22db81f070f6413588641c8c343cdd72', 'c3680e37d0fa44eb9c9fb7828f6b5481']),
        metric('loss', '>', 0.3),
        metric('f1 score', '<', 0.5),
        param('model', 'LIKE', 'GPT%'),
      ],
    ],
    ["params.model = 'GPT-4'", [param('model', '=', 'GPT-4')]],
    [
      "metrics.rmse < 0.9 and tags.production = 'true'",
      [metric('rmse', '<', 0.9), tag('production', '=', 'true')],
    ],
    ['metrics.accuracy_score < 99.90', [metric('accuracy_score', '<', 99.9)]],
    ['metrics.accuracy > 0.92', [metric('accuracy', '>', 0.92)]],
    [
      'params.model = "LogisticRegression" and params.lambda = "0.001" and metrics.error <= 0.05',
      [param('model', '=', 'LogisticRegression'), param('lambda', '=', '0.001'), metric('error', '<=', 0.05)],
    ],
    ['attributes.status = "FAILED"', [attr('status', '=', 'FAILED')]],
    ['params."model-type" = "cnn"', [param('model-type', '=', 'cnn')]],
    ['metrics.`error rate` < 0.1', [metric('error rate', '<', 0.1)]],
    ['metrics."2019-04-02 error rate" < 0.1', [metric('2019-04-02 error rate', '<', 0.1)]],
    ["attributes.artifact_uri = 'models:/mymodel/1'", [attr('artifact_uri', '=', 'models:/mymodel/1')]],
    ["attributes.user_id = 'user1'", [attr('user_id', '=', 'user1')]],
    ['tags."mlflow.user" = \'alice\'', [tag('mlflow.user', '=', 'alice')]],
    ["tags.`mlflow.parentRunId` = 'abc'", [tag('mlflow.parentRunId', '=', 'abc')]],
    ["tags.mlflow.parentRunId = 'abc'", [tag('mlflow.parentRunId', '=', 'abc')]],
    [
      "params.model = 'CNN' and params.layers = '10' and metrics.`prediction accuracy` >= 0.945",
      [param('model', '=', 'CNN'), param('layers', '=', '10'), metric('prediction accuracy', '>=', 0.945)],
    ],
    ["params.model = 'Inception'", [param('model', '=', 'Inception')]],
    ["tags.mlflow.loggedArtifacts LIKE '%x%'", [tag('mlflow.loggedArtifacts', 'LIKE', '%x%')]],
  ];

  it.each(cases)('%s', (filter, expected) => {
    expect(parseRunFilter(filter)).toEqual(expected);
  });

  // Rejected by MLflow only because its SQL tokenizer misreads them; unambiguous here.
  it('accepts bare keys starting with a digit and double-quoted IN lists', () => {
    expect(parseRunFilter('params.1st_iteration_timestamp = "2022-01-01"')).toEqual([
      param('1st_iteration_timestamp', '=', '2022-01-01'),
    ]);
    expect(parseRunFilter('attributes.run_id IN ("a", "b")')).toEqual([attrIn('run_id', 'IN', ['a', 'b'])]);
  });
});

describe('parseRunFilter: errors name the position and the offending text', () => {
  const cases: [string, number, string][] = [
    // Unknown entity prefix / attribute / dataset field.
    ['m.acc >= 0.94', 0, "unknown entity 'm'; use one of metrics, params, tags, attributes, datasets"],
    ["p.model = 'LR'", 0, "unknown entity 'p'"],
    ['Metrics.acc > 1', 0, "unknown entity 'Metrics'"],
    ['acc >= 0.94', 0, "unknown run attribute 'acc'; use one of run_id, run_name"],
    ['attribute.start != 1', 10, "unknown run attribute 'start'"],
    ['attribute.experiment_id != 1', 10, "unknown run attribute 'experiment_id'"],
    ["attribute.lifecycle_stage = 'ACTIVE'", 10, "unknown run attribute 'lifecycle_stage'"],
    ["attribute._status != 'RUNNING'", 10, "unknown run attribute '_status'"],
    ["dataset.status = 'true'", 8, "unknown dataset field 'status'; use one of name, digest, context"],
    ["dataset.profile = 'num_rows: 10'", 8, "unknown dataset field 'profile'"],
    // Comparator missing, unknown, or not allowed for the entity.
    ['metrics.acc foo 1', 12, "expected a comparator after 'metrics.acc', found 'foo'"],
    ['metric.acc !=', 13, "expected a number after 'metric.acc !=', found end of input"],
    ['metrics.acc', 11, "expected a comparator after 'metrics.acc', found end of input"],
    ['metrics.a == 1', 10, "unknown comparator '=='; use one of =, !=, >, >=, <, <="],
    ['metrics.a <> 1', 10, "unknown comparator '<>'"],
    ['metrics.a ~ 1', 10, "unknown comparator '~'"],
    [
      "metrics.a LIKE '1'",
      10,
      "comparator 'LIKE' is not supported for metrics; use one of =, !=, >, >=, <, <=",
    ],
    ["params.a > 'x'", 9, "comparator '>' is not supported for params; use one of =, !=, LIKE, ILIKE"],
    ["tags.a <= 'x'", 7, "comparator '<=' is not supported for tags"],
    ["attributes.status >= 'x'", 18, "comparator '>=' is not supported for attribute 'status'"],
    ["attributes.start_time LIKE '1'", 22, "comparator 'LIKE' is not supported for attribute 'start_time'"],
    ["datasets.name < 'x'", 14, "comparator '<' is not supported for datasets"],
    ["params.a IN ('x')", 9, "comparator 'IN' is not supported for params"],
    ["tags.a NOT IN ('x')", 7, "comparator 'NOT IN' is not supported for tags"],
    ["attributes.status IN ('a')", 18, 'lists work only for attributes.run_id and datasets.*'],
    ['params.a IS NULL', 9, "comparator 'IS NULL' is not supported for params"],
    ['metrics.a IS NOT NULL', 10, "comparator 'IS NOT NULL' is not supported for metrics"],
    ["attribute.status IS 'RUNNING'", 20, "expected NULL or NOT NULL after 'IS', found 'RUNNING'"],
    ['tags.a IS NOT 1', 14, "expected NULL after 'IS NOT', found '1'"],
    ["params.a NOT LIKE 'x'", 13, "expected IN after 'NOT', found 'LIKE'"],
    // Missing value or wrong value type.
    ["params.acc = 'LR", 13, "unterminated quoted text 'LR; expected a closing '"],
    ['params.acc = "LR\'', 13, 'unterminated quoted text "LR\'; expected a closing "'],
    ["params.a = 'it\\'", 11, 'unterminated quoted text'],
    ['metrics.`a = 1', 8, 'unterminated quoted text `a = 1; expected a closing `'],
    ['metrics.a >', 11, "expected a number after 'metrics.a >', found end of input"],
    [
      "metric.model = 'LR'",
      15,
      "expected a number after 'metric.model =', found 'LR' (metrics compare with unquoted numbers)",
    ],
    ["metric.model = '5'", 15, "found '5'"],
    ['metrics.acc != metrics.acc', 15, "expected a number after 'metrics.acc !=', found 'metrics'"],
    ["attributes.start_time > '5'", 24, "expected a number after 'attributes.start_time >', found '5'"],
    [
      'params.acc = 5',
      13,
      "expected a quoted string after 'params.acc =', found '5' (params values are strings: write '5')",
    ],
    ['tags.acc = 5', 11, 'expected a quoted string'],
    ['attribute.status = 1', 19, 'expected a quoted string'],
    ['attribute.status = true', 19, "found 'true' (quote string values: 'true')"],
    ['params.acc = LR', 13, "found 'LR'"],
    ["params.acc = LR'", 13, "found 'LR'"],
    ['params.acc = `LR`', 13, 'found `LR` (backticks quote keys; quote values with \' or ")'],
    ['tag.`test` = `abc`', 13, 'found `abc`'],
    ['tag.`test` = abc', 13, "found 'abc'"],
    ["tags.acc = = 'LR'", 11, "expected a quoted string after 'tags.acc =', found '='"],
    ['metrics.accuracy != "None"', 20, 'expected a number'],
    ['metrics.a = 1e', 12, "invalid number '1e'"],
    ['metrics.a = 1.2.3', 12, "invalid number '1.2.3'"],
    ['metrics.a = 12abc', 12, "invalid number '12abc'"],
    ['metrics.a = 1e999', 12, "number '1e999' is out of range"],
    ['metrics.a = -', 12, "found '-'"],
    // OR, grouping, trailing garbage.
    [
      "metrics.A > 0.1 OR params.B = 'LR'",
      16,
      "'OR' is not supported; conditions can only be combined with AND",
    ],
    ["metrics.A > 0.1 or params.B = 'LR'", 16, "'OR' is not supported"],
    [
      "metrics.A > 0.1 NAND params.B = 'LR'",
      16,
      "expected AND or end of filter after 'metrics.A > 0.1', found 'NAND'",
    ],
    ["metrics.A > 0.1 AND (params.B = 'LR')", 20, "found '(' (grouping with parentheses is not supported)"],
    ['(metrics.a > 1)', 0, 'grouping with parentheses is not supported'],
    [
      'metric.acc >= 0.94; metrics.rmse < 1',
      18,
      "expected AND or end of filter after 'metric.acc >= 0.94', found ';'",
    ],
    ['params.acc LR !=', 11, "expected a comparator after 'params.acc', found 'LR'"],
    ['metrics.a > 1 2', 14, "expected AND or end of filter after 'metrics.a > 1', found '2'"],
    ["params.a = 'x' 'y'", 15, "found 'y'"],
    ['metrics.a > 1 AND', 17, 'expected a condition such as metrics.acc > 0.9, found end of input'],
    [
      'metrics.a > 1 AND AND metrics.b > 1',
      18,
      "expected a condition such as metrics.acc > 0.9, found 'AND'",
    ],
    ['AND metrics.a > 1', 0, "found 'AND'"],
    ['1.0 > metrics.acc', 0, "expected a condition such as metrics.acc > 0.9, found '1.0'"],
    ['1=1', 0, "found '1'"],
    ['1==2', 0, "found '1'"],
    ["'acc' = 1", 0, "found 'acc' (quote keys with backticks or double quotes)"],
    // Empty or malformed keys.
    ['metrics. > 1', 8, "empty key after 'metrics.'; expected a key name, found whitespace"],
    ['metrics.> 1', 8, "empty key after 'metrics.'; expected a key name, found '>'"],
    ["metrics.'acc' > 1", 8, "empty key after 'metrics.'; expected a key name, found 'acc'"],
    ['metrics."" > 1', 8, `empty key in 'metrics.""'`],
    ["`` = 'x'", 0, "empty key in '``'"],
    ['.acc > 1', 0, "expected a condition such as metrics.acc > 0.9, found '.'"],
    ['tags.mlflow."x y" = \'z\'', 12, 'quote the whole key after the prefix'],
    [
      'metrics.cross-entropy-loss < 0.5',
      13,
      "expected a comparator after 'metrics.cross', found '-' (keys with special characters must be quoted: metrics.`cross-entropy-loss`)",
    ],
    ['metrics.a/b > 1', 9, 'must be quoted: metrics.`a/b`'],
    ['`metrics.A > 0.1', 0, 'unterminated quoted text'],
    ['param`.A > 0.1', 0, "unknown run attribute 'param'"],
    ['`metrics.A` > 0.1', 0, "unknown run attribute 'metrics.A'"],
    ['foo is null', 0, "unknown run attribute 'foo'"],
    // Bad IN lists.
    [
      'attributes.run_id IN ()',
      22,
      "the list after 'attributes.run_id IN' is empty; give at least one quoted string",
    ],
    ["attributes.run_id IN 'a'", 21, "expected a parenthesized list after 'attributes.run_id IN', found 'a'"],
    [
      "attributes.run_id IN ('a' 'b')",
      26,
      "expected ',' or ')' in the list after 'attributes.run_id IN', found 'b'",
    ],
    [
      "attributes.run_id IN ('a', 1)",
      27,
      "expected a quoted string in the list after 'attributes.run_id IN', found '1'",
    ],
    [
      "attributes.run_id IN ('a',,)",
      26,
      "expected a quoted string in the list after 'attributes.run_id IN', found ','",
    ],
    [
      "attributes.run_id IN ('a'",
      25,
      "expected ',' or ')' in the list after 'attributes.run_id IN', found end of input",
    ],
    ['attributes.run_id IN (`a`)', 22, 'expected a quoted string in the list'],
    [
      "datasets.name IN ((('a')))",
      18,
      "expected a quoted string in the list after 'datasets.name IN', found '('",
    ],
    ["attributes.run_id = ('a')", 20, "expected a quoted string after 'attributes.run_id =', found '('"],
  ];

  it.each(cases)('%s → position %i', (filter, position, fragment) => {
    expectFilterError(parseRunFilter, filter, position, fragment);
  });

  it('formats the message exactly', () => {
    expect(caught(() => parseRunFilter('metrics.acc foo 1')).message).toBe(
      "Invalid filter at position 12: expected a comparator after 'metrics.acc', found 'foo'",
    );
  });

  it('truncates long offending text in messages', () => {
    const error = caught(() => parseRunFilter(`params.a = 'x' ${'y'.repeat(200)}`));
    expect(error.message).toContain(`found '${'y'.repeat(30)}...'`);
    expect(error.message.length).toBeLessThan(150);
  });

  it('parses long filters in linear time', () => {
    const clause = "metrics.`a b` > -1.5e3 AND params.x LIKE 'it''s%' AND tags.mlflow.runName IS NOT NULL";
    const filter = Array.from({ length: 2000 }, () => clause).join(' AND ');
    const started = performance.now();
    expect(parseRunFilter(filter)).toHaveLength(6000);
    expect(performance.now() - started).toBeLessThan(1000);
    // Pathological inputs for backtracking regexes must fail fast too.
    expect(() => parseRunFilter(`params.a = '${'\\'.repeat(100_000)}`)).toThrow(/unterminated/);
    expect(() => parseRunFilter(`metrics.${'a.'.repeat(50_000)}`)).toThrow(/empty key/);
  });

  it('types the result as RunFilterClause[]', () => {
    const clauses: RunFilterClause[] = parseRunFilter('tags.x IS NULL');
    expect(clauses[0]).not.toHaveProperty('value');
  });
});

describe('parseRunOrderBy', () => {
  it.each([undefined, []])('returns no keys for %j', (orderBy) => {
    expect(parseRunOrderBy(orderBy)).toEqual([]);
  });

  const cases: [string, unknown][] = [
    ['metrics.acc DESC', { entity: 'metric', key: 'acc', ascending: false }],
    ['metrics.acc', { entity: 'metric', key: 'acc', ascending: true }],
    ['metrics.key1 asc', { entity: 'metric', key: 'key1', ascending: true }],
    ['metrics."key1"  desc', { entity: 'metric', key: 'key1', ascending: false }],
    ['metric.m DESC', { entity: 'metric', key: 'm', ascending: false }],
    ['params.lr', { entity: 'param', key: 'lr', ascending: true }],
    ['params.my_param aSc', { entity: 'param', key: 'my_param', ascending: true }],
    ['params.`my_param` DESC', { entity: 'param', key: 'my_param', ascending: false }],
    ['params.lr DESC', { entity: 'param', key: 'lr', ascending: false }],
    ['tags.x desc', { entity: 'tag', key: 'x', ascending: false }],
    ['tags.noSuchTag', { entity: 'tag', key: 'noSuchTag', ascending: true }],
    ['tags.tag1    DESC', { entity: 'tag', key: 'tag1', ascending: false }],
    ['tags.mlflow.runName', { entity: 'tag', key: 'mlflow.runName', ascending: true }],
    ['tags."mlflow.user" DESC', { entity: 'tag', key: 'mlflow.user', ascending: false }],
    ['attributes.start_time ASC', { entity: 'attribute', key: 'start_time', ascending: true }],
    ['attributes.status  ASC', { entity: 'attribute', key: 'status', ascending: true }],
    ['attributes.status   DESC', { entity: 'attribute', key: 'status', ascending: false }],
    ['start_time DESC', { entity: 'attribute', key: 'start_time', ascending: false }],
    ['run_id', { entity: 'attribute', key: 'run_id', ascending: true }],
    ['attr.end_time', { entity: 'attribute', key: 'end_time', ascending: true }],
    ['run.run_name', { entity: 'attribute', key: 'run_name', ascending: true }],
    ['attributes.user_id', { entity: 'attribute', key: 'user_id', ascending: true }],
    ['attributes.artifact_uri', { entity: 'attribute', key: 'artifact_uri', ascending: true }],
    ['attributes.experiment_id', { entity: 'attribute', key: 'experiment_id', ascending: true }],
    ['created DESC', { entity: 'attribute', key: 'start_time', ascending: false }],
    ['attributes.`Run Name`', { entity: 'attribute', key: 'run_name', ascending: true }],
    ['metrics.`Mean Square Error`', { entity: 'metric', key: 'Mean Square Error', ascending: true }],
    ['metrics.`Mean Square Error` ASC', { entity: 'metric', key: 'Mean Square Error', ascending: true }],
    ['metrics.`Mean Square Error` DESC', { entity: 'metric', key: 'Mean Square Error', ascending: false }],
    ['  params.my_param  ', { entity: 'param', key: 'my_param', ascending: true }],
    ['metrics.accuracy DESC', { entity: 'metric', key: 'accuracy', ascending: false }],
  ];

  it.each(cases)('%s', (entry, expected) => {
    expect(parseRunOrderBy([entry])).toEqual([expected]);
  });

  it('keeps the order of several keys', () => {
    expect(parseRunOrderBy(['params.my_param', 'attributes.status DESC'])).toEqual([
      { entity: 'param', key: 'my_param', ascending: true },
      { entity: 'attribute', key: 'status', ascending: false },
    ]);
  });

  const errors: [string[], string, number, string][] = [
    [['m.acc'], 'order_by[0]', 0, "unknown entity 'm'"],
    [['acc'], 'order_by[0]', 0, "unknown run attribute 'acc' for order_by; use one of start_time"],
    [['attri.x'], 'order_by[0]', 0, "unknown entity 'attri'"],
    [['`metrics.A'], 'order_by[0]', 0, 'unterminated quoted text'],
    [['`metrics.A`'], 'order_by[0]', 0, "unknown run attribute 'metrics.A'"],
    [['attribute.start'], 'order_by[0]', 10, "unknown run attribute 'start'"],
    [['metrics.A != 1'], 'order_by[0]', 10, "expected ASC or DESC after 'metrics.A', found '!='"],
    [
      ['attribute.run_id ACS'],
      'order_by[0]',
      17,
      "expected ASC or DESC after 'attribute.run_id', found 'ACS'",
    ],
    [['attribute.run_id decs'], 'order_by[0]', 17, "found 'decs'"],
    [
      ['metrics.acc DESC extra'],
      'order_by[0]',
      17,
      "expected end of order_by after 'metrics.acc DESC', found 'extra'",
    ],
    [['metrics.acc, params.b'], 'order_by[0]', 11, "expected ASC or DESC after 'metrics.acc', found ','"],
    [[''], 'order_by[0]', 0, 'expected an order_by key such as metrics.acc, found end of input'],
    [['metrics.a', 'DESC'], 'order_by[1]', 0, "expected an order_by key such as metrics.acc, found 'DESC'"],
    [['datasets.name'], 'order_by[0]', 0, 'datasets cannot be used in order_by'],
    [['metrics.'], 'order_by[0]', 8, "empty key after 'metrics.'; expected a key name, found end of input"],
    [['metrics.a-b'], 'order_by[0]', 9, "expected ASC or DESC after 'metrics.a', found '-'"],
  ];

  it.each(errors)('%j → %s position %i', (orderBy, field, position, fragment) => {
    const error = caught(() => parseRunOrderBy(orderBy));
    expect(error.field).toBe(field);
    expect(error.position).toBe(position);
    expect(error.message.startsWith(`Invalid ${field} at position ${position}: `)).toBe(true);
    expect(error.message).toContain(fragment);
  });
});

describe('parseExperimentFilter', () => {
  const name = (comparator: string, value: string) => ({
    entity: 'attribute',
    key: 'name',
    comparator,
    value,
  });
  const cases: [string | undefined, ExperimentFilterClause[] | unknown[]][] = [
    [undefined, []],
    ['  ', []],
    // MLflow docs/source/search-experiments.rst and the search_experiments docstrings.
    ["attributes.name = 'x'", [name('=', 'x')]],
    ["name = 'x'", [name('=', 'x')]],
    ["attributes.name LIKE 'x%'", [name('LIKE', 'x%')]],
    ["tags.group != 'x'", [tag('group', '!=', 'x')]],
    ["tags.group ILIKE '%x%'", [tag('group', 'ILIKE', '%x%')]],
    ["attributes.name LIKE 'x%' AND tags.group = 'y'", [name('LIKE', 'x%'), tag('group', '=', 'y')]],
    ["name = 'a'", [name('=', 'a')]],
    ["name LIKE 'a%'", [name('LIKE', 'a%')]],
    ["tags.k ILIKE '%v'", [tag('k', 'ILIKE', '%v')]],
    ["name LIKE '%b' AND tags.k = 'v'", [name('LIKE', '%b'), tag('k', '=', 'v')]],
    ["tags.`extra key` = 'v'", [tag('extra key', '=', 'v')]],
    // Spellings and numeric attributes.
    ["attribute.name != 'x'", [name('!=', 'x')]],
    ["attr.name ilike 'X%'", [name('ILIKE', 'X%')]],
    ["tag.k = 'v'", [tag('k', '=', 'v')]],
    [
      'creation_time > 1664067852747',
      [{ entity: 'attribute', key: 'creation_time', comparator: '>', value: 1664067852747 }],
    ],
    [
      'attributes.last_update_time <= 5 and creation_time != 0',
      [
        { entity: 'attribute', key: 'last_update_time', comparator: '<=', value: 5 },
        { entity: 'attribute', key: 'creation_time', comparator: '!=', value: 0 },
      ],
    ],
  ];

  it.each(cases)('%j', (filter, expected) => {
    expect(parseExperimentFilter(filter)).toEqual(expected);
  });

  const errors: [string, number, string][] = [
    ['metrics.a > 1', 0, "unknown entity 'metrics'; use attributes or tags"],
    ["params.a = 'x'", 0, "unknown entity 'params'"],
    [
      "attributes.experiment_id = '1'",
      11,
      "unknown experiment attribute 'experiment_id'; use one of name, creation_time, last_update_time",
    ],
    ["run_name = 'x'", 0, "unknown experiment attribute 'run_name'"],
    ['name > 1', 5, "comparator '>' is not supported for attribute 'name'; use one of =, !=, LIKE, ILIKE"],
    ["name IN ('a')", 5, "comparator 'IN' is not supported for attribute 'name'"],
    ["creation_time LIKE '1'", 14, "comparator 'LIKE' is not supported for attribute 'creation_time'"],
    ['tags.k IS NULL', 7, "comparator 'IS NULL' is not supported for tags"],
    ["tags.k > 'v'", 7, "comparator '>' is not supported for tags"],
    ['name = x', 7, "expected a quoted string after 'name =', found 'x'"],
    ["creation_time = '5'", 16, "expected a number after 'creation_time =', found '5'"],
    ["name = 'a' OR name = 'b'", 11, "'OR' is not supported"],
    ["name = 'a' name = 'b'", 11, "expected AND or end of filter after 'name = 'a'', found 'name'"],
    ["name = 'a", 7, 'unterminated quoted text'],
  ];

  it.each(errors)('%s → position %i', (filter, position, fragment) => {
    expectFilterError(parseExperimentFilter, filter, position, fragment);
  });
});

describe('parseExperimentOrderBy', () => {
  it.each([
    [undefined, []],
    [['name'], [{ key: 'name', ascending: true }]],
    [['name DESC'], [{ key: 'name', ascending: false }]],
    [['experiment_id DESC'], [{ key: 'experiment_id', ascending: false }]],
    [['attributes.creation_time asc'], [{ key: 'creation_time', ascending: true }]],
    [['attribute.last_update_time DESC'], [{ key: 'last_update_time', ascending: false }]],
    [
      ['last_update_time DESC', 'name'],
      [
        { key: 'last_update_time', ascending: false },
        { key: 'name', ascending: true },
      ],
    ],
  ])('%j', (orderBy, expected) => {
    expect(parseExperimentOrderBy(orderBy)).toEqual(expected);
  });

  it.each([
    [['tags.k'], 'order_by[0]', 0, "experiments can only be ordered by attributes, found 'tags'"],
    [['metrics.a'], 'order_by[0]', 0, 'experiments can only be ordered by attributes'],
    [
      ['name', 'lifecycle_stage'],
      'order_by[1]',
      0,
      "unknown experiment attribute 'lifecycle_stage' for order_by",
    ],
    [['name aCs'], 'order_by[0]', 5, "expected ASC or DESC after 'name', found 'aCs'"],
  ] as const)('%j → %s', (orderBy, field, position, fragment) => {
    const error = caught(() => parseExperimentOrderBy([...orderBy]));
    expect(error.field).toBe(field);
    expect(error.position).toBe(position);
    expect(error.message).toContain(fragment);
  });
});
