/**
 * Local files into the artifact store, shared by the CLI commands that upload: every upload goes
 * into a run (so whatever is registered or evaluated from it has lineage), which ends FINISHED, or
 * FAILED when something inside it fails.
 */
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { basename, extname, join, relative, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import { DATASET_FORMATS, SlipwayError, type StringMap } from '@slipway/contracts';
import { AlreadyExistsError, type SlipwayClient } from '@slipway/sdk';
import { resolveExperimentId } from './experiment-ref.js';

/** Where uploaded datasets go inside a run's artifacts. */
export const DATASET_DIR = 'datasets';

/** A run an upload goes into. */
export interface UploadRun {
  runId: string;
  experimentId: string;
}

/** Options of `withUploadRun`. */
export interface UploadRunOptions {
  /** Experiment id or exact name. */
  experiment: string;
  /** Create the experiment (named `experiment`) when no experiment has that id or name. */
  createExperiment?: boolean;
  /** The command that uploads, tagged as `slipway.source` on the run. */
  source: string;
  tags?: StringMap;
}

/** A dataset in the artifact store. */
export interface UploadedDataset {
  /** `runs:/<runId>/datasets/<basename>`. */
  uri: string;
  runId: string;
}

/**
 * Creates a run in the experiment, runs `body` with it, and ends the run FINISHED; when `body`
 * throws, the run ends FAILED and the error propagates.
 */
export async function withUploadRun<T>(
  client: SlipwayClient,
  options: UploadRunOptions,
  body: (run: UploadRun) => Promise<T>,
): Promise<T> {
  const experimentId = options.createExperiment
    ? await resolveOrCreateExperimentId(client, options.experiment)
    : await resolveExperimentId(client, options.experiment);
  const run = await client.runs.create({
    experimentId,
    tags: { ...options.tags, 'slipway.source': options.source },
  });
  const runId = run.info.runId;
  let result: T;
  try {
    result = await body({ runId, experimentId });
  } catch (err) {
    await client.runs.update(runId, { status: 'FAILED', endTime: Date.now() }).catch(() => undefined);
    throw err;
  }
  await client.runs.update(runId, { status: 'FINISHED', endTime: Date.now() });
  return result;
}

/** An experiment id for `ref` (an id, else an exact name), creating an experiment named `ref` when none matches. */
export async function resolveOrCreateExperimentId(client: SlipwayClient, ref: string): Promise<string> {
  try {
    return await resolveExperimentId(client, ref);
  } catch (err) {
    if (!(err instanceof SlipwayError) || err.code !== 'NOT_FOUND') throw err;
  }
  try {
    return (await client.experiments.create({ name: ref })).experimentId;
  } catch (err) {
    // Created by someone else in between.
    if (err instanceof AlreadyExistsError) return (await client.experiments.getByName(ref)).experimentId;
    throw err;
  }
}

/** Streams one local file to `path` in the run's artifacts (a large file is never held in memory). */
export async function uploadFile(
  client: SlipwayClient,
  runId: string,
  file: string,
  path: string,
): Promise<void> {
  const data = Readable.toWeb(createReadStream(file)) as ReadableStream<Uint8Array>;
  await client.artifacts.upload(runId, path, data);
}

/** A local file and the artifact path it is uploaded to. */
export interface FileUpload {
  file: string;
  path: string;
}

/**
 * Every regular file below `dir`, sorted, with its artifact path under `prefix`. An unreadable or
 * empty directory is INVALID_ARGUMENT naming `field`. Symbolic links are not followed.
 */
export async function directoryUploads(dir: string, prefix: string, field: string): Promise<FileUpload[]> {
  const root = resolve(dir);
  const files = await listFiles(root, field);
  if (files.length === 0) {
    throw new SlipwayError('INVALID_ARGUMENT', `Directory '${dir}' contains no files to upload.`, { field });
  }
  return files.map((file) => ({ file, path: `${prefix}/${relative(root, file).split(sep).join('/')}` }));
}

/** Uploads files one after the other into the run. */
export async function uploadFiles(
  client: SlipwayClient,
  runId: string,
  uploads: FileUpload[],
): Promise<void> {
  for (const { file, path } of uploads) await uploadFile(client, runId, file, path);
}

/** True for a dataset already in the artifact store (`runs:/…` or `mlflow-artifacts:/…`), which is not uploaded. */
export function isStoredDatasetUri(ref: string): boolean {
  return ref.startsWith('runs:/') || ref.startsWith('mlflow-artifacts:/');
}

/**
 * Checks that `file` is a readable regular file whose extension names a dataset format (.csv,
 * .jsonl, .parquet); INVALID_ARGUMENT naming `field` otherwise.
 */
export async function checkDatasetFile(file: string, field: string): Promise<void> {
  const ext = extname(file).slice(1).toLowerCase();
  if (!(DATASET_FORMATS as readonly string[]).includes(ext)) {
    throw new SlipwayError(
      'INVALID_ARGUMENT',
      `Dataset '${file}' must be a ${DATASET_FORMATS.map((f) => `.${f}`).join(', ')} file.`,
      { field },
    );
  }
  let isFile = false;
  try {
    isFile = (await stat(file)).isFile();
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new SlipwayError('INVALID_ARGUMENT', `Cannot read dataset '${file}': ${reason}`, { field });
  }
  if (!isFile) throw new SlipwayError('INVALID_ARGUMENT', `Dataset '${file}' is not a file.`, { field });
}

/** Uploads a local dataset file into the run as `datasets/<basename>` and returns its `runs:/` URI. */
export async function uploadDatasetFile(client: SlipwayClient, runId: string, file: string): Promise<string> {
  const path = `${DATASET_DIR}/${basename(file)}`;
  await uploadFile(client, runId, file, path);
  return `runs:/${runId}/${path}`;
}

/**
 * Uploads a local dataset file into a new run of `options.experiment` (created when missing if
 * `createExperiment`) and returns where it is. `field` names the option in refusals.
 */
export async function uploadDataset(
  client: SlipwayClient,
  file: string,
  options: UploadRunOptions & { field: string },
): Promise<UploadedDataset> {
  await checkDatasetFile(file, options.field);
  return withUploadRun(client, options, async ({ runId }) => ({
    uri: await uploadDatasetFile(client, runId, file),
    runId,
  }));
}

/** `ref` as stored: a `runs:/` or `mlflow-artifacts:/` URI as is, else a local file uploaded by `uploadDataset`. */
export async function datasetUriOf(
  client: SlipwayClient,
  ref: string,
  options: UploadRunOptions & { field: string },
): Promise<string> {
  if (isStoredDatasetUri(ref)) return ref;
  return (await uploadDataset(client, ref, options)).uri;
}

async function listFiles(dir: string, field: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new SlipwayError('INVALID_ARGUMENT', `Cannot read directory '${dir}': ${reason}`, { field });
  }
  const nested = await Promise.all(
    entries
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .map(async (entry) => {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) return listFiles(path, field);
        return entry.isFile() ? [path] : [];
      }),
  );
  return nested.flat();
}
