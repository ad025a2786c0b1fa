/**
 * The one place where backends are chosen by URI scheme. Heavy drivers load lazily inside the
 * adapters, so a SQLite user never loads pg and vice versa.
 */
import { fileURLToPath } from 'node:url';
import { invalidArgument } from '@slipway/contracts';
import type { ArtifactStore } from '../tracking/artifact-store.js';
import type { TrackingStore } from '../tracking/tracking-store.js';
import { FsArtifactStore } from './artifacts/fs-artifact-store.js';
import { openSqlTrackingStore } from './sql/sql-tracking-store.js';

/** Opens the metadata store named by `uri` (`sqlite:<path>`, `sqlite::memory:`, `postgresql://...`). */
export async function openTrackingStore(uri: string): Promise<TrackingStore> {
  if (/^(sqlite:|postgres(ql)?:)/.test(uri)) return openSqlTrackingStore({ uri });
  throw invalidArgument('backend-store-uri', `Unsupported backend store URI '${uri}'.`);
}

/** Opens the artifact store named by `uri` (`file:<dir>` or `file:///abs/dir`). */
export async function openArtifactStore(uri: string): Promise<ArtifactStore> {
  if (uri.startsWith('file:')) {
    const dir = uri.startsWith('file://') ? fileURLToPath(uri) : uri.slice('file:'.length);
    return new FsArtifactStore(dir);
  }
  throw invalidArgument('artifacts-uri', `Unsupported artifacts URI '${uri}'.`);
}
