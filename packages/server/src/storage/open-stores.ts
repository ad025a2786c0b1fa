/**
 * The one place where backends are chosen by URI scheme. Heavy drivers load lazily inside the
 * adapters, so a SQLite user never loads pg and vice versa.
 */
import { fileURLToPath } from 'node:url';
import { invalidArgument } from '@slipway/contracts';
import type { EvaluationStore } from '../evaluation/evaluation-store.js';
import type { JobStore } from '../jobs/job-store.js';
import type { MonitoringStore } from '../monitoring/monitoring-store.js';
import type { EndpointStore } from '../serving/endpoint-store.js';
import type { RegistryStore } from '../registry/registry-store.js';
import type { WebhookStore } from '../registry/webhook-store.js';
import type { ArtifactStore } from '../tracking/artifact-store.js';
import type { TrackingStore } from '../tracking/tracking-store.js';
import { FsArtifactStore } from './artifacts/fs-artifact-store.js';
import { S3ArtifactStore, type S3ArtifactStoreOptions } from './artifacts/s3-artifact-store.js';
import type { SqlBackend } from './sql/sql-backend.js';
import { SqlEndpointStore } from './sql/sql-endpoint-store.js';
import { SqlEvaluationStore } from './sql/sql-evaluation-store.js';
import { SqlJobStore } from './sql/sql-job-store.js';
import { SqlMonitoringStore } from './sql/sql-monitoring-store.js';
import { SqlRegistryStore } from './sql/sql-registry-store.js';
import { openSqlTrackingStore } from './sql/sql-tracking-store.js';
import { SqlWebhookStore } from './sql/sql-webhook-store.js';

/** The metadata stores of every stage, sharing one database (and on SQLite, one connection). */
export interface MetadataStores {
  tracking: TrackingStore;
  registry: RegistryStore;
  webhooks: WebhookStore;
  evaluations: EvaluationStore;
  endpoints: EndpointStore;
  jobs: JobStore;
  monitoring: MonitoringStore;
  /** The shared database itself, for the embedded work queue that lives in it. */
  backend: SqlBackend;
  /** Releases the shared database. */
  close(): Promise<void>;
}

/** Opens the metadata store named by `uri` (`sqlite:<path>`, `sqlite::memory:`, `postgresql://...`). */
export async function openTrackingStore(uri: string): Promise<TrackingStore> {
  return (await openMetadataStores(uri)).tracking;
}

/** Opens every stage's metadata store on the database named by `uri`. */
export async function openMetadataStores(uri: string): Promise<MetadataStores> {
  if (!/^(sqlite:|postgres(ql)?:)/.test(uri)) {
    throw invalidArgument('backend-store-uri', `Unsupported backend store URI '${uri}'.`);
  }
  const tracking = await openSqlTrackingStore({ uri });
  return {
    tracking,
    registry: new SqlRegistryStore(tracking.backend),
    webhooks: new SqlWebhookStore(tracking.backend),
    evaluations: new SqlEvaluationStore(tracking.backend),
    endpoints: new SqlEndpointStore(tracking.backend),
    jobs: new SqlJobStore(tracking.backend),
    monitoring: new SqlMonitoringStore(tracking.backend),
    backend: tracking.backend,
    close: () => tracking.close(),
  };
}

/** Backend settings that the artifacts URI does not carry; each applies only to its own scheme. */
export interface ArtifactStoreOptions {
  /** Endpoint, region, credentials, addressing and part size for `s3://` URIs. */
  s3?: S3ArtifactStoreOptions;
}

/** Opens the artifact store named by `uri` (`file:<dir>`, `file:///abs/dir` or `s3://bucket/prefix`). */
export async function openArtifactStore(
  uri: string,
  options: ArtifactStoreOptions = {},
): Promise<ArtifactStore> {
  if (uri.startsWith('file:')) {
    const dir = uri.startsWith('file://') ? fileURLToPath(uri) : uri.slice('file:'.length);
    return new FsArtifactStore(dir);
  }
  if (uri.startsWith('s3://')) return new S3ArtifactStore(uri, options.s3);
  throw invalidArgument('artifacts-uri', `Unsupported artifacts URI '${uri}'.`);
}
