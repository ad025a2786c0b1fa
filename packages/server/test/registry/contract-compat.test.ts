import { describe, expect, it } from 'vitest';
import { SlipwayError } from '@slipway/contracts';
import type {
  CompatibilityMode,
  ContractChangeKind,
  ContractField,
  ModelContract,
  SchemaKind,
} from '@slipway/contracts';
import { assertValidContract, compareContracts, widensTo } from '../../src/registry/contract-compat.js';

type Side = 'inputs' | 'outputs';
type Expected = [ContractChangeKind, boolean][];

/** A required field; `extra` overrides any attribute. */
function f(
  name: string,
  type: ContractField['type'] = 'float64',
  extra: Partial<ContractField> = {},
): ContractField {
  return { name, type, nullable: false, ...extra };
}

const opt = (name: string, type: ContractField['type'] = 'float64', extra: Partial<ContractField> = {}) =>
  f(name, type, { nullable: true, ...extra });

const BASE_INPUTS = [f('base_in')];
const BASE_OUTPUTS = [f('base_out')];

/** A contract whose `side` holds `fields` (after the untouched base field) and whose other side is fixed. */
function contractWith(side: Side, fields: ContractField[], kind: SchemaKind = 'columns'): ModelContract {
  const inputs =
    side === 'inputs'
      ? { kind, fields: [...BASE_INPUTS, ...fields] }
      : { kind: 'columns' as const, fields: BASE_INPUTS };
  const outputs =
    side === 'outputs'
      ? { kind, fields: [...BASE_OUTPUTS, ...fields] }
      : { kind: 'columns' as const, fields: BASE_OUTPUTS };
  return { inputs, outputs, source: 'declared' };
}

interface Row {
  rule: string;
  side: Side;
  before: ContractField[];
  after: ContractField[];
  mode: CompatibilityMode;
  expected: Expected;
  beforeKind?: SchemaKind;
  afterKind?: SchemaKind;
}

/** One rule checked in all three modes: `kinds` are the change kinds, the flags say which modes break. */
function rule(
  rule: string,
  side: Side,
  before: ContractField[],
  after: ContractField[],
  kinds: ContractChangeKind[],
  verdicts: { backward: boolean[]; forward: boolean[] },
  kindsOfSchemas: { beforeKind?: SchemaKind; afterKind?: SchemaKind } = {},
): Row[] {
  const rows = (mode: CompatibilityMode, flags: boolean[]): Row => ({
    rule,
    side,
    before,
    after,
    mode,
    expected: kinds.map((k, i) => [k, flags[i] ?? false]),
    ...kindsOfSchemas,
  });
  const full = kinds.map((_, i) => (verdicts.backward[i] ?? false) || (verdicts.forward[i] ?? false));
  return [rows('backward', verdicts.backward), rows('forward', verdicts.forward), rows('full', full)];
}

const B = (...flags: boolean[]) => flags;

// prettier-ignore
const TABLE: Row[] = [
  // ---- inputs: presence
  ...rule('removed required input', 'inputs', [f('a')], [], ['field-removed'], { backward: B(true), forward: B(true) }),
  ...rule('removed optional input', 'inputs', [opt('a')], [], ['field-removed'], { backward: B(false), forward: B(false) }),
  ...rule('added required input', 'inputs', [], [f('a')], ['field-added'], { backward: B(true), forward: B(true) }),
  ...rule('added optional input', 'inputs', [], [opt('a')], ['field-added'], { backward: B(false), forward: B(false) }),
  ...rule('renamed required input', 'inputs', [f('a')], [f('b')], ['field-renamed'], { backward: B(true), forward: B(true) }),
  ...rule('renamed optional input', 'inputs', [opt('a')], [opt('b')], ['field-renamed'], { backward: B(false), forward: B(false) }),
  ...rule('renamed input that also became optional', 'inputs', [f('a')], [opt('b')], ['field-renamed', 'became-optional'], { backward: B(true, false), forward: B(true, true) }),
  // ---- inputs: types
  ...rule('input int32 -> int64 widened', 'inputs', [f('a', 'int32')], [f('a', 'int64')], ['type-widened'], { backward: B(false), forward: B(true) }),
  ...rule('input float32 -> float64 widened', 'inputs', [f('a', 'float32')], [f('a', 'float64')], ['type-widened'], { backward: B(false), forward: B(true) }),
  ...rule('input int32 -> float64 widened (exact)', 'inputs', [f('a', 'int32')], [f('a', 'float64')], ['type-widened'], { backward: B(false), forward: B(true) }),
  ...rule('input int16 -> float32 widened (exact)', 'inputs', [f('a', 'int16')], [f('a', 'float32')], ['type-widened'], { backward: B(false), forward: B(true) }),
  ...rule('input uint8 -> int16 widened', 'inputs', [f('a', 'uint8')], [f('a', 'int16')], ['type-widened'], { backward: B(false), forward: B(true) }),
  ...rule('input int64 -> float64 is not exact: changed', 'inputs', [f('a', 'int64')], [f('a', 'float64')], ['type-changed'], { backward: B(true), forward: B(true) }),
  ...rule('input int32 -> float32 is not exact: changed', 'inputs', [f('a', 'int32')], [f('a', 'float32')], ['type-changed'], { backward: B(true), forward: B(true) }),
  ...rule('input int64 -> int32 narrowed', 'inputs', [f('a', 'int64')], [f('a', 'int32')], ['type-narrowed'], { backward: B(true), forward: B(false) }),
  ...rule('input float64 -> float32 narrowed', 'inputs', [f('a', 'float64')], [f('a', 'float32')], ['type-narrowed'], { backward: B(true), forward: B(false) }),
  ...rule('input string -> int64 changed', 'inputs', [f('a', 'string')], [f('a', 'int64')], ['type-changed'], { backward: B(true), forward: B(true) }),
  // ---- inputs: categories and ranges
  ...rule('input categories narrowed', 'inputs', [f('c', 'string', { categories: ['a', 'b', 'c'] })], [f('c', 'string', { categories: ['a', 'b'] })], ['categories-removed'], { backward: B(true), forward: B(false) }),
  ...rule('input categories widened', 'inputs', [f('c', 'string', { categories: ['a', 'b'] })], [f('c', 'string', { categories: ['a', 'b', 'c'] })], ['categories-added'], { backward: B(false), forward: B(true) }),
  ...rule('input restricted to categories', 'inputs', [f('c', 'string')], [f('c', 'string', { categories: ['a'] })], ['categories-removed'], { backward: B(true), forward: B(false) }),
  ...rule('input categories no longer restricted', 'inputs', [f('c', 'string', { categories: ['a'] })], [f('c', 'string')], ['categories-added'], { backward: B(false), forward: B(true) }),
  ...rule('input categories swapped', 'inputs', [f('c', 'string', { categories: ['a', 'b'] })], [f('c', 'string', { categories: ['b', 'c'] })], ['categories-added', 'categories-removed'], { backward: B(false, true), forward: B(true, false) }),
  ...rule('number and string categories differ', 'inputs', [f('c', 'object', { categories: [1] })], [f('c', 'object', { categories: ['1'] })], ['categories-added', 'categories-removed'], { backward: B(false, true), forward: B(true, false) }),
  ...rule('input range narrowed', 'inputs', [f('r', 'float64', { range: { min: 0, max: 100 } })], [f('r', 'float64', { range: { min: 0, max: 50 } })], ['range-narrowed'], { backward: B(true), forward: B(false) }),
  ...rule('input range widened', 'inputs', [f('r', 'float64', { range: { min: 0, max: 50 } })], [f('r', 'float64', { range: { min: -10, max: 100 } })], ['range-widened'], { backward: B(false), forward: B(true) }),
  ...rule('input range shifted', 'inputs', [f('r', 'float64', { range: { min: 0, max: 10 } })], [f('r', 'float64', { range: { min: 5, max: 15 } })], ['range-narrowed'], { backward: B(true), forward: B(true) }),
  ...rule('input range bounded where it was not', 'inputs', [f('r')], [f('r', 'float64', { range: { min: 0 } })], ['range-narrowed'], { backward: B(true), forward: B(false) }),
  ...rule('input range bound dropped', 'inputs', [f('r', 'float64', { range: { min: 0, max: 1 } })], [f('r', 'float64', { range: { min: 0 } })], ['range-widened'], { backward: B(false), forward: B(true) }),
  // ---- inputs: optionality, shape, meaning
  ...rule('input became required', 'inputs', [opt('a')], [f('a')], ['became-required'], { backward: B(true), forward: B(false) }),
  ...rule('input became optional', 'inputs', [f('a')], [opt('a')], ['became-optional'], { backward: B(false), forward: B(true) }),
  ...rule('input fixed dim -> dynamic', 'inputs', [f('t', 'float32', { shape: [-1, 4] })], [f('t', 'float32', { shape: [-1, -1] })], ['shape-changed'], { backward: B(false), forward: B(true) }),
  ...rule('input dynamic dim -> fixed', 'inputs', [f('t', 'float32', { shape: [-1, -1] })], [f('t', 'float32', { shape: [-1, 4] })], ['shape-changed'], { backward: B(true), forward: B(false) }),
  ...rule('input fixed dim changed', 'inputs', [f('t', 'float32', { shape: [-1, 4] })], [f('t', 'float32', { shape: [-1, 5] })], ['shape-changed'], { backward: B(true), forward: B(true) }),
  ...rule('input rank changed', 'inputs', [f('t', 'float32', { shape: [-1, 4] })], [f('t', 'float32', { shape: [-1, 4, 1] })], ['shape-changed'], { backward: B(true), forward: B(true) }),
  ...rule('input scalar became a tensor', 'inputs', [f('t', 'float32')], [f('t', 'float32', { shape: [-1] })], ['shape-changed'], { backward: B(true), forward: B(true) }),
  ...rule('input meaning changed', 'inputs', [f('a', 'float64', { meaning: 'amount in USD' })], [f('a', 'float64', { meaning: 'amount in cents' })], ['meaning-changed'], { backward: B(true), forward: B(true) }),
  ...rule('meaning declared where there was none', 'inputs', [f('a')], [f('a', 'float64', { meaning: 'amount in USD' })], [], { backward: [], forward: [] }),
  ...rule('description changed only', 'inputs', [f('a', 'float64', { description: 'old' })], [f('a', 'float64', { description: 'new' })], [], { backward: [], forward: [] }),
  ...rule('identical', 'inputs', [f('a', 'int64', { shape: [-1], categories: [1, 2], range: { min: 1 } })], [f('a', 'int64', { shape: [-1], categories: [1, 2], range: { min: 1 } })], [], { backward: [], forward: [] }),
  ...rule('inputs columns -> tensors', 'inputs', [f('a')], [f('a', 'float64', { shape: [-1] })], ['kind-changed'], { backward: B(true), forward: B(true) }, { beforeKind: 'columns', afterKind: 'tensors' }),
  // ---- rename heuristic
  ...rule('two removed and two added: no rename guessed', 'inputs', [opt('a'), opt('b')], [opt('c'), opt('d')], ['field-removed', 'field-removed', 'field-added', 'field-added'], { backward: B(false, false, false, false), forward: B(false, false, false, false) }),
  ...rule('one removed, one added of another type: no rename', 'inputs', [f('a', 'int64')], [f('b', 'string')], ['field-removed', 'field-added'], { backward: B(true, true), forward: B(true, true) }),
  ...rule('one removed, one added of another shape: no rename', 'inputs', [f('a', 'float32', { shape: [-1, 2] })], [f('b', 'float32', { shape: [-1, 3] })], ['field-removed', 'field-added'], { backward: B(true, true), forward: B(true, true) }),
  // ---- outputs
  ...rule('removed output', 'outputs', [f('p')], [], ['field-removed'], { backward: B(true), forward: B(false) }),
  ...rule('added output', 'outputs', [], [f('p')], ['field-added'], { backward: B(false), forward: B(true) }),
  ...rule('renamed output', 'outputs', [f('p')], [f('q')], ['field-renamed'], { backward: B(true), forward: B(true) }),
  ...rule('renamed optional output', 'outputs', [opt('p')], [opt('q')], ['field-renamed'], { backward: B(true), forward: B(true) }),
  ...rule('output type widened is still breaking', 'outputs', [f('p', 'int32')], [f('p', 'int64')], ['type-widened'], { backward: B(true), forward: B(true) }),
  ...rule('output type narrowed is breaking', 'outputs', [f('p', 'float64')], [f('p', 'float32')], ['type-narrowed'], { backward: B(true), forward: B(true) }),
  ...rule('output type changed', 'outputs', [f('p', 'int64')], [f('p', 'string')], ['type-changed'], { backward: B(true), forward: B(true) }),
  ...rule('output categories added', 'outputs', [f('label', 'int64', { categories: [0, 1] })], [f('label', 'int64', { categories: [0, 1, 2] })], ['categories-added'], { backward: B(true), forward: B(false) }),
  ...rule('output categories removed', 'outputs', [f('label', 'int64', { categories: [0, 1, 2] })], [f('label', 'int64', { categories: [0, 1] })], ['categories-removed'], { backward: B(false), forward: B(true) }),
  ...rule('output categories no longer restricted', 'outputs', [f('label', 'string', { categories: ['yes', 'no'] })], [f('label', 'string')], ['categories-added'], { backward: B(true), forward: B(false) }),
  ...rule('output meaning changed', 'outputs', [f('score', 'float32', { meaning: 'probability of fraud' })], [f('score', 'float32', { meaning: 'fraud risk score' })], ['meaning-changed'], { backward: B(true), forward: B(true) }),
  ...rule('output became optional', 'outputs', [f('p')], [opt('p')], ['became-optional'], { backward: B(true), forward: B(false) }),
  ...rule('output became required', 'outputs', [opt('p')], [f('p')], ['became-required'], { backward: B(false), forward: B(true) }),
  ...rule('output range widened', 'outputs', [f('p', 'float64', { range: { min: 0, max: 1 } })], [f('p', 'float64', { range: { min: 0, max: 100 } })], ['range-widened'], { backward: B(true), forward: B(false) }),
  ...rule('output range narrowed', 'outputs', [f('p', 'float64', { range: { min: 0, max: 100 } })], [f('p', 'float64', { range: { min: 0, max: 1 } })], ['range-narrowed'], { backward: B(false), forward: B(true) }),
  ...rule('output fixed dim -> dynamic', 'outputs', [f('p', 'float32', { shape: [-1, 2] })], [f('p', 'float32', { shape: [-1, -1] })], ['shape-changed'], { backward: B(true), forward: B(false) }),
  ...rule('output dynamic dim -> fixed', 'outputs', [f('p', 'float32', { shape: [-1, -1] })], [f('p', 'float32', { shape: [-1, 2] })], ['shape-changed'], { backward: B(false), forward: B(true) }),
  ...rule('output fixed dim changed', 'outputs', [f('p', 'float32', { shape: [-1, 2] })], [f('p', 'float32', { shape: [-1, 3] })], ['shape-changed'], { backward: B(true), forward: B(true) }),
  ...rule('outputs tensors -> columns', 'outputs', [f('p', 'float32', { shape: [-1] })], [f('p', 'float32')], ['kind-changed'], { backward: B(true), forward: B(true) }, { beforeKind: 'tensors', afterKind: 'columns' }),
];

describe('compareContracts: the compatibility table', () => {
  it('has a row for every rule in every mode', () => {
    expect(TABLE.length).toBeGreaterThanOrEqual(30);
    for (const mode of ['backward', 'forward', 'full'] as const) {
      expect(TABLE.filter((r) => r.mode === mode).length).toBe(TABLE.length / 3);
    }
  });

  it.each(TABLE.map((row) => [`${row.mode}: ${row.rule}`, row] as const))('%s', (_name, row) => {
    const previous = contractWith(row.side, row.before, row.beforeKind);
    const next = contractWith(row.side, row.after, row.afterKind);
    const report = compareContracts(previous, next, row.mode);
    expect(report.mode).toBe(row.mode);
    expect(report.changes.map((c) => [c.kind, c.breaking])).toEqual(row.expected);
    expect(report.changes.every((c) => c.side === row.side)).toBe(true);
    expect(report.compatible).toBe(row.expected.every(([, breaking]) => !breaking));
  });
});

describe('compareContracts: reports', () => {
  const previous: ModelContract = {
    inputs: {
      kind: 'columns',
      fields: [f('amount', 'int32'), f('country', 'string'), opt('note', 'string')],
    },
    outputs: { kind: 'columns', fields: [f('label', 'int64', { categories: [0, 1] })] },
    source: 'mlflow-signature',
  };

  it('names side, field and both values in every message', () => {
    const next: ModelContract = {
      inputs: {
        kind: 'columns',
        fields: [f('amount', 'int64'), f('nation', 'string'), opt('note', 'string')],
      },
      outputs: { kind: 'columns', fields: [f('label', 'int64', { categories: [0, 1, 2] })] },
      source: 'onnx',
    };
    const report = compareContracts(previous, next, 'backward');
    expect(report.compatible).toBe(false);
    expect(report.changes).toEqual([
      {
        side: 'inputs',
        field: 'amount',
        kind: 'type-widened',
        breaking: false,
        message: "Input 'amount' type changed from int32 to int64 (widened)",
      },
      {
        side: 'inputs',
        field: 'country',
        renamedTo: 'nation',
        kind: 'field-renamed',
        breaking: true,
        message: "Input 'country' was renamed to 'nation' (string, required); breaks backward compatibility",
      },
      {
        side: 'outputs',
        field: 'label',
        kind: 'categories-added',
        breaking: true,
        message:
          "Output 'label' categories added: [2] (was [0, 1], now [0, 1, 2]); breaks backward compatibility",
      },
    ]);
  });

  it('says which direction breaks in full mode', () => {
    const next = {
      ...previous,
      inputs: {
        kind: 'columns' as const,
        fields: [f('amount', 'int64'), f('country', 'string'), opt('note', 'string')],
      },
    };
    const [change] = compareContracts(previous, next, 'full').changes;
    expect(change?.message).toBe(
      "Input 'amount' type changed from int32 to int64 (widened); breaks forward compatibility",
    );
    const removed = compareContracts(
      previous,
      { ...previous, outputs: { kind: 'columns', fields: [] } },
      'full',
    );
    expect(removed.changes[0]?.message).toBe(
      "Output 'label' was removed (was int64, required); breaks backward compatibility",
    );
    const added = compareContracts(
      previous,
      { ...previous, inputs: { kind: 'columns', fields: [...previous.inputs.fields, f('x')] } },
      'full',
    );
    expect(added.changes[0]?.message).toBe(
      "Input 'x' was added (float64, required); breaks backward and forward compatibility",
    );
  });

  it('words shapes, ranges and restrictions with both values', () => {
    const shape = compareContracts(
      contractWith('inputs', [f('t', 'float32', { shape: [-1, 4] })], 'tensors'),
      contractWith('inputs', [f('t', 'float32', { shape: [-1, 5] })], 'tensors'),
      'backward',
    );
    expect(shape.changes[0]?.message).toMatch(/^Input 't' shape changed from \[-1, 4\] to \[-1, 5\]/);
    const range = compareContracts(
      contractWith('inputs', [f('r', 'float64', { range: { min: 0 } })]),
      contractWith('inputs', [f('r', 'float64', { range: { min: 0, max: 9 } })]),
      'backward',
    );
    expect(range.changes[0]?.message).toMatch(/^Input 'r' range narrowed from \[0, inf\) to \[0, 9\]/);
    const restricted = compareContracts(
      contractWith('inputs', [f('c', 'string')]),
      contractWith('inputs', [f('c', 'string', { categories: ['a'] })]),
      'backward',
    );
    expect(restricted.changes[0]?.message).toMatch(
      /^Input 'c' is now restricted to categories \['a'\] \(was unrestricted\)/,
    );
  });

  it('reports an identical contract as compatible with no changes in every mode', () => {
    for (const mode of ['backward', 'forward', 'full'] as const) {
      expect(compareContracts(previous, structuredClone(previous), mode)).toEqual({
        mode,
        compatible: true,
        changes: [],
      });
    }
  });

  it('does not call an empty side a kind change', () => {
    const empty: ModelContract = { ...previous, outputs: { kind: 'tensors', fields: [] } };
    const next: ModelContract = { ...previous, outputs: { kind: 'columns', fields: [f('p')] } };
    expect(compareContracts(empty, next, 'backward').changes.map((c) => c.kind)).toEqual(['field-added']);
  });

  it('lists inputs before outputs, old fields in order, then added ones', () => {
    const next: ModelContract = {
      inputs: { kind: 'columns', fields: [opt('extra'), f('note', 'string'), f('amount', 'int32')] },
      outputs: { kind: 'columns', fields: [] },
      source: 'declared',
    };
    const report = compareContracts(previous, next, 'backward');
    expect(report.changes.map((c) => `${c.side}:${c.field}:${c.kind}`)).toEqual([
      'inputs:country:field-removed',
      'inputs:note:became-required',
      'inputs:extra:field-added',
      'outputs:label:field-removed',
    ]);
  });
});

describe('widensTo', () => {
  it.each([
    ['int8', 'float16', true],
    ['uint8', 'float16', true],
    ['int16', 'float16', false],
    ['uint32', 'int64', true],
    ['uint64', 'int64', false],
    ['int64', 'float64', false],
    ['float16', 'float64', true],
    ['boolean', 'int8', false],
    ['int32', 'int32', false],
  ] as const)('%s -> %s: %s', (from, to, widens) => {
    expect(widensTo(from, to)).toBe(widens);
  });
});

describe('assertValidContract', () => {
  const valid = (): Record<string, unknown> => ({
    inputs: { kind: 'tensors', fields: [f('x', 'float32', { shape: [-1, 3], range: { min: 0, max: 1 } })] },
    outputs: { kind: 'columns', fields: [f('label', 'int64', { categories: [0, 1], meaning: 'class' })] },
    source: 'declared',
  });

  function refusal(contract: unknown): SlipwayError {
    try {
      assertValidContract(contract, 'contract');
    } catch (error) {
      expect(error).toBeInstanceOf(SlipwayError);
      expect((error as SlipwayError).code).toBe('INVALID_ARGUMENT');
      return error as SlipwayError;
    }
    throw new Error('expected a refusal');
  }

  function mutate(
    change: (c: { inputs: { fields: Record<string, unknown>[] } } & Record<string, unknown>) => void,
  ): unknown {
    const c = valid() as { inputs: { fields: Record<string, unknown>[] } } & Record<string, unknown>;
    change(c);
    return c;
  }

  it('accepts a well-formed contract', () => {
    expect(() => assertValidContract(valid(), 'contract')).not.toThrow();
  });

  it.each<[string, unknown, string, RegExp]>([
    ['not an object', 'nope', 'contract', /must be an object/],
    ['an unknown source', mutate((c) => (c.source = 'guess')), 'contract.source', /source/],
    ['an unknown contract key', mutate((c) => (c.extra = 1)), 'contract.extra', /Unknown contract key/],
    [
      'a bad schema kind',
      mutate((c) => ((c.inputs as unknown as Record<string, unknown>).kind = 'rows')),
      'contract.inputs.kind',
      /columns/,
    ],
    [
      'fields not a list',
      mutate((c) => ((c.inputs as unknown as Record<string, unknown>).fields = {})),
      'contract.inputs.fields',
      /list/,
    ],
    [
      'a duplicate field name',
      mutate((c) => c.inputs.fields.push({ ...f('x', 'float32') })),
      'contract.inputs.fields[1].name',
      /Duplicate field name 'x'/,
    ],
    [
      'an unknown type',
      mutate((c) => (c.inputs.fields[0]!.type = 'float')),
      'contract.inputs.fields[0].type',
      /Unknown field type 'float'/,
    ],
    [
      'an empty name',
      mutate((c) => (c.inputs.fields[0]!.name = '')),
      'contract.inputs.fields[0].name',
      /non-empty/,
    ],
    [
      'a missing nullable',
      mutate((c) => delete c.inputs.fields[0]!.nullable),
      'contract.inputs.fields[0].nullable',
      /boolean/,
    ],
    [
      'a fractional dimension',
      mutate((c) => (c.inputs.fields[0]!.shape = [-1, 2.5])),
      'contract.inputs.fields[0].shape[1]',
      /Invalid dimension 2.5/,
    ],
    [
      'a dimension below -1',
      mutate((c) => (c.inputs.fields[0]!.shape = [-2])),
      'contract.inputs.fields[0].shape[0]',
      /Invalid dimension -2/,
    ],
    [
      'a shape that is not a list',
      mutate((c) => (c.inputs.fields[0]!.shape = 3)),
      'contract.inputs.fields[0].shape',
      /list of dimensions/,
    ],
    [
      'min greater than max',
      mutate((c) => (c.inputs.fields[0]!.range = { min: 2, max: 1 })),
      'contract.inputs.fields[0].range',
      /min 2 is greater than max 1/,
    ],
    [
      'a non-finite bound',
      mutate((c) => (c.inputs.fields[0]!.range = { max: Number.POSITIVE_INFINITY })),
      'contract.inputs.fields[0].range.max',
      /finite/,
    ],
    [
      'an unknown range key',
      mutate((c) => (c.inputs.fields[0]!.range = { low: 0 })),
      'contract.inputs.fields[0].range.low',
      /Unknown range key/,
    ],
    [
      'empty categories',
      mutate((c) => (c.inputs.fields[0]!.categories = [])),
      'contract.inputs.fields[0].categories',
      /non-empty/,
    ],
    [
      'duplicate categories',
      mutate((c) => (c.inputs.fields[0]!.categories = ['a', 'a'])),
      'contract.inputs.fields[0].categories[1]',
      /Duplicate category a/,
    ],
    [
      'an object category',
      mutate((c) => (c.inputs.fields[0]!.categories = [{}])),
      'contract.inputs.fields[0].categories[0]',
      /string or a finite number/,
    ],
    [
      'an unknown field key',
      mutate((c) => (c.inputs.fields[0]!.required = true)),
      'contract.inputs.fields[0].required',
      /Unknown contract field key/,
    ],
    [
      'a non-string meaning',
      mutate((c) => (c.inputs.fields[0]!.meaning = 3)),
      'contract.inputs.fields[0].meaning',
      /string/,
    ],
  ])('refuses %s, naming the sub-field', (_label, contract, field, message) => {
    const error = refusal(contract);
    expect(error.details.field).toBe(field);
    expect(error.message).toMatch(message);
  });
});
