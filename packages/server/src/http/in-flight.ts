/**
 * Responses in flight, tracked so that shutdown lets them finish sending before the server closes.
 */
import type { ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';

/**
 * Responses in flight, so shutdown lets them finish sending before the server closes. Node's
 * `server.close()` destroys keep-alive sockets whose response has been ended, even when most of a
 * large body is still in the socket's write buffer (seen on Node 20: a 10 MB predict response cut
 * off half way), so waiting inside `app.close()` is not enough. Once closing starts, responses also
 * carry `Connection: close` so clients do not send more on those connections.
 */
export class InFlightRequests {
  private readonly pending = new Set<Promise<void>>();
  private closing = false;

  /** Tracks one response until Node has handed all of it to the OS (or it was aborted). */
  track(response: ServerResponse): void {
    const done = new Promise<void>((resolve) => response.once('close', () => resolve()));
    this.pending.add(done);
    void done.then(() => this.pending.delete(done));
  }

  /** Whether shutdown has started. */
  get isClosing(): boolean {
    return this.closing;
  }

  /** Starts shutdown and resolves once every tracked response is done, or after `timeoutMs`. */
  async drain(timeoutMs: number): Promise<void> {
    this.closing = true;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    while (this.pending.size > 0) {
      const settled = await Promise.race([Promise.all([...this.pending]).then(() => true), timeout]);
      if (settled !== true) break;
    }
    clearTimeout(timer);
  }
}

/** Tracks every response of `app` and asks clients to close their connection once shutdown starts. */
export function trackInFlight(app: FastifyInstance, inFlight: InFlightRequests): void {
  // Callback-style hooks: an async hook costs Fastify a promise per request on the hot path.
  app.addHook('onRequest', (_request, reply, done) => {
    inFlight.track(reply.raw);
    done();
  });
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (inFlight.isClosing) void reply.header('connection', 'close');
    done(null, payload);
  });
}
