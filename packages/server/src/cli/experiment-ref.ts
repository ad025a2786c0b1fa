/** Turning the `--experiment <id|name>` a person types into the experiment id the API wants. */
import { SlipwayError } from '@slipway/contracts';
import { NotFoundError, type SlipwayClient } from '@slipway/sdk';

/** An experiment id for `ref`: an existing id first, else an exact name. */
export async function resolveExperimentId(client: SlipwayClient, ref: string): Promise<string> {
  // A numeric ref may still be a name ("2024" is a valid experiment name), so ids only go first.
  const attempts = /^\d+$/.test(ref)
    ? [() => client.experiments.get(ref), () => client.experiments.getByName(ref)]
    : [() => client.experiments.getByName(ref)];
  for (const attempt of attempts) {
    try {
      return (await attempt()).experimentId;
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
    }
  }
  throw new SlipwayError('NOT_FOUND', `No experiment with id or name '${ref}'.`, { field: 'experiment' });
}
