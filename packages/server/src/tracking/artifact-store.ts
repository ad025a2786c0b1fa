/**
 * The artifact store port: bytes addressed by a relative, already-validated path such as
 * `<experimentId>/<runId>/artifacts/model/MLmodel`. Backends: local filesystem (default) and S3-compatible object stores.
 */
import type { Readable } from 'node:stream';

/** One entry of a directory listing; `path` is relative to the listed directory. */
export interface ArtifactEntry {
  path: string;
  isDir: boolean;
  /** Bytes; absent for directories. */
  fileSize?: number;
}

/** Stores and serves artifact bytes. All paths are relative, normalized and free of `..`. */
export interface ArtifactStore {
  /** Writes a file (creating parent directories), replacing any previous content atomically. */
  put(path: string, body: Readable | Buffer): Promise<void>;
  /** Opens a file for reading; NOT_FOUND if it is missing or a directory. */
  get(path: string): Promise<{ stream: Readable; size: number }>;
  /** Lists a directory's direct children sorted by path; [] for a missing path or a file. */
  list(path: string): Promise<ArtifactEntry[]>;
  /** Deletes a file or a directory tree; no error if absent. */
  delete(path: string): Promise<void>;
}
