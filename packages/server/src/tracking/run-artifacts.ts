/**
 * A run's artifacts: files addressed by paths relative to the run's artifact root, stored in the
 * artifact store under `<experimentId>/<runId>/artifacts`. Every path a caller supplies passes
 * `normalizeArtifactPath` here (MLflow's path-based artifact routes normalize their own paths).
 */
import { Transform, pipeline, type Readable } from 'node:stream';
import { SlipwayError, invalidArgument, type RunInfo } from '@slipway/contracts';
import type { ArtifactEntry, ArtifactStore } from './artifact-store.js';
import { artifactLocationToPath, joinArtifactPath, normalizeArtifactPath } from './artifact-paths.js';
import type { TrackingService } from './tracking-service.js';

const SERVED_SCHEME = 'mlflow-artifacts:';

/** Upload, download and listing of one run's artifacts. */
export class RunArtifacts {
  constructor(
    private readonly tracking: TrackingService,
    private readonly store: ArtifactStore,
  ) {}

  /** Streams `body` into the file at `rawPath`; returns its listing entry. */
  async upload(runId: string, rawPath: string, body: Readable): Promise<ArtifactEntry> {
    const path = requireFilePath(rawPath);
    const root = await this.root(runId);
    let fileSize = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        fileSize += chunk.length;
        callback(null, chunk);
      },
    });
    // An aborted upload destroys `counter` with the error, which fails the store's write.
    pipeline(body, counter, () => undefined);
    await this.store.put(joinArtifactPath(root, path), counter);
    return { path, isDir: false, fileSize };
  }

  /** Opens the file at `rawPath`; NOT_FOUND names the path as the client wrote it. */
  async download(runId: string, rawPath: string): Promise<{ stream: Readable; size: number }> {
    const path = requireFilePath(rawPath);
    const root = await this.root(runId);
    try {
      return await this.store.get(joinArtifactPath(root, path));
    } catch (err) {
      if (err instanceof SlipwayError && err.code === 'NOT_FOUND') {
        throw new SlipwayError('NOT_FOUND', `No artifact file '${path}' in run ${runId}.`, { field: 'path' });
      }
      throw err;
    }
  }

  /** Lists the directory at `rawPath` ('' = the root); entries carry root-relative paths. */
  async list(runId: string, rawPath: string): Promise<ArtifactEntry[]> {
    const dir = normalizeArtifactPath(rawPath, 'path');
    const root = await this.root(runId);
    const entries = await this.store.list(joinArtifactPath(root, dir));
    return entries.map((e) => ({ ...e, path: dir ? `${dir}/${e.path}` : e.path }));
  }

  /** Store-relative artifact root of a run (`<exp>/<run>/artifacts`); NOT_FOUND if the run is unknown. */
  private async root(runId: string): Promise<string> {
    return storeRoot(await this.tracking.getRunInfo(runId));
  }
}

function requireFilePath(rawPath: string): string {
  const path = normalizeArtifactPath(rawPath, 'path');
  if (path === '') throw invalidArgument('path', 'An artifact file path is required after /artifacts/.');
  return path;
}

/**
 * Only runs whose artifacts live in this server's store can be served. A run created in an
 * experiment with a user-chosen location (s3://, file:, ...) keeps its artifacts there.
 */
function storeRoot(info: RunInfo): string {
  const uri = info.artifactUri;
  if (!uri.toLowerCase().startsWith(SERVED_SCHEME)) {
    throw new SlipwayError(
      'FAILED_PRECONDITION',
      `Run ${info.runId} stores its artifacts at '${uri}', which this server does not serve; ` +
        'read and write them at that location directly.',
      { field: 'runId', artifactUri: uri },
    );
  }
  try {
    return artifactLocationToPath(uri, 'artifactUri');
  } catch (err) {
    // The location was accepted when the experiment was created; refusing it now is the run's state, not the request.
    const reason = err instanceof Error ? err.message : String(err);
    throw new SlipwayError(
      'FAILED_PRECONDITION',
      `Run ${info.runId} has an unusable artifact URI: ${reason}`,
      {
        field: 'runId',
        artifactUri: uri,
      },
    );
  }
}
