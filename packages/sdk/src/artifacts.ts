/** `client.artifacts`: upload, download and list the files stored with a run. */
import type { ArtifactInfo, ArtifactListResponse, ArtifactResponse } from '@slipway/contracts';
import { artifactPathOf, pathOf, type Transport } from './transport.js';

/** What `artifacts.upload` accepts: bytes, text (sent as UTF-8) or a stream of bytes (sent unbuffered). */
export type ArtifactData = Uint8Array | string | ReadableStream<Uint8Array>;

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
