/**
 * The S3 artifact backend: artifact `a/b/c` is the object `<prefix>/a/b/c` in one bucket of AWS S3
 * or any S3-compatible service. S3 has no directories: a directory is the set of keys below a
 * `/`-terminated prefix, so it exists exactly while some object lies beneath it. The AWS SDK is
 * imported on first use, so a deployment on the filesystem store never loads it.
 */
import { Readable } from 'node:stream';
import type * as S3Sdk from '@aws-sdk/client-s3';
import { invalidArgument, notFound, SlipwayError } from '@slipway/contracts';
import type { ArtifactEntry, ArtifactStore } from '../../tracking/artifact-store.js';
import { normalizeArtifactPath } from '../../tracking/artifact-paths.js';

/** Smallest part S3 accepts in a multipart upload (every part but the last). */
export const MIN_PART_SIZE = 5 * 1024 * 1024;

/** Part size used when none is configured: bodies up to this size go up in one PutObject. */
export const DEFAULT_PART_SIZE = 8 * 1024 * 1024;

/** Most keys one ListObjectsV2 page, and one DeleteObjects batch, may hold. */
export const MAX_KEYS_PER_REQUEST = 1000;

/** Where the bucket is and how to reach it; whatever is left out comes from the AWS SDK defaults. */
export interface S3ArtifactStoreOptions {
  /** Endpoint of an S3-compatible service (MinIO, Ceph, ...); AWS S3 when absent. */
  endpoint?: string;
  /** Signing region; when absent the SDK's chain (AWS_REGION, shared config), then `us-east-1`. */
  region?: string;
  /** Static credentials; when absent the SDK's default chain (AWS_ACCESS_KEY_ID, profiles, roles). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Path-style URLs (`<endpoint>/<bucket>/<key>`), which most self-hosted services need. */
  forcePathStyle?: boolean;
  /** Multipart part size in bytes (default 8 MiB, at least 5 MiB); an upload holds up to 4 parts. */
  partSize?: number;
  /** Keys asked for per listing page (default and maximum 1000); smaller only to exercise paging. */
  listPageSize?: number;
  /** Attempts per request, first try included (SDK default: 3). */
  maxAttempts?: number;
}

/** An open client plus the SDK module its commands come from. */
interface Connection {
  client: S3Sdk.S3Client;
  sdk: typeof S3Sdk;
}

const FIELD = 'path';
const URI_FIELD = 'artifacts-uri';
// Parts uploaded concurrently per upload (the SDK default): memory is bounded by this × partSize.
const UPLOAD_QUEUE_SIZE = 4;
const MAX_PART_SIZE = 5 * 1024 * 1024 * 1024;
const FALLBACK_REGION = 'us-east-1';
// The S3 bucket naming rules, minus the legacy upper-case names no current region accepts.
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const NETWORK_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);
const UNAVAILABLE_ERROR_NAMES = new Set([
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
  'ServiceUnavailable',
  'InternalError',
]);

/** An `ArtifactStore` keeping artifacts as objects under one prefix of one S3 bucket. */
export class S3ArtifactStore implements ArtifactStore {
  /** Bucket holding the artifacts. */
  readonly bucket: string;
  /** Key prefix of the store root, without slashes at either end; `''` for the bucket root. */
  readonly prefix: string;
  private readonly options: S3ArtifactStoreOptions;
  private readonly partSize: number;
  private readonly listPageSize: number;
  private connecting: Promise<Connection> | undefined;

  /** A store for `s3://bucket/optional/prefix`; nothing is loaded or contacted until first use. */
  constructor(uri: string, options: S3ArtifactStoreOptions = {}) {
    ({ bucket: this.bucket, prefix: this.prefix } = parseS3Uri(uri));
    this.options = options;
    this.partSize = checkedInteger(
      'partSize',
      options.partSize ?? DEFAULT_PART_SIZE,
      MIN_PART_SIZE,
      MAX_PART_SIZE,
    );
    this.listPageSize = checkedInteger(
      'listPageSize',
      options.listPageSize ?? MAX_KEYS_PER_REQUEST,
      1,
      MAX_KEYS_PER_REQUEST,
    );
  }

  async put(path: string, body: Readable | Buffer): Promise<void> {
    const rel = normalizeArtifactPath(path, FIELD);
    if (rel === '') throw invalidArgument(FIELD, 'Cannot write to the artifact root itself');
    const [connection, { Upload }] = await Promise.all([this.connection(), import('@aws-sdk/lib-storage')]);
    const key = this.objectKey(rel);
    // Upload sends one PutObject for a body within one part and a multipart upload otherwise; S3
    // publishes either only when complete, so readers see the old object until then.
    const upload = new Upload({
      client: connection.client,
      params: { Bucket: this.bucket, Key: key, Body: body },
      partSize: this.partSize,
      queueSize: UPLOAD_QUEUE_SIZE,
      // Aborting is done below: Upload's own abort would replace the upload's error with its own.
      leavePartsOnError: true,
    });
    try {
      await upload.done();
    } catch (error) {
      if (upload.uploadId !== undefined) await this.abortUpload(connection, key, upload.uploadId);
      throw mapS3Error(error);
    }
  }

  async get(path: string): Promise<{ stream: Readable; size: number }> {
    const rel = normalizeArtifactPath(path, FIELD);
    if (rel === '') throw notFound('Artifact not found', { path: rel });
    const { client, sdk } = await this.connection();
    let output: S3Sdk.GetObjectCommandOutput;
    try {
      output = await client.send(new sdk.GetObjectCommand({ Bucket: this.bucket, Key: this.objectKey(rel) }));
    } catch (error) {
      if (isMissingObject(error)) throw notFound('Artifact not found', { path: rel });
      throw mapS3Error(error);
    }
    return openedBody(output);
  }

  async list(path: string): Promise<ArtifactEntry[]> {
    const prefix = this.childPrefix(normalizeArtifactPath(path, FIELD));
    const connection = await this.connection();
    const files = new Map<string, number>();
    const dirs = new Set<string>();
    // With a delimiter S3 rolls everything below a child directory into one common prefix.
    for await (const page of this.pages(connection, prefix, '/')) collectPage(page, prefix, files, dirs);
    return toEntries(files, dirs);
  }

  async delete(path: string): Promise<void> {
    const rel = normalizeArtifactPath(path, FIELD);
    if (rel === '') throw invalidArgument(FIELD, 'Refusing to delete the whole artifact root');
    const connection = await this.connection();
    const key = this.objectKey(rel);
    // The path may name a file, a directory or (S3 allows it) both: delete the object and the tree.
    const pending = [key];
    for await (const page of this.pages(connection, `${key}/`)) {
      pending.push(...(page.Contents ?? []).flatMap((object) => object.Key ?? []));
      while (pending.length >= MAX_KEYS_PER_REQUEST) {
        await this.deleteBatch(connection, pending.splice(0, MAX_KEYS_PER_REQUEST));
      }
    }
    if (pending.length > 0) await this.deleteBatch(connection, pending);
  }

  /**
   * Best-effort removal of a failed multipart upload's parts. A failure here is swallowed: the
   * caller needs the reason the upload failed, and a lifecycle rule reaps leftovers (docs/artifacts.md).
   */
  private async abortUpload({ client, sdk }: Connection, key: string, uploadId: string): Promise<void> {
    const command = new sdk.AbortMultipartUploadCommand({
      Bucket: this.bucket,
      Key: key,
      UploadId: uploadId,
    });
    await client.send(command).catch(() => undefined);
  }

  /** Every ListObjectsV2 page for `prefix`, following continuation tokens to the end. */
  private async *pages(
    { client, sdk }: Connection,
    prefix: string,
    delimiter?: string,
  ): AsyncGenerator<S3Sdk.ListObjectsV2CommandOutput> {
    let token: string | undefined;
    do {
      const command = new sdk.ListObjectsV2Command({
        Bucket: this.bucket,
        Prefix: prefix,
        Delimiter: delimiter,
        MaxKeys: this.listPageSize,
        ContinuationToken: token,
      });
      const page = await client.send(command).catch(rethrow);
      yield page;
      token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
  }

  /** Deletes up to 1000 keys in one request; S3 reports per-key failures in a 200 response. */
  private async deleteBatch({ client, sdk }: Connection, keys: string[]): Promise<void> {
    const output = await client
      .send(
        new sdk.DeleteObjectsCommand({
          Bucket: this.bucket,
          Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true },
        }),
      )
      .catch(rethrow);
    const failure = output.Errors?.find((e) => e.Code !== 'NoSuchKey');
    if (failure !== undefined) throw batchDeleteError(failure);
  }

  /** The object key of a normalized, non-empty store path. */
  private objectKey(rel: string): string {
    return this.prefix === '' ? rel : `${this.prefix}/${rel}`;
  }

  /** The `/`-terminated prefix that the children of store directory `rel` share. */
  private childPrefix(rel: string): string {
    if (rel !== '') return `${this.objectKey(rel)}/`;
    return this.prefix === '' ? '' : `${this.prefix}/`;
  }

  /** The client, created on first use; a failure is not cached, so a later call retries. */
  private connection(): Promise<Connection> {
    this.connecting ??= connect(this.options).catch((error: unknown) => {
      this.connecting = undefined;
      throw error;
    });
    return this.connecting;
  }
}

/** Splits `s3://bucket/optional/prefix`; the prefix obeys the artifact path rules. */
export function parseS3Uri(uri: string): { bucket: string; prefix: string } {
  const match = /^s3:\/\/([^/?#]*)(?:\/([^?#]*))?$/.exec(uri);
  const bucket = match?.[1] ?? '';
  if (match === null || !BUCKET_NAME.test(bucket) || bucket.includes('..')) {
    throw invalidArgument(
      URI_FIELD,
      `Invalid S3 artifacts URI '${uri}': expected s3://<bucket>/<optional/prefix> with a valid bucket name.`,
    );
  }
  return { bucket, prefix: normalizeArtifactPath(match[2] ?? '', URI_FIELD) };
}

/** Loads the SDK and builds the client. */
async function connect(options: S3ArtifactStoreOptions): Promise<Connection> {
  const sdk = await import('@aws-sdk/client-s3');
  const customEndpoint = options.endpoint !== undefined;
  const client = new sdk.S3Client({
    region: options.region ?? (await sdkRegion(sdk)) ?? FALLBACK_REGION,
    // A guessed region may be wrong for an AWS bucket; S3 then answers with the right one.
    followRegionRedirects: true,
    forcePathStyle: options.forcePathStyle ?? false,
    ...(customEndpoint ? { endpoint: options.endpoint } : {}),
    ...(options.credentials !== undefined ? { credentials: options.credentials } : {}),
    ...(options.maxAttempts !== undefined ? { maxAttempts: options.maxAttempts } : {}),
    // Since SDK 3.729 every upload carries a CRC32 trailer that many S3-compatible services reject
    // (aws-sdk-js-v3#6810); only AWS is sure to understand it, so other endpoints get the old rule.
    ...(customEndpoint
      ? { requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' }
      : {}),
  });
  return { client, sdk };
}

/** The region the SDK's own chain finds, or undefined; S3-compatible services rarely set one. */
async function sdkRegion(sdk: typeof S3Sdk): Promise<string | undefined> {
  const probe = new sdk.S3Client({});
  try {
    return await probe.config.region();
  } catch {
    return undefined;
  } finally {
    probe.destroy();
  }
}

/** Rethrows an SDK failure with outages turned into UNAVAILABLE; for `.catch` on a send. */
function rethrow(error: unknown): never {
  throw mapS3Error(error);
}

/** Adds one ListObjectsV2 page to the children found so far, keyed by name relative to `prefix`. */
function collectPage(
  page: S3Sdk.ListObjectsV2CommandOutput,
  prefix: string,
  files: Map<string, number>,
  dirs: Set<string>,
): void {
  for (const object of page.Contents ?? []) {
    // '' is a zero-byte "folder" marker some tools write at the prefix itself: not a child.
    const name = object.Key?.slice(prefix.length) ?? '';
    if (name !== '') files.set(name, object.Size ?? 0);
  }
  for (const common of page.CommonPrefixes ?? []) {
    const name = common.Prefix?.slice(prefix.length, -1) ?? '';
    if (name !== '') dirs.add(name);
  }
}

/** Listing entries in code-point order; a name that is both a file and a prefix appears as both. */
function toEntries(files: Map<string, number>, dirs: Set<string>): ArtifactEntry[] {
  const entries: ArtifactEntry[] = [
    ...[...files].map(([path, fileSize]) => ({ path, isDir: false, fileSize })),
    ...[...dirs].map((path) => ({ path, isDir: true })),
  ];
  return entries.sort(byPath);
}

/** The stream and size of a fetched object. */
function openedBody(output: S3Sdk.GetObjectCommandOutput): { stream: Readable; size: number } {
  const body: unknown = output.Body;
  if (body instanceof Readable && output.ContentLength !== undefined) {
    return { stream: body, size: output.ContentLength };
  }
  if (body instanceof Readable) body.destroy();
  throw new SlipwayError('INTERNAL', 'The artifact storage service sent an object without its size');
}

/** Orders by UTF-8 bytes, i.e. by code point: the order MLflow (Python `sorted`) and S3 both use. */
function byPath(a: ArtifactEntry, b: ArtifactEntry): number {
  return Buffer.compare(Buffer.from(a.path, 'utf8'), Buffer.from(b.path, 'utf8'));
}

function checkedInteger(field: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw invalidArgument(field, `Invalid ${field} ${value}: expected an integer from ${min} to ${max}.`);
  }
  return value;
}

/** True for the answer S3 gives for a key that does not exist (a "directory" included). */
function isMissingObject(error: unknown): boolean {
  return errorName(error) === 'NoSuchKey' || errorName(error) === 'NotFound';
}

/** One per-key failure of a batch delete as an error; codes are S3's, e.g. `SlowDown`. */
function batchDeleteError(failure: S3Sdk._Error): unknown {
  const error = Object.assign(new Error(`DeleteObjects failed: ${failure.Code ?? 'unknown'}`), {
    name: failure.Code ?? 'Error',
  });
  return mapS3Error(error);
}

/**
 * Outages and throttling become UNAVAILABLE with a fixed message: SDK messages carry endpoints,
 * bucket names and request ids. The original stays as `cause` for the server log. Anything else
 * (access denied, a missing bucket, a failing upload body) is left as it is: the HTTP edge answers
 * those as INTERNAL without details, and a body's own error must reach the caller unchanged.
 */
function mapS3Error(error: unknown): unknown {
  if (error instanceof SlipwayError || !isUnavailable(error)) return error;
  const mapped = new SlipwayError('UNAVAILABLE', 'Artifact storage is unavailable; try again later.');
  mapped.cause = error;
  return mapped;
}

function isUnavailable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  if (status !== undefined && (status === 429 || status >= 500)) return true;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && NETWORK_ERROR_CODES.has(code)) return true;
  return UNAVAILABLE_ERROR_NAMES.has(errorName(error) ?? '');
}

function errorName(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined;
}
