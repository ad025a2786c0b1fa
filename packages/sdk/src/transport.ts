/**
 * The one place the SDK talks HTTP: builds `/api/v1` URLs, sends JSON or raw bytes with the
 * injected `fetch`, and turns every failure into a typed `SlipwayApiError`.
 */
import { InvalidArgumentError, errorFromResponse, networkError } from './errors.js';

/** A `fetch` implementation (the global one by default; inject one for proxies, retries or tests). */
export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

/** Query-string values; arrays repeat the parameter, undefined drops it. */
export type QueryValues = Record<string, string | number | readonly string[] | undefined>;

/** Connection settings shared by every API group of a client. */
export interface TransportOptions {
  /** Server base URL, e.g. `http://127.0.0.1:5000` (the `/api/v1` prefix is added). */
  url: string;
  /** Custom fetch; defaults to the global `fetch` at call time. */
  fetch?: FetchLike;
  /** Extra headers sent with every request (e.g. authorization). */
  headers?: Record<string, string>;
  /** Who is calling, sent as `x-slipway-user`: registry history names this user as the actor. */
  user?: string;
}

/** The header the server reads the acting user from (there is no authentication yet: it is a claim). */
export const USER_HEADER = 'x-slipway-user';

/** Options of one request. */
interface RequestOptions {
  query?: QueryValues;
  /** JSON-encoded as the request body. */
  json?: unknown;
  /** Sent as-is with `application/octet-stream` (used for artifact uploads). */
  raw?: Uint8Array | ReadableStream<Uint8Array>;
}

/** Sends requests to one server's native API. */
export class Transport {
  private readonly base: string;
  private readonly fetch: FetchLike;
  private readonly headers: Record<string, string>;

  constructor(options: TransportOptions) {
    this.base = `${options.url.replace(/\/+$/, '')}/api/v1`;
    this.fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.headers = {
      ...options.headers,
      ...(options.user ? { [USER_HEADER]: userHeaderOf(options.user) } : {}),
    };
  }

  /** The full URL of an API path (e.g. for a browser link to a download). */
  urlOf(path: string, query?: QueryValues): string {
    return this.base + path + queryString(query);
  }

  /** Sends a request and decodes its JSON response. */
  async json<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const response = await this.send(method, path, options);
    return (await response.json()) as T;
  }

  /** Sends a request whose success response has no body (204). */
  async empty(method: string, path: string, options: RequestOptions = {}): Promise<void> {
    const response = await this.send(method, path, options);
    // Drain so the connection can be reused.
    await response.arrayBuffer();
  }

  /** Sends a request and returns the successful response unread (for downloads). */
  async send(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    const url = this.urlOf(path, options.query);
    let response: Response;
    try {
      response = await this.fetch(url, this.init(method, options));
    } catch (err) {
      throw networkError(url, err);
    }
    if (!response.ok) {
      const text = await response.text().catch(() => '');
      throw errorFromResponse(response.status, response.statusText, text);
    }
    return response;
  }

  private init(method: string, options: RequestOptions): RequestInit {
    const headers: Record<string, string> = { accept: 'application/json', ...this.headers };
    if (options.json !== undefined) {
      headers['content-type'] = 'application/json';
      return { method, headers, body: JSON.stringify(options.json) };
    }
    if (options.raw !== undefined) {
      headers['content-type'] = 'application/octet-stream';
      // A streamed request body requires half-duplex mode in fetch (Node and browsers alike). The DOM
      // typings refuse a Uint8Array that might sit on a SharedArrayBuffer; fetch accepts it at run time.
      const body = options.raw as NonNullable<RequestInit['body']>;
      const init: RequestInit & { duplex?: 'half' } = { method, headers, body };
      if (!(options.raw instanceof Uint8Array)) init.duplex = 'half';
      return init;
    }
    return { method, headers };
  }
}

/** `/a/b` segments, each percent-encoded so ids, names and keys containing `/` or `?` stay one segment. */
export function pathOf(...segments: string[]): string {
  return segments.map((s) => `/${encodeURIComponent(s)}`).join('');
}

/**
 * An artifact path with its `/` separators kept and every segment encoded. `.` and `..` are refused
 * here because URL parsing would silently resolve them (even as `%2e%2e`) before the server sees them.
 */
export function artifactPathOf(path: string): string {
  const segments = path.split('/').filter((s) => s !== '');
  if (segments.some((s) => s === '.' || s === '..')) {
    throw new InvalidArgumentError(
      `Invalid artifact path '${path}': '.' and '..' segments are not allowed.`,
      { field: 'path' },
      0,
    );
  }
  return segments.map(encodeURIComponent).join('/');
}

/** HTTP header values are bytes, and fetch would fail every request later with a vague TypeError. */
function userHeaderOf(user: string): string {
  if (/^[\x20-\x7e]+$/.test(user)) return user;
  throw new InvalidArgumentError(
    `Invalid user '${user}': it is sent as an HTTP header, so use printable ASCII only.`,
    { field: 'user' },
    0,
  );
}

function queryString(query: QueryValues | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value as readonly string[]) params.append(key, v);
    else params.append(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}
