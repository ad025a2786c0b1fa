/**
 * A real HTTP webhook receiver for tests: a node:http server on 127.0.0.1 (port 0) that records
 * every request and answers from a script (fail the next N with a status, hang the next N).
 */
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as the receiver saw it. */
export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The raw body, as signed. */
  body: string;
}

type Reply = { status: number } | 'hang';

/** A scripted receiver; close it after the test. */
export class WebhookReceiver {
  /** Every request received, in order. */
  readonly requests: ReceivedRequest[] = [];
  private readonly script: Reply[] = [];
  private defaultStatus = 204;
  private readonly hanging: ServerResponse[] = [];
  private readonly waiters: (() => void)[] = [];

  private readonly server: Server = createServer((req, res) => this.handle(req, res));

  private constructor() {}

  /** Starts a receiver on an ephemeral port. */
  static async start(): Promise<WebhookReceiver> {
    const receiver = new WebhookReceiver();
    await new Promise<void>((resolve) => receiver.server.listen(0, '127.0.0.1', resolve));
    return receiver;
  }

  /** Base URL, e.g. `http://127.0.0.1:40123`. */
  get url(): string {
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  /** The next `n` requests get `status`. */
  failNext(n: number, status = 500): this {
    for (let i = 0; i < n; i++) this.script.push({ status });
    return this;
  }

  /** The next `n` requests never get an answer. */
  hangNext(n: number): this {
    for (let i = 0; i < n; i++) this.script.push('hang');
    return this;
  }

  /** Unscripted requests get `status` from now on (204 by default). */
  respondWith(status: number): this {
    this.defaultStatus = status;
    return this;
  }

  /** Resolves once `count` requests have arrived in total. */
  async waitForRequests(count: number): Promise<void> {
    while (this.requests.length < count) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  /** Stops listening and drops every connection, hanging ones included. */
  async close(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      this.requests.push({
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      for (const wake of this.waiters.splice(0)) wake();
      const reply = this.script.shift() ?? { status: this.defaultStatus };
      if (reply === 'hang') this.hanging.push(res);
      else res.writeHead(reply.status).end();
    });
  }
}

/** A port nothing listens on (bound, then released). */
export async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
