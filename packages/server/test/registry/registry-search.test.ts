import { describe, expect, it } from 'vitest';
import {
  parseModelVersionFilter,
  parseModelVersionOrderBy,
  parseRegisteredModelFilter,
  parseRegisteredModelOrderBy,
} from '../../src/registry/registry-search.js';
import { refusal } from '../helpers/refusal.js';

describe('registered model filters', () => {
  it('parses name and tag clauses joined by AND', () => {
    expect(parseRegisteredModelFilter("name LIKE 'fraud%' AND tags.team = 'risk'")).toEqual([
      { entity: 'attribute', key: 'name', comparator: 'LIKE', value: 'fraud%' },
      { entity: 'tag', key: 'team', comparator: '=', value: 'risk' },
    ]);
  });

  it('accepts ILIKE and != on names, and quoted tag keys', () => {
    expect(parseRegisteredModelFilter("name ILIKE '%FRAUD%' and tags.`a b` != 'x'")).toEqual([
      { entity: 'attribute', key: 'name', comparator: 'ILIKE', value: '%FRAUD%' },
      { entity: 'tag', key: 'a b', comparator: '!=', value: 'x' },
    ]);
  });

  it('is empty for an absent or blank filter', () => {
    expect(parseRegisteredModelFilter(undefined)).toEqual([]);
    expect(parseRegisteredModelFilter('   ')).toEqual([]);
  });

  it.each([
    ["run_id = 'x'", 'unknown registered model attribute'],
    ["metrics.x = 'x'", "unknown entity 'metrics'"],
    ["name IN ('a')", "comparator 'IN' is not supported"],
    ["name = 'a' OR name = 'b'", "'OR' is not supported"],
  ])('refuses %s with a positioned error on filter', (filter, message) => {
    const err = refusal(() => parseRegisteredModelFilter(filter));
    expect(err.code).toBe('INVALID_ARGUMENT');
    expect(err.details.field).toBe('filter');
    expect(err.message).toContain(message);
    expect(typeof err.details.position).toBe('number');
  });
});

describe('model version filters', () => {
  it('maps MLflow key names onto the store keys', () => {
    expect(
      parseModelVersionFilter(
        "name = 'm' AND run_id IN ('a', 'b') AND source_path LIKE 'runs:/%' AND version_number >= 3 AND tags.k = 'v'",
      ),
    ).toEqual([
      { entity: 'attribute', key: 'name', comparator: '=', value: 'm' },
      { entity: 'attribute', key: 'run_id', comparator: 'IN', values: ['a', 'b'] },
      { entity: 'attribute', key: 'source', comparator: 'LIKE', value: 'runs:/%' },
      { entity: 'attribute', key: 'version', comparator: '>=', value: 3 },
      { entity: 'tag', key: 'k', comparator: '=', value: 'v' },
    ]);
  });

  it('requires a number for version_number', () => {
    const err = refusal(() => parseModelVersionFilter("version_number = '3'"));
    expect(err.message).toContain('expected a number');
  });

  it('names the valid attributes when one is unknown', () => {
    const err = refusal(() => parseModelVersionFilter("stage = 'None'"));
    expect(err.message).toContain('name, run_id, source_path, version_number');
  });
});

describe('registry order_by', () => {
  it('maps MLflow order keys, including the old `timestamp` spelling', () => {
    expect(parseRegisteredModelOrderBy(['name DESC', 'timestamp', 'creation_timestamp ASC'])).toEqual([
      { key: 'name', ascending: false },
      { key: 'last_updated_time', ascending: true },
      { key: 'creation_time', ascending: true },
    ]);
    expect(parseModelVersionOrderBy(['version_number DESC', 'last_updated_timestamp'])).toEqual([
      { key: 'version', ascending: false },
      { key: 'last_updated_time', ascending: true },
    ]);
  });

  it('refuses unknown keys and non-attribute entities naming order_by[i]', () => {
    const unknown = refusal(() => parseModelVersionOrderBy(['name', 'stage']));
    expect(unknown.details.field).toBe('order_by[1]');
    expect(unknown.message).toContain("unknown order_by key 'stage'");
    const tag = refusal(() => parseRegisteredModelOrderBy(['tags.team']));
    expect(tag.message).toContain('only attributes');
  });
});
