/**
 * Model packages: a directory in the artifact store with a manifest (slipway.yaml or MLmodel).
 * Registration inspects the source directory, copies it to an immutable location re-hashing every
 * byte, and loaders re-check the digest before trusting the copy. Format: docs/model-format.md.
 */
import { createHash } from 'node:crypto';
import type { Hash } from 'node:crypto';
import { pipeline, Transform } from 'node:stream';
import type { Readable, TransformCallback } from 'node:stream';
import { invalidArgument, notFound, SlipwayError } from '@slipway/contracts';
import type { ModelContract, ModelPackage, ModelRuntime, PackageFile } from '@slipway/contracts';
import type { ArtifactStore } from '../tracking/artifact-store.js';
import { joinArtifactPath } from '../tracking/artifact-paths.js';
import { inspectOnnx } from '../runtimes/onnx/onnx-inspect.js';
import type { OnnxInterface } from '../runtimes/onnx/onnx-inspect.js';
import { loadEntryPoint } from '../runtimes/load-model.js';
import {
  contractGraphMismatch,
  MLMODEL_MANIFEST,
  parseMlmodel,
  parseMlmodelSignature,
  parseSlipwayManifest,
  SLIPWAY_MANIFEST,
} from './package-manifest.js';
import type { PackageManifest } from './package-manifest.js';

/** Most files one package may hold; a bound on the work a registration can cause. */
export const MAX_PACKAGE_FILES = 10_000;
/** Deepest directory nesting walked; also stops a directory symlink cycling forever. */
export const MAX_PACKAGE_DEPTH = 32;
/** Largest manifest read into memory. */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
/** Largest ONNX entry point inspected (onnxruntime needs the whole model in memory). */
export const MAX_ONNX_BYTES = 2 * 1024 * 1024 * 1024;
/** Largest baseline spec read (a lookup baseline carries its history; beyond this it is a model). */
export const MAX_BASELINE_BYTES = 256 * 1024 * 1024;

/** A source directory as inspected: everything registration needs before copying it. */
export interface InspectedPackage {
  manifest: ModelPackage['manifest'];
  runtime: ModelRuntime;
  entryPoint?: string;
  /** Every file under the directory, sorted by path (UTF-8 byte order), with its size and hash. */
  files: PackageFile[];
  /** `sha256:<hex>` over `files` (see packageDigest). */
  digest: string;
  /** Declared (slipway.yaml) > MLflow signature > inferred from the ONNX graph; absent if none. */
  contract?: ModelContract;
  metadata: Record<string, unknown>;
}

/** A file found by walking a directory; `size` is what the listing said. */
interface ListedFile {
  path: string;
  size: number;
}

/**
 * Inspects the package in `dir`, or returns undefined when `dir` holds neither manifest (a
 * metadata-only registration, which MLflow allows). Hashes every file, checks every promise the
 * manifest makes, loads an ONNX entry point, and settles the contract. Refusals are INVALID_ARGUMENT
 * naming `field`, with a message naming the file.
 */
export async function inspectPackage(
  store: ArtifactStore,
  dir: string,
  field: string,
  options: { declared?: ModelContract } = {},
): Promise<InspectedPackage | undefined> {
  const listed = await walk(store, dir, (reason) =>
    invalidArgument(field, `Model package ${dir}: ${reason}`),
  );
  const has = (path: string): boolean => listed.some((f) => f.path === path);
  if (!has(SLIPWAY_MANIFEST) && !has(MLMODEL_MANIFEST)) return undefined;
  const reader = new PackageReader(store, dir, field);
  const manifest = await readManifest(reader, has);
  checkNamedFiles(manifest, listed, field);
  const entryBytes = await captureEntryPoint(reader, manifest);
  const files: PackageFile[] = [];
  for (const file of listed) files.push(await reader.hash(file.path));
  checkPromises(manifest, files, field);
  const graph =
    manifest.runtime === 'onnx' && entryBytes !== undefined
      ? await inspectEntryPoint(entryBytes, manifest, field)
      : undefined;
  const contract = settleContract(manifest, graph, field, options.declared);
  if (manifest.runtime === 'baseline' && entryBytes !== undefined) {
    await checkBaseline(entryBytes, manifest, contract, field);
  }
  return assemble(manifest, files, contract);
}

/**
 * The package's identity: `sha256:` + hex SHA-256 of the UTF-8 JSON text of
 * `[[path, size, sha256], ...]` sorted by path in UTF-8 byte order. Order-independent in its input.
 */
export function packageDigest(files: PackageFile[]): string {
  const rows = [...files].sort(byPath).map((f) => [f.path, f.size, f.sha256]);
  return `sha256:${createHash('sha256').update(JSON.stringify(rows), 'utf8').digest('hex')}`;
}

/**
 * Copies an inspected package from `sourceDir` to the empty `destDir`, re-hashing every byte as it
 * streams. If any file changed since inspection, or anything fails, everything written under
 * `destDir` is deleted and the copy is refused (FAILED_PRECONDITION for a changed source).
 */
export async function copyPackage(
  store: ArtifactStore,
  inspected: InspectedPackage,
  sourceDir: string,
  destDir: string,
): Promise<ModelPackage> {
  // Deleting on failure is only safe if everything under destDir is ours.
  if ((await store.list(destDir)).length > 0) {
    throw new SlipwayError('FAILED_PRECONDITION', `Model package destination ${destDir} is not empty`, {
      storagePath: destDir,
    });
  }
  try {
    for (const file of inspected.files) await copyFile(store, file, sourceDir, destDir);
  } catch (error) {
    // The caller must see the original failure; a failed clean-up leaves only an unreferenced directory.
    await store.delete(destDir).catch(() => undefined);
    throw error;
  }
  const pkg: ModelPackage = {
    manifest: inspected.manifest,
    runtime: inspected.runtime,
    digest: inspected.digest,
    storagePath: destDir,
    files: inspected.files,
    metadata: inspected.metadata,
  };
  if (inspected.entryPoint !== undefined) pkg.entryPoint = inspected.entryPoint;
  return pkg;
}

/**
 * Re-hashes the stored copy of a package: a changed, missing or extra file, or a file list that no
 * longer yields `pkg.digest`, is FAILED_PRECONDITION "Model package ... digest mismatch: <file>".
 * With `keep`, that file's verified bytes are returned, so a loader reads its model file once.
 */
export async function verifyPackage(
  store: ArtifactStore,
  pkg: ModelPackage,
  options: { keep?: string } = {},
): Promise<Buffer | undefined> {
  if (packageDigest(pkg.files) !== pkg.digest)
    throw digestMismatch(pkg, '(file list)', 'recorded digest differs');
  const expected = new Map(pkg.files.map((f) => [f.path, f]));
  const found = await walk(store, pkg.storagePath, (reason) => digestMismatch(pkg, '(directory)', reason));
  const foundPaths = new Set(found.map((f) => f.path));
  const extra = found.find((f) => !expected.has(f.path));
  if (extra !== undefined) throw digestMismatch(pkg, extra.path, 'not part of the package');
  const missing = pkg.files.find((f) => !foundPaths.has(f.path));
  if (missing !== undefined) throw digestMismatch(pkg, missing.path, 'missing');
  const kept: Buffer[] = [];
  for (const file of pkg.files) {
    const keep = file.path === options.keep ? (chunk: Buffer) => kept.push(chunk) : undefined;
    const actual = await hashStored(store, pkg, file, keep);
    if (actual.sha256 !== file.sha256 || actual.size !== file.size)
      throw digestMismatch(pkg, file.path, 'content changed');
  }
  return options.keep !== undefined && foundPaths.has(options.keep) ? Buffer.concat(kept) : undefined;
}

/**
 * Reads one file of a stored package, checking its bytes against the recorded size and hash: a
 * loader never acts on bytes that are not the registered ones. NOT_FOUND if the package has no such file.
 */
export async function readPackageFile(
  store: ArtifactStore,
  pkg: ModelPackage,
  path: string,
): Promise<Buffer> {
  const file = pkg.files.find((f) => f.path === path);
  if (file === undefined) throw notFound(`Model package ${pkg.storagePath} has no file ${path}`, { path });
  const chunks: Buffer[] = [];
  const actual = await hashStored(store, pkg, file, (chunk) => chunks.push(chunk));
  if (actual.sha256 !== file.sha256 || actual.size !== file.size)
    throw digestMismatch(pkg, path, 'content changed');
  return Buffer.concat(chunks);
}

// ---------------------------------------------------------------------------------------------
// Inspection steps

/** Reads files of the directory under inspection; every refusal names the file. */
class PackageReader {
  private readonly captured = new Map<string, Buffer>();

  constructor(
    private readonly store: ArtifactStore,
    private readonly dir: string,
    /** The caller's field every refusal names. */
    readonly field: string,
  ) {}

  /** Reads a whole file (kept, so the bytes parsed are the bytes hashed), refusing it above `limit`. */
  async capture(path: string, limit: number): Promise<Buffer> {
    const kept = this.captured.get(path);
    if (kept !== undefined) return kept;
    const chunks: Buffer[] = [];
    let size = 0;
    await this.read(path, (chunk, stream) => {
      size += chunk.length;
      if (size > limit) {
        stream.destroy();
        throw invalidArgument(this.field, `${path}: larger than the ${limit}-byte limit`);
      }
      chunks.push(chunk);
    });
    const bytes = Buffer.concat(chunks);
    this.captured.set(path, bytes);
    return bytes;
  }

  /** Hashes a file, from the captured bytes when it was read whole, else streaming. */
  async hash(path: string): Promise<PackageFile> {
    const kept = this.captured.get(path);
    if (kept !== undefined) return { path, size: kept.length, sha256: sha256Hex(kept) };
    const hash = createHash('sha256');
    let size = 0;
    await this.read(path, (chunk) => {
      hash.update(chunk);
      size += chunk.length;
    });
    return { path, size, sha256: hash.digest('hex') };
  }

  private async read(path: string, onChunk: (chunk: Buffer, stream: Readable) => void): Promise<void> {
    let opened: { stream: Readable };
    try {
      opened = await this.store.get(joinArtifactPath(this.dir, path));
    } catch (error) {
      if (error instanceof SlipwayError && error.code === 'NOT_FOUND') {
        throw invalidArgument(this.field, `${path}: disappeared while the package was being read`);
      }
      throw error;
    }
    for await (const chunk of opened.stream) onChunk(toBuffer(chunk), opened.stream);
  }
}

/** slipway.yaml governs when present; an MLmodel beside it only lends its signature. */
async function readManifest(reader: PackageReader, has: (path: string) => boolean): Promise<PackageManifest> {
  const field = reader.field;
  if (!has(SLIPWAY_MANIFEST)) return parseMlmodel(await readText(reader, MLMODEL_MANIFEST), field);
  const manifest = parseSlipwayManifest(await readText(reader, SLIPWAY_MANIFEST), field);
  if (manifest.contract === undefined && has(MLMODEL_MANIFEST)) {
    const signature = parseMlmodelSignature(await readText(reader, MLMODEL_MANIFEST), field);
    if (signature !== undefined) manifest.contract = signature;
  }
  return manifest;
}

async function readText(reader: PackageReader, path: string): Promise<string> {
  return (await reader.capture(path, MAX_MANIFEST_BYTES)).toString('utf8');
}

/** Every file the manifest names (listed files, the entry point) must be in the directory. */
function checkNamedFiles(manifest: PackageManifest, listed: ListedFile[], field: string): void {
  const paths = new Set(listed.map((f) => f.path));
  for (const file of manifest.files) {
    if (!paths.has(file.path)) {
      throw invalidArgument(field, `${manifest.manifest} lists ${file.path}, which is not in the package`);
    }
  }
  const entry = manifest.entryPoint;
  if (entry === undefined) {
    if (manifest.runtime === 'onnx')
      throw invalidArgument(field, `${manifest.manifest} names no ONNX entry point`);
    return;
  }
  // A python_function entry point may be a directory (a TensorFlow SavedModel, a data folder).
  const asDirectory =
    manifest.runtime === 'python_function' && listed.some((f) => f.path.startsWith(`${entry}/`));
  if (!paths.has(entry) && !asDirectory) {
    throw invalidArgument(
      field,
      `${manifest.manifest} names entry point ${entry}, which is not in the package`,
    );
  }
}

/** Declared sizes and hashes must match the bytes actually read. */
function checkPromises(manifest: PackageManifest, files: PackageFile[], field: string): void {
  const byPathMap = new Map(files.map((f) => [f.path, f]));
  for (const promised of manifest.files) {
    const actual = byPathMap.get(promised.path);
    if (actual === undefined) continue; // checkNamedFiles already refused it
    if (promised.size !== undefined && promised.size !== actual.size) {
      throw invalidArgument(
        field,
        `${promised.path}: size is ${actual.size} bytes but ${manifest.manifest} says ${promised.size}`,
      );
    }
    if (promised.sha256 !== undefined && promised.sha256 !== actual.sha256) {
      throw invalidArgument(
        field,
        `${promised.path}: sha256 is ${actual.sha256} but ${manifest.manifest} says ${promised.sha256}`,
      );
    }
  }
}

/** The entry point's bytes for the runtimes registration checks by loading (onnx, baseline). */
async function captureEntryPoint(
  reader: PackageReader,
  manifest: PackageManifest,
): Promise<Buffer | undefined> {
  const path = manifest.entryPoint ?? '';
  if (manifest.runtime === 'onnx') return reader.capture(path, MAX_ONNX_BYTES);
  if (manifest.runtime === 'baseline') return reader.capture(path, MAX_BASELINE_BYTES);
  return undefined;
}

/** A baseline is registered only if it loads: bad specs, rules over unknown columns and writing SQL are refused here. */
async function checkBaseline(
  bytes: Buffer,
  manifest: PackageManifest,
  contract: ModelContract | undefined,
  field: string,
): Promise<void> {
  const path = manifest.entryPoint ?? '';
  const entry = { runtime: manifest.runtime, path, bytes, ...(contract ? { contract } : {}) };
  try {
    const model = await loadEntryPoint(entry, field);
    await model.close();
  } catch (error) {
    if (error instanceof SlipwayError) {
      const at = error.details.field === undefined ? '' : ` (${error.details.field})`;
      throw invalidArgument(field, `${path}${at}: ${error.message}`);
    }
    throw error;
  }
}

async function inspectEntryPoint(
  bytes: Buffer,
  manifest: PackageManifest,
  field: string,
): Promise<OnnxInterface> {
  try {
    return await inspectOnnx(bytes, field);
  } catch (error) {
    if (error instanceof SlipwayError)
      throw invalidArgument(field, `${manifest.entryPoint ?? ''}: ${error.message}`);
    throw error;
  }
}

/**
 * Contract precedence: declared in slipway.yaml > MLflow signature > inferred from the ONNX graph.
 * A declared contract must describe the graph. An MLflow signature is kept as logged: MLflow's own
 * loader adapts DataFrames and unnamed tensors to the graph, so it need not spell the graph's names.
 */
function settleContract(
  manifest: PackageManifest,
  graph: OnnxInterface | undefined,
  field: string,
  requested: ModelContract | undefined,
): ModelContract | undefined {
  const contract = requested ?? manifest.contract;
  if (contract === undefined) return graph === undefined ? undefined : { ...graph, source: 'onnx' };
  // A contract declared by a person (in the request or in slipway.yaml) must fit the graph it claims to describe.
  if (graph !== undefined && (requested !== undefined || contract.source === 'declared')) {
    const mismatch = contractGraphMismatch(contract, graph);
    if (mismatch !== undefined) {
      const origin = requested === undefined ? `${SLIPWAY_MANIFEST} contract` : 'declared contract';
      throw invalidArgument(field, `${origin} ${mismatch} (${manifest.entryPoint ?? ''})`);
    }
  }
  return contract;
}

function assemble(
  manifest: PackageManifest,
  files: PackageFile[],
  contract: ModelContract | undefined,
): InspectedPackage {
  const inspected: InspectedPackage = {
    manifest: manifest.manifest,
    runtime: manifest.runtime,
    files,
    digest: packageDigest(files),
    metadata: manifest.metadata,
  };
  if (manifest.entryPoint !== undefined) inspected.entryPoint = manifest.entryPoint;
  if (contract !== undefined) inspected.contract = contract;
  return inspected;
}

// ---------------------------------------------------------------------------------------------
// Walking, copying, hashing

/** Every file under `dir`, recursively, sorted by path; `refuse` words a limit being exceeded. */
async function walk(
  store: ArtifactStore,
  dir: string,
  refuse: (reason: string) => Error,
): Promise<ListedFile[]> {
  const files: ListedFile[] = [];
  const visit = async (rel: string, depth: number): Promise<void> => {
    if (depth > MAX_PACKAGE_DEPTH) throw refuse(`directories nest deeper than ${MAX_PACKAGE_DEPTH} levels`);
    for (const entry of await store.list(joinArtifactPath(dir, rel))) {
      const path = rel === '' ? entry.path : `${rel}/${entry.path}`;
      if (entry.isDir) {
        await visit(path, depth + 1);
        continue;
      }
      files.push({ path, size: entry.fileSize ?? 0 });
      if (files.length > MAX_PACKAGE_FILES) throw refuse(`more than ${MAX_PACKAGE_FILES} files`);
    }
  };
  await visit('', 0);
  return files.sort(byPath);
}

/** Streams one file to its destination through a hash check; a difference fails the write itself. */
async function copyFile(
  store: ArtifactStore,
  file: PackageFile,
  sourceDir: string,
  destDir: string,
): Promise<void> {
  let source: Readable;
  try {
    source = (await store.get(joinArtifactPath(sourceDir, file.path))).stream;
  } catch (error) {
    if (error instanceof SlipwayError && error.code === 'NOT_FOUND')
      throw sourceChanged(file, 'it was removed');
    throw error;
  }
  const check = new HashCheck(file);
  // The pipeline's own callback is not needed: a failure on either side surfaces through put().
  pipeline(source, check, () => undefined);
  try {
    await store.put(joinArtifactPath(destDir, file.path), check);
  } catch (error) {
    check.destroy();
    throw check.failure ?? error;
  }
  // A backend that swallowed the stream error must still not get away with a changed file.
  if (check.failure !== undefined) throw check.failure;
}

/** Passes bytes through while hashing them, and fails the stream if they are not the inspected ones. */
class HashCheck extends Transform {
  /** Set when the bytes differ from what was inspected. */
  failure: SlipwayError | undefined;
  private readonly hash: Hash = createHash('sha256');
  private size = 0;

  constructor(private readonly file: PackageFile) {
    super();
  }

  override _transform(chunk: unknown, _encoding: BufferEncoding, done: TransformCallback): void {
    const bytes = toBuffer(chunk);
    this.size += bytes.length;
    if (this.size > this.file.size) return done(this.fail('it grew'));
    this.hash.update(bytes);
    done(null, bytes);
  }

  override _flush(done: TransformCallback): void {
    if (this.size !== this.file.size)
      return done(this.fail(`it is now ${this.size} bytes, was ${this.file.size}`));
    if (this.hash.digest('hex') !== this.file.sha256) return done(this.fail('its content changed'));
    done();
  }

  private fail(reason: string): SlipwayError {
    this.failure = sourceChanged(this.file, reason);
    return this.failure;
  }
}

/** Hashes a stored package file, handing each chunk to `onChunk`; a missing file is a mismatch. */
async function hashStored(
  store: ArtifactStore,
  pkg: ModelPackage,
  file: PackageFile,
  onChunk?: (chunk: Buffer) => void,
): Promise<{ size: number; sha256: string }> {
  let stream: Readable;
  try {
    stream = (await store.get(joinArtifactPath(pkg.storagePath, file.path))).stream;
  } catch (error) {
    if (error instanceof SlipwayError && error.code === 'NOT_FOUND')
      throw digestMismatch(pkg, file.path, 'missing');
    throw error;
  }
  const hash = createHash('sha256');
  let size = 0;
  for await (const raw of stream) {
    const chunk = toBuffer(raw);
    size += chunk.length;
    if (size > file.size) {
      stream.destroy();
      throw digestMismatch(pkg, file.path, 'content changed');
    }
    hash.update(chunk);
    onChunk?.(chunk);
  }
  return { size, sha256: hash.digest('hex') };
}

function sourceChanged(file: PackageFile, reason: string): SlipwayError {
  return new SlipwayError(
    'FAILED_PRECONDITION',
    `Model package source changed after inspection: ${file.path} (${reason}); register it again`,
    { file: file.path },
  );
}

function digestMismatch(pkg: ModelPackage, file: string, reason: string): SlipwayError {
  return new SlipwayError(
    'FAILED_PRECONDITION',
    `Model package ${pkg.storagePath} digest mismatch: ${file} (${reason})`,
    {
      storagePath: pkg.storagePath,
      file,
    },
  );
}

function sha256Hex(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function toBuffer(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8');
  throw new TypeError('An artifact stream must yield bytes');
}

/** UTF-8 byte order (code point order): the order the artifact stores list in. */
function byPath(a: { path: string }, b: { path: string }): number {
  return Buffer.compare(Buffer.from(a.path, 'utf8'), Buffer.from(b.path, 'utf8'));
}
