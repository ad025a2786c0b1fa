/**
 * The serving data plane as the SDK reaches it: JSON posts to the server root, outside the
 * `/api/v1` prefix the `Transport` adds, with the same typed errors.
 */
import { errorFromResponse, networkError } from './errors.js';
import type { FetchLike } from './transport.js';

/** Where the data plane is: the client's server, outside the `/api/v1` prefix. */
export interface DataPlaneOptions {
  url: string;
  fetch?: FetchLike;
  headers?: Record<string, string>;
}

/** Posts JSON to data-plane routes; a failure is the SDK's typed error for its code. */
export class DataPlane {
  private readonly root: string;
  private readonly fetch: FetchLike;
  private readonly headers: Record<string, string>;

  constructor(options: DataPlaneOptions) {
    this.root = options.url.replace(/\/+$/, '');
    this.fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.headers = { ...options.headers };
  }

  /** POSTs `body` as JSON to `path` (already percent-encoded) and returns the parsed answer. */
  async postJson<T>(path: string, body: unknown, headers: Record<string, string> = {}): Promise<T> {
    const url = `${this.root}${path}`;
    const init: RequestInit = {
      method: 'POST',
      headers: {
        accept: 'application/json',
        'content-type': 'application/json',
        ...this.headers,
        ...headers,
      },
      body: JSON.stringify(body),
    };
    let response: Response;
    try {
      response = await this.fetch(url, init);
    } catch (err) {
      throw networkError(url, err);
    }
    if (!response.ok) {
      const text = await response.text().catch(() => '');
      throw errorFromResponse(response.status, response.statusText, text);
    }
    return (await response.json()) as T;
  }
}
