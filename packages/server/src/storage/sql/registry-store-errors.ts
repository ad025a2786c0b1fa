/**
 * The errors of the registry store port's error contract, built in one place so messages (which
 * name the model, version or alias) and `details.field` stay consistent.
 */
import { SlipwayError, notFound } from '@slipway/contracts';
import { tagNotFound } from './store-errors.js';

/** NOT_FOUND for a missing registered model. */
export function registeredModelNotFound(name: string): SlipwayError {
  return notFound(`Registered Model with name=${name} not found`, { field: 'name' });
}

/** NOT_FOUND for a missing model version. */
export function modelVersionNotFound(name: string, version: string): SlipwayError {
  return notFound(`Model Version (name=${name}, version=${version}) not found`, { field: 'version' });
}

/** NOT_FOUND for deleting an alias that is not set. */
export function aliasNotFound(name: string, alias: string): SlipwayError {
  return notFound(`Alias ${alias} of Registered Model with name=${name} not found`, { field: 'alias' });
}

/** ALREADY_EXISTS for a taken registered model name (create or rename). */
export function registeredModelNameTaken(name: string): SlipwayError {
  return new SlipwayError('ALREADY_EXISTS', `Registered Model (name=${name}) already exists.`, {
    field: 'name',
  });
}

/** NOT_FOUND for a model tag that is not set (field `key`, as the tracking store's tags). */
export function modelTagNotFound(name: string, key: string): SlipwayError {
  return tagNotFound(`Registered Model with name=${name}`, key);
}

/** NOT_FOUND for a version tag that is not set. */
export function versionTagNotFound(name: string, version: string, key: string): SlipwayError {
  return tagNotFound(`Model Version (name=${name}, version=${version})`, key);
}

/** FAILED_PRECONDITION from a compare-and-set alias move whose expected version no longer holds. */
export function aliasMoved(
  name: string,
  alias: string,
  expected: string | undefined,
  current: string | undefined,
): SlipwayError {
  const describe = (version: string | undefined): string =>
    version === undefined ? 'unset' : `version ${version}`;
  return new SlipwayError(
    'FAILED_PRECONDITION',
    `Alias ${alias} of Registered Model with name=${name} is ${describe(current)}, not ` +
      `${describe(expected)} as expected: it moved since it was read.`,
    { field: 'alias', reason: 'alias-moved', current },
  );
}
