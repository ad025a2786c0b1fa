/** `client.artifacts`: upload, download and list the files stored with a run. */
import type { ArtifactInfo, ArtifactListResponse, ArtifactResponse } from '@slipway/contracts';
import { InvalidArgumentError } from './errors.js';
import { artifactPathOf, pathOf, type Transport } from './transport.js';

/** What `artifacts.upload` accepts: bytes, text (sent as UTF-8) or a stream of bytes (sent unbuffered). */
export type ArtifactData = Uint8Array | string | ReadableStream<Uint8Array>;

/** The start of a file read by `artifacts.peek`, and how much of the file it is. */
export interface ArtifactPeek {
  /** At most the requested number of bytes, from the start of the file. */
  bytes: Uint8Array<ArrayBuffer>;
  /** The whole file's size in bytes, from the response's content-length (undefined if absent). */
  size: number | undefined;
  /** True when the file goes on beyond `bytes`. */
  truncated: boolean;
}

/** Artifact operations of a client. Paths are relative to the run's artifact root, e.g. `model/MLmodel`. */
export class ArtifactsApi {
  constructor(private readonly http: Transport) {}

  /** Uploads (or replaces) the file at `path`; returns its listing entry. */
  async upload(runId: string, path: string, data: ArtifactData): Promise<ArtifactInfo> {
    const raw = typeof data === 'string' ? new TextEncoder().encode(data) : data;
    const response = await this.http.json<ArtifactResponse>('PUT', this.filePath(runId, path), { raw });
    return response.artifact;
  }

  /** Downloads the file at `path`; NotFoundError if it does not exist. */
  async download(runId: string, path: string): Promise<Uint8Array> {
    const response = await this.http.send('GET', this.filePath(runId, path));
    return new Uint8Array(await response.arrayBuffer());
  }

  /**
   * Downloads at most `maxBytes` from the start of the file at `path` and stops the transfer there,
   * so previewing a large file costs only its first bytes; NotFoundError if it does not exist.
   */
  async peek(runId: string, path: string, maxBytes: number): Promise<ArtifactPeek> {
    if (!Number.isInteger(maxBytes) || maxBytes < 0) {
      throw new InvalidArgumentError(
        `Invalid maxBytes ${maxBytes}: use an integer >= 0.`,
        { field: 'maxBytes' },
        0,
      );
    }
    const response = await this.http.send('GET', this.filePath(runId, path));
    const length = response.headers.get('content-length');
    const { bytes, truncated } = await readAtMost(response, maxBytes);
    return {
      bytes,
      truncated,
      size: length === null ? (truncated ? undefined : bytes.length) : Number(length),
    };
  }

  /** The address the file at `path` downloads from, for a link or an `<a download>` in a browser. */
  downloadUrl(runId: string, path: string): string {
    return this.http.urlOf(this.filePath(runId, path));
  }

  /** Lists the direct children of directory `path` (the root by default); entry paths are root-relative. */
  async list(runId: string, path?: string): Promise<ArtifactInfo[]> {
    const query = { path: path || undefined };
    const response = await this.http.json<ArtifactListResponse>('GET', `${pathOf('runs', runId)}/artifacts`, {
      query,
    });
    return response.artifacts;
  }

  private filePath(runId: string, path: string): string {
    return `${pathOf('runs', runId)}/artifacts/${artifactPathOf(path)}`;
  }
}

/**
 * Reads a response body until it holds more than `maxBytes` or ends, then cancels the rest. One
 * byte past the limit is what tells a file of exactly `maxBytes` from a longer one.
 */
async function readAtMost(
  response: Response,
  maxBytes: number,
): Promise<{ bytes: Uint8Array<ArrayBuffer>; truncated: boolean }> {
  const reader = response.body?.getReader();
  if (reader === undefined) return { bytes: new Uint8Array(0), truncated: false };
  const chunks: Uint8Array[] = [];
  let total = 0;
  let done = false;
  while (!done && total <= maxBytes) {
    const next = await reader.read();
    done = next.done;
    if (next.value !== undefined) {
      chunks.push(next.value);
      total += next.value.length;
    }
  }
  if (!done) await reader.cancel();
  const all = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    all.set(chunk, offset);
    offset += chunk.length;
  }
  const bytes = total > maxBytes ? all.slice(0, maxBytes) : all;
  return { bytes, truncated: total > maxBytes };
}
