/**
 * Where a model version's source lives in this server's artifact store, if it does: `runs:/<run>/<path>`
 * (through the run's artifact URI) and `mlflow-artifacts:/<path>` are ours; any other URI (s3://,
 * file:, dbfs:) belongs to someone else and is recorded, not copied.
 */
import { SlipwayError } from '@slipway/contracts';
import {
  artifactLocationToPath,
  joinArtifactPath,
  normalizeArtifactPath,
} from '../tracking/artifact-paths.js';
import type { TrackingService } from '../tracking/tracking-service.js';

const RUNS_URI = /^runs:\/([^/]+)(?:\/(.*))?$/;
const SERVED_SCHEME = 'mlflow-artifacts:';

/** The store-relative directory a source names, or undefined when the source is not in this store. */
export async function resolveModelSource(
  source: string,
  tracking: Pick<TrackingService, 'getRunInfo'>,
  field: string,
): Promise<string | undefined> {
  const run = RUNS_URI.exec(source);
  if (run) {
    const info = await tracking.getRunInfo(run[1] ?? '');
    if (!info.artifactUri.toLowerCase().startsWith(SERVED_SCHEME)) return undefined;
    const root = artifactLocationToPath(info.artifactUri, field);
    return joinArtifactPath(root, normalizeArtifactPath(run[2] ?? '', field));
  }
  if (source.toLowerCase().startsWith(SERVED_SCHEME)) return artifactLocationToPath(source, field);
  if (source.startsWith('runs:')) {
    throw new SlipwayError(
      'INVALID_ARGUMENT',
      `Invalid source '${source}': expected runs:/<run_id>/<path>.`,
      { field },
    );
  }
  return undefined;
}
