/**
 * Pure validation of registry inputs. Each check throws INVALID_ARGUMENT naming the offending field.
 * Rules follow MLflow 2.12 where it has one (alias names), and are stricter where `models:/` URIs
 * would otherwise be ambiguous (a `/` or `@` in a model name).
 */
import {
  COMPATIBILITY_MODES,
  invalidArgument,
  type CompatibilityMode,
  type StringMap,
} from '@slipway/contracts';
import { LIMITS } from '../tracking/tracking-limits.js';
import { validateKey, validateLength } from '../tracking/tracking-validation.js';

const MAX_NAME_LENGTH = 256;
const MAX_ALIAS_LENGTH = 255;
const ALIAS = /^[\w-]+$/;
const VERSION = /^[1-9]\d{0,17}$/;

/** The model tag that chooses the contract-compatibility mode alias moves are checked in. */
export const COMPATIBILITY_TAG = 'slipway.contract_compatibility';

/** Checks a registered model name: non-empty, bounded, and free of the `models:/` URI separators. */
export function validateModelName(name: unknown, field = 'name'): string {
  if (typeof name !== 'string' || name.trim() === '') {
    throw invalidArgument(
      field,
      `Missing value for required field '${field}': a registered model name must be a non-empty string.`,
    );
  }
  if (name.length > MAX_NAME_LENGTH) {
    throw invalidArgument(
      field,
      `Registered model name is ${name.length} characters long; the limit is ${MAX_NAME_LENGTH}.`,
    );
  }
  if (/[/@]/.test(name)) {
    throw invalidArgument(
      field,
      `Invalid registered model name '${name}': '/' and '@' are reserved by models:/ URIs.`,
    );
  }
  return name;
}

/** Checks a version string: a positive decimal integer. */
export function validateVersion(version: unknown, field = 'version'): string {
  const text = typeof version === 'number' ? String(version) : version;
  if (typeof text !== 'string' || !VERSION.test(text)) {
    throw invalidArgument(
      field,
      `Invalid model version '${String(version)}': must be a positive integer such as "3".`,
    );
  }
  return text;
}

/** Checks an alias name as MLflow does: word characters and dashes, not `latest`, not `v<digits>`. */
export function validateAlias(alias: unknown, field = 'alias'): string {
  if (typeof alias !== 'string' || alias === '') {
    throw invalidArgument(field, `Missing value for required field '${field}'.`);
  }
  if (alias.length > MAX_ALIAS_LENGTH || !ALIAS.test(alias)) {
    throw invalidArgument(
      field,
      `Invalid alias name '${alias}': use up to ${MAX_ALIAS_LENGTH} letters, digits, underscores and dashes.`,
    );
  }
  if (alias.toLowerCase() === 'latest' || /^v\d+$/i.test(alias)) {
    throw invalidArgument(
      field,
      `Invalid alias name '${alias}': 'latest' and 'v<number>' are reserved for versions.`,
    );
  }
  return alias;
}

/** Checks registry tags: MLflow's key rules and value length limit. */
export function validateRegistryTags(tags: StringMap, field = 'tags'): StringMap {
  for (const [key, value] of Object.entries(tags)) {
    validateKey('tag', key, `${field}.${key}`);
    validateLength(`${field}.${key}`, value, LIMITS.maxTagValueLength);
    if (key === COMPATIBILITY_TAG) compatibilityModeOf(value, `${field}.${key}`);
  }
  return tags;
}

/** The compatibility mode a model's tag selects (`none` disables the check); backward when unset. */
export function compatibilityModeOf(
  tagValue: string | undefined,
  field = `tags.${COMPATIBILITY_TAG}`,
): CompatibilityMode | 'none' {
  if (tagValue === undefined) return 'backward';
  if (tagValue === 'none' || (COMPATIBILITY_MODES as readonly string[]).includes(tagValue)) {
    return tagValue as CompatibilityMode | 'none';
  }
  throw invalidArgument(
    field,
    `Invalid compatibility mode '${tagValue}': use one of ${COMPATIBILITY_MODES.join(', ')}, none.`,
  );
}

/** Checks a free-text description's length. */
export function validateDescription(description: string | undefined, field = 'description'): string {
  const text = description ?? '';
  validateLength(field, text, LIMITS.maxTagValueLength);
  return text;
}
