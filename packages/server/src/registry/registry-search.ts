/**
 * MLflow's registry search grammar (search_registered_models, search_model_versions) on top of the
 * tracking search grammar: same tokens, quoting and positioned errors; only the key tables differ.
 * Which keys and comparators are accepted follows MLflow 2.12's SearchModelUtils. Pure: no I/O.
 */
import {
  NUMERIC,
  STRING,
  STRING_OR_SET,
  parseConjunction,
  parseOrderEntry,
  splitKey,
  type Target,
} from '../tracking/search-grammar.js';
import type { KeyPath, SearchScanner } from '../tracking/search-tokenizer.js';
import type {
  ModelVersionFilterClause,
  ModelVersionOrderKey,
  RegisteredModelFilterClause,
  RegisteredModelOrderKey,
} from './registry-store.js';

const TAG_ENTITIES: ReadonlySet<string> = new Set(['tag', 'tags']);
const ATTRIBUTE_ENTITIES: ReadonlySet<string> = new Set(['attribute', 'attributes', 'attr']);

/** Order-by names clients send, mapped to the store's keys (`timestamp` is MLflow's old spelling). */
const MODEL_ORDER_KEYS: ReadonlyMap<string, RegisteredModelOrderKey['key']> = new Map([
  ['name', 'name'],
  ['creation_timestamp', 'creation_time'],
  ['last_updated_timestamp', 'last_updated_time'],
  ['timestamp', 'last_updated_time'],
] as const);

const VERSION_ORDER_KEYS: ReadonlyMap<string, ModelVersionOrderKey['key']> = new Map([
  ['name', 'name'],
  ['version_number', 'version'],
  ['creation_timestamp', 'creation_time'],
  ['last_updated_timestamp', 'last_updated_time'],
  ['timestamp', 'last_updated_time'],
] as const);

/** Parses a search_registered_models filter (`name`, `tags.<key>`); empty or absent → []. */
export function parseRegisteredModelFilter(filter: string | undefined): RegisteredModelFilterClause[] {
  return parseConjunction(filter, 'filter', resolveModelTarget) as RegisteredModelFilterClause[];
}

/** Parses a search_model_versions filter (`name`, `run_id`, `source_path`, `version_number`, `tags.<key>`). */
export function parseModelVersionFilter(filter: string | undefined): ModelVersionFilterClause[] {
  return parseConjunction(filter, 'filter', resolveVersionTarget) as ModelVersionFilterClause[];
}

/** Parses search_registered_models order_by entries such as `name DESC`; absent → []. */
export function parseRegisteredModelOrderBy(orderBy: string[] | undefined): RegisteredModelOrderKey[] {
  return parseOrderKeys(orderBy, MODEL_ORDER_KEYS);
}

/** Parses search_model_versions order_by entries such as `version_number DESC`; absent → []. */
export function parseModelVersionOrderBy(orderBy: string[] | undefined): ModelVersionOrderKey[] {
  return parseOrderKeys(orderBy, VERSION_ORDER_KEYS);
}

function parseOrderKeys<K extends string>(
  orderBy: string[] | undefined,
  keys: ReadonlyMap<string, K>,
): { key: K; ascending: boolean }[] {
  return (orderBy ?? []).map((entry, i) => {
    const { scanner, path, ascending } = parseOrderEntry(entry, `order_by[${i}]`);
    const split = splitKey(scanner, path);
    if (split.entity && !ATTRIBUTE_ENTITIES.has(split.entity.text)) {
      scanner.fail(
        split.entity.start,
        `only attributes can be used in order_by, found '${split.entity.text}'`,
      );
    }
    const key = keys.get(split.key);
    if (key === undefined) {
      const valid = [...keys.keys()].join(', ');
      return scanner.fail(split.keyStart, `unknown order_by key '${split.key}'; use one of ${valid}`);
    }
    return { key, ascending };
  });
}

function resolveModelTarget(scanner: SearchScanner, path: KeyPath): Target {
  const split = splitKey(scanner, path);
  if (split.entity && TAG_ENTITIES.has(split.entity.text)) {
    return { entity: 'tag', key: split.key, valueType: 'string', comparators: STRING, label: 'tags' };
  }
  rejectUnknownEntity(scanner, split.entity);
  if (split.key === 'name') {
    return {
      entity: 'attribute',
      key: 'name',
      valueType: 'string',
      comparators: STRING,
      label: "attribute 'name'",
    };
  }
  return scanner.fail(
    split.keyStart,
    `unknown registered model attribute '${split.key}'; use name or tags.<key>`,
  );
}

function resolveVersionTarget(scanner: SearchScanner, path: KeyPath): Target {
  const split = splitKey(scanner, path);
  if (split.entity && TAG_ENTITIES.has(split.entity.text)) {
    return { entity: 'tag', key: split.key, valueType: 'string', comparators: STRING, label: 'tags' };
  }
  rejectUnknownEntity(scanner, split.entity);
  const label = `attribute '${split.key}'`;
  switch (split.key) {
    case 'name':
    case 'run_id':
      return { entity: 'attribute', key: split.key, valueType: 'string', comparators: STRING_OR_SET, label };
    case 'source_path':
      return { entity: 'attribute', key: 'source', valueType: 'string', comparators: STRING, label };
    case 'version_number':
      return { entity: 'attribute', key: 'version', valueType: 'number', comparators: NUMERIC, label };
  }
  return scanner.fail(
    split.keyStart,
    `unknown model version attribute '${split.key}'; use one of name, run_id, source_path, version_number, tags.<key>`,
  );
}

function rejectUnknownEntity(
  scanner: SearchScanner,
  entity: { text: string; start: number } | undefined,
): void {
  if (entity && !ATTRIBUTE_ENTITIES.has(entity.text)) {
    scanner.fail(entity.start, `unknown entity '${entity.text}'; use attributes or tags`);
  }
}
