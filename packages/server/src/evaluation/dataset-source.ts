/**
 * Where an evaluation's rows come from: a CSV/JSONL/Parquet file in Slipway's artifact store
 * (`runs:/…`, `mlflow-artifacts:/…`), copied to a temp file while hashing, or rows sent inline.
 * Either way the dataset gets a digest, so a report says exactly which data it was computed on.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  DATASET_FORMATS,
  invalidArgument,
  type DatasetFormat,
  type DatasetRef,
  type EvaluatedDataset,
} from '@slipway/contracts';
import { resolveModelSource } from '../registry/model-source.js';
import type { ArtifactStore } from '../tracking/artifact-store.js';
import type { TrackingService } from '../tracking/tracking-service.js';
import type { Dataset, DatasetReader } from './dataset-reader.js';

/** What reading a dataset needs. */
export interface DatasetSourceDeps {
  artifacts: ArtifactStore;
  tracking: Pick<TrackingService, 'getRunInfo'>;
  reader: DatasetReader;
}

/** A dataset read for an evaluation, with what identifies it. */
export interface LoadedDataset extends Dataset {
  description: EvaluatedDataset;
}

const EXTENSIONS: Record<string, DatasetFormat> = {
  csv: 'csv',
  tsv: 'csv',
  jsonl: 'jsonl',
  ndjson: 'jsonl',
  parquet: 'parquet',
  pq: 'parquet',
};

/** Reads the dataset `ref` names; `field` is the request field errors name (e.g. `dataset`). */
export async function loadDataset(
  deps: DatasetSourceDeps,
  ref: DatasetRef,
  field: string,
): Promise<LoadedDataset> {
  if ((ref.uri === undefined) === (ref.rows === undefined)) {
    throw invalidArgument(field, `${field} needs exactly one of uri and rows`);
  }
  if (ref.rows !== undefined) return inlineDataset(ref.rows, `${field}.rows`);
  return fileDataset(deps, ref.uri ?? '', ref.format, field);
}

/** The format `format` names, else the one the URI's extension implies. */
export function datasetFormat(uri: string, format: DatasetFormat | undefined, field: string): DatasetFormat {
  if (format !== undefined) return format;
  const ext = /\.([A-Za-z0-9]+)$/.exec(uri)?.[1]?.toLowerCase();
  const found = ext === undefined ? undefined : EXTENSIONS[ext];
  if (found === undefined) {
    throw invalidArgument(
      `${field}.format`,
      `cannot tell the format of ${uri} from its extension; set format to one of ${DATASET_FORMATS.join(', ')}`,
    );
  }
  return found;
}

/** Inline rows: typed by what they hold; the digest is of their JSON text. */
function inlineDataset(rows: Record<string, unknown>[], field: string): LoadedDataset {
  if (rows.length === 0) throw invalidArgument(field, 'the dataset has no rows');
  const digest = createHash('sha256').update(JSON.stringify(rows)).digest('hex');
  return { rows, columns: [], description: { rows: rows.length, digest: `sha256:${digest}` } };
}

/** A file in this server's artifact store, read through a temp copy (DuckDB reads local files). */
async function fileDataset(
  deps: DatasetSourceDeps,
  uri: string,
  format: DatasetFormat | undefined,
  field: string,
): Promise<LoadedDataset> {
  const uriField = `${field}.uri`;
  const resolved = datasetFormat(uri, format, field);
  const path = await resolveModelSource(uri, deps.tracking, uriField);
  if (path === undefined) {
    throw invalidArgument(
      uriField,
      `${uri} is not in this server's artifact store; upload it to a run first`,
    );
  }
  const dir = await mkdtemp(join(tmpdir(), 'slipway-dataset-'));
  try {
    const file = join(dir, `data.${resolved}`);
    const digest = await copyHashing(deps.artifacts, path, file, uriField, uri);
    const dataset = await deps.reader.read(file, resolved, uriField);
    if (dataset.rows.length === 0) throw invalidArgument(uriField, `${uri} has no rows`);
    return {
      ...dataset,
      description: { uri, format: resolved, rows: dataset.rows.length, digest: `sha256:${digest}` },
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Streams an artifact to `file`, returning the hex SHA-256 of its bytes. */
async function copyHashing(
  artifacts: ArtifactStore,
  path: string,
  file: string,
  field: string,
  uri: string,
): Promise<string> {
  const { stream } = await artifacts.get(path).catch((error: unknown) => {
    throw invalidArgument(field, `cannot read ${uri}: ${(error as Error).message}`);
  });
  const hash = createHash('sha256');
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, done: TransformCallback) {
      hash.update(chunk);
      done(null, chunk);
    },
  });
  await pipeline(stream, tap, createWriteStream(file));
  return hash.digest('hex');
}
