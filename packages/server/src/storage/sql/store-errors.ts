/**
 * The errors of the tracking store port's error contract, built in one place so messages and
 * `details.field` stay consistent.
 */
import { SlipwayError, invalidArgument, notFound } from '@slipway/contracts';

/** NOT_FOUND for a missing experiment. */
export function experimentNotFound(experimentId: string): SlipwayError {
  return notFound(`No Experiment with id=${experimentId} exists`, { field: 'experiment_id' });
}

/** NOT_FOUND for a missing run. */
export function runNotFound(runId: string): SlipwayError {
  return notFound(`Run with id=${runId} not found`, { field: 'run_id' });
}

/** FAILED_PRECONDITION for a write to a deleted experiment. */
export function experimentNotActive(experimentId: string): SlipwayError {
  return new SlipwayError(
    'FAILED_PRECONDITION',
    `The experiment ${experimentId} must be in the 'active' state. Current state is deleted.`,
    { field: 'experiment_id' },
  );
}

/** FAILED_PRECONDITION for moving an experiment to the stage it is already in. */
export function experimentAlreadyInStage(experimentId: string, stage: string): SlipwayError {
  return new SlipwayError('FAILED_PRECONDITION', `The experiment ${experimentId} is already ${stage}.`, {
    field: 'experiment_id',
  });
}

/** FAILED_PRECONDITION for a write to a deleted run. */
export function runNotActive(runId: string): SlipwayError {
  return new SlipwayError(
    'FAILED_PRECONDITION',
    `The run ${runId} must be in the 'active' state. Current state is deleted.`,
    { field: 'run_id' },
  );
}

/** ALREADY_EXISTS for a taken experiment name. */
export function experimentNameTaken(name: string): SlipwayError {
  return new SlipwayError('ALREADY_EXISTS', `Experiment(name=${name}) already exists.`, { field: 'name' });
}

/** ALREADY_EXISTS for a run id that is already used. */
export function runIdTaken(runId: string): SlipwayError {
  return new SlipwayError('ALREADY_EXISTS', `Run with id=${runId} already exists.`, { field: 'run_id' });
}

/** INVALID_ARGUMENT for a param logged again with a different value. */
export function paramChanged(runId: string, key: string, oldValue: string, newValue: string): SlipwayError {
  return invalidArgument(
    `params.${key}`,
    `Changing param values is not allowed. Param with key='${key}' was already logged with ` +
      `value='${oldValue}' for run ID='${runId}'. Attempted logging new value '${newValue}'.`,
  );
}

/** NOT_FOUND for a tag that is not set. */
export function tagNotFound(owner: string, key: string): SlipwayError {
  return notFound(`No tag with name: ${key} in ${owner}`, { field: 'key' });
}
