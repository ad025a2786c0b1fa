/**
 * The local-filesystem artifact backend: artifact `a/b/c` is the file `<root>/a/b/c`.
 * Paths are validated again here (defence in depth), and every operation resolves symlinks before
 * touching the disk so that a link planted under the root cannot lead outside it.
 */
import { randomUUID } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { constants as fsConstants } from 'node:fs';
import { mkdir, open, readdir, realpath, rename, rm, stat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { invalidArgument, notFound, SlipwayError } from '@slipway/contracts';
import type { ArtifactEntry, ArtifactStore } from '../../tracking/artifact-store.js';
import { normalizeArtifactPath } from '../../tracking/artifact-paths.js';

/** Name prefix of in-flight uploads; they live beside their target so the final rename is atomic. */
export const UPLOAD_TEMP_PREFIX = '.slipway-upload-';

const FIELD = 'path';
// O_NOFOLLOW: the path opened was already resolved, so a symlink appearing there now is a race.
// O_NONBLOCK: opening a FIFO planted under the root must not hang the request; regular files ignore it.
const OPEN_READ = fsConstants.O_RDONLY | (fsConstants.O_NOFOLLOW ?? 0) | (fsConstants.O_NONBLOCK ?? 0);

/** An `ArtifactStore` keeping artifacts as plain files under one root directory. */
export class FsArtifactStore implements ArtifactStore {
  /** Absolute path of the root directory as configured (not resolved through symlinks). */
  readonly rootDir: string;
  private canonicalRoot: Promise<string> | undefined;

  /** A store rooted at `rootDir`; the directory is created on first use if it is missing. */
  constructor(rootDir: string) {
    this.rootDir = resolve(rootDir);
  }

  /** Creates a store and its root directory now, so a bad root fails at startup, not on first use. */
  static async open(rootDir: string): Promise<FsArtifactStore> {
    const store = new FsArtifactStore(rootDir);
    await store.root();
    return store;
  }

  async put(path: string, body: Readable | Buffer): Promise<void> {
    const root = await this.root();
    const rel = relativeInside(root, path);
    if (rel === '') throw invalidArgument(FIELD, 'Cannot write to the artifact root itself');
    const parent = await makeParent(root, rel);
    const target = join(parent, basename(rel));
    // Refuse before consuming the upload; the rename below still catches a directory made meanwhile.
    if (await isDirectory(target)) throw targetIsDirectory();
    const temp = join(parent, `${UPLOAD_TEMP_PREFIX}${randomUUID()}`);
    try {
      await writeDurably(temp, body);
      await rename(temp, target);
    } catch (error) {
      await rm(temp, { force: true });
      throw (await isDirectory(target)) ? targetIsDirectory() : mapFsError(error);
    }
  }

  async get(path: string): Promise<{ stream: Readable; size: number }> {
    const root = await this.root();
    const rel = relativeInside(root, path);
    const real = await resolveExisting(root, rel);
    const opened = real === undefined ? undefined : await openRegularFile(real);
    if (opened === undefined) throw notFound('Artifact not found', { path: rel });
    return { stream: opened.handle.createReadStream(), size: opened.size };
  }

  async list(path: string): Promise<ArtifactEntry[]> {
    const root = await this.root();
    const real = await resolveExisting(root, relativeInside(root, path));
    if (real === undefined) return [];
    let dirents: Dirent[];
    try {
      dirents = await readdir(real, { withFileTypes: true });
    } catch (error) {
      if (hasCode(error, 'ENOTDIR', 'ENOENT')) return [];
      throw mapFsError(error);
    }
    const visible = dirents.filter((d) => !d.name.startsWith(UPLOAD_TEMP_PREFIX));
    const entries = await Promise.all(visible.map((d) => describe(root, real, d)));
    return entries.filter((e): e is ArtifactEntry => e !== undefined).sort(byPath);
  }

  async delete(path: string): Promise<void> {
    const root = await this.root();
    const rel = relativeInside(root, path);
    if (rel === '') throw invalidArgument(FIELD, 'Refusing to delete the whole artifact root');
    const parent = await resolveExisting(root, parentOf(rel));
    if (parent === undefined) return;
    try {
      // rm works on the entry itself: a symlink is unlinked, never followed into its target.
      await rm(join(parent, basename(rel)), { recursive: true, force: true });
    } catch (error) {
      if (!hasCode(error, 'ENOTDIR')) throw mapFsError(error);
    }
  }

  /** The canonical root, created on first use; a failure is not cached, so a later call retries. */
  private root(): Promise<string> {
    this.canonicalRoot ??= createRoot(this.rootDir).catch((error: unknown) => {
      this.canonicalRoot = undefined;
      throw error;
    });
    return this.canonicalRoot;
  }
}

/** Creates the root directory and returns its canonical path, against which every check is made. */
async function createRoot(rootDir: string): Promise<string> {
  await mkdir(rootDir, { recursive: true });
  return realpath(rootDir);
}

/** Normalizes a port path and proves lexically that it stays under the root. */
function relativeInside(root: string, path: string): string {
  const rel = normalizeArtifactPath(path, FIELD);
  assertInside(root, resolve(root, ...rel.split('/')));
  return rel;
}

/**
 * Canonical path of `rel`, or undefined when it does not exist. Whether or not it exists, its
 * deepest existing ancestor must resolve inside the root: a link to outside is refused, not probed.
 */
async function resolveExisting(root: string, rel: string): Promise<string | undefined> {
  const real = await canonicalExisting(rel === '' ? root : join(root, rel));
  assertInside(root, real.path);
  return real.exists ? real.path : undefined;
}

/** Creates the parent directory of `rel` inside the root and returns its canonical path. */
async function makeParent(root: string, rel: string): Promise<string> {
  const parentRel = parentOf(rel);
  // Check before mkdir: `mkdir -p` through a planted link would create directories outside the root.
  const existing = await resolveExisting(root, parentRel);
  if (existing !== undefined && !(await isDirectory(existing))) throw parentIsFile();
  if (existing === undefined) {
    try {
      await mkdir(join(root, parentRel), { recursive: true });
    } catch (error) {
      throw hasCode(error, 'ENOTDIR', 'EEXIST') ? parentIsFile() : mapFsError(error);
    }
  }
  const real = await realpath(join(root, parentRel));
  assertInside(root, real);
  return real;
}

/** Describes one directory child for a listing; undefined for links leading outside and specials. */
async function describe(root: string, dir: string, dirent: Dirent): Promise<ArtifactEntry | undefined> {
  let target = join(dir, dirent.name);
  if (dirent.isSymbolicLink()) {
    // Listing through a link to outside would disclose names and sizes of foreign files.
    const real = await realpath(target).catch(() => undefined);
    if (real === undefined || !isInside(root, real)) return undefined;
    target = real;
  } else if (dirent.isDirectory()) {
    return { path: dirent.name, isDir: true };
  }
  const info = await stat(target).catch(() => undefined); // undefined: removed since readdir
  if (info?.isDirectory()) return { path: dirent.name, isDir: true };
  if (info?.isFile()) return { path: dirent.name, isDir: false, fileSize: info.size };
  return undefined;
}

/** The parent of a normalized relative path; `''` for a top-level name. */
function parentOf(rel: string): string {
  const slash = rel.lastIndexOf('/');
  return slash === -1 ? '' : rel.slice(0, slash);
}

function assertInside(root: string, absolute: string): void {
  if (!isInside(root, absolute))
    throw invalidArgument(FIELD, 'Artifact path resolves outside the artifact root');
}

function isInside(root: string, absolute: string): boolean {
  const rel = relative(root, absolute);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

/** Writes `body` to a new file and fsyncs it, so the rename that follows publishes complete bytes. */
async function writeDurably(file: string, body: Readable | Buffer): Promise<void> {
  const handle = await open(file, 'wx', 0o644);
  try {
    if (Buffer.isBuffer(body)) {
      await handle.writeFile(body);
    } else {
      // One chunk in flight at a time: memory stays bounded and a slow disk slows the sender.
      for await (const chunk of body) await writeFully(handle, toBytes(chunk));
    }
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** A stream chunk as bytes; string chunks (a body with an encoding set) are written as UTF-8. */
function toBytes(chunk: unknown): Uint8Array {
  if (chunk instanceof Uint8Array) return chunk;
  if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8');
  throw new TypeError('An artifact body must be a stream of bytes');
}

/** Writes all of `bytes`: write(2) may legally accept fewer bytes than offered. */
async function writeFully(handle: FileHandle, bytes: Uint8Array): Promise<void> {
  for (let offset = 0; offset < bytes.length;) {
    offset += (await handle.write(bytes, offset, bytes.length - offset)).bytesWritten;
  }
}

/** Canonical path of `absolute` if it exists, else of its deepest existing ancestor. */
async function canonicalExisting(absolute: string): Promise<{ path: string; exists: boolean }> {
  let current = absolute;
  for (;;) {
    try {
      return { path: await realpath(current), exists: current === absolute };
    } catch (error) {
      const parent = dirname(current);
      if (!hasCode(error, 'ENOENT', 'ENOTDIR') || parent === current) throw mapFsError(error);
      current = parent;
    }
  }
}

/**
 * Opens a canonical path if it is (still) a regular file. The type and size come from fstat on the
 * open handle, so they describe exactly the bytes that will be streamed, whatever happens to the path.
 */
async function openRegularFile(real: string): Promise<{ handle: FileHandle; size: number } | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(real, OPEN_READ);
  } catch (error) {
    if (hasCode(error, 'ENOENT', 'ELOOP', 'EISDIR')) return undefined; // gone or swapped since resolving
    throw mapFsError(error);
  }
  try {
    const info = await handle.stat();
    if (info.isFile()) return { handle, size: info.size };
  } catch (error) {
    await handle.close();
    throw error;
  }
  await handle.close();
  return undefined;
}

async function isDirectory(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isDirectory() ?? false;
}

/** Orders by UTF-8 bytes, i.e. by code point: the order MLflow (Python `sorted`) and S3 both use. */
function byPath(a: ArtifactEntry, b: ArtifactEntry): number {
  return Buffer.compare(Buffer.from(a.path, 'utf8'), Buffer.from(b.path, 'utf8'));
}

function targetIsDirectory(): SlipwayError {
  return new SlipwayError('FAILED_PRECONDITION', 'A directory already exists at this artifact path', {
    field: FIELD,
  });
}

function parentIsFile(): SlipwayError {
  return new SlipwayError('FAILED_PRECONDITION', 'A parent of this artifact path is a file', {
    field: FIELD,
  });
}

function hasCode(error: unknown, ...codes: string[]): boolean {
  return error instanceof Error && 'code' in error && codes.includes(String(error.code));
}

/** Turns the filesystem errors a caller can cause into Slipway errors; the rest stay as they are. */
function mapFsError(error: unknown): unknown {
  if (hasCode(error, 'ENAMETOOLONG')) return invalidArgument(FIELD, 'Artifact path or name is too long');
  if (hasCode(error, 'ELOOP')) return invalidArgument(FIELD, 'Artifact path has a symbolic link loop');
  return error;
}
