/** The one way tests catch a synchronous refusal: the SlipwayError `run` throws, or a failed test. */
import { SlipwayError } from '@slipway/contracts';
import { expect } from 'vitest';

/** Runs `run` and returns the SlipwayError it throws; fails the test when it returns or throws anything else. */
export function refusal(run: () => unknown): SlipwayError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(SlipwayError);
    return error as SlipwayError;
  }
  throw new Error('expected a SlipwayError');
}

/** The field an INVALID_ARGUMENT refusal of `run` names; fails the test on anything else. */
export function refusedField(run: () => unknown): string | undefined {
  const error = refusal(run);
  expect(error.code).toBe('INVALID_ARGUMENT');
  return error.details.field;
}
