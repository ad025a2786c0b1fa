import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AlreadyExistsError,
  FailedPreconditionError,
  InternalError,
  InvalidArgumentError,
  NotFoundError,
  ResourceExhaustedError,
  SlipwayApiError,
  SlipwayClient,
  SlipwayError,
  UnavailableError,
  type FetchLike,
} from '@slipway/sdk';
import { startServerProcess, type ServerProcess } from '../../server/test/helpers/server-process.js';

let server: ServerProcess;
let client: SlipwayClient;

beforeAll(async () => {
  server = await startServerProcess();
  client = new SlipwayClient({ url: server.url });
});
afterAll(async () => {
  await server?.stop();
});

async function caught(promise: Promise<unknown>): Promise<SlipwayApiError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof SlipwayApiError))
    throw new Error(`expected a SlipwayApiError, got ${String(error)}`);
  return error;
}

describe('typed errors from a real server', () => {
  it('NotFoundError (404) for an unknown experiment, run and artifact', async () => {
    const experiment = await caught(client.experiments.get('424242'));
    expect(experiment).toBeInstanceOf(NotFoundError);
    expect(experiment).toBeInstanceOf(SlipwayError);
    expect(experiment).toMatchObject({ code: 'NOT_FOUND', status: 404, name: 'NotFoundError' });
    expect(experiment.details.field).toBe('experimentId');
    expect(await caught(client.runs.get('0'.repeat(32)))).toBeInstanceOf(NotFoundError);
    expect(await caught(client.experiments.getByName('no such experiment'))).toBeInstanceOf(NotFoundError);
  });

  it('AlreadyExistsError (409) for a taken name', async () => {
    await client.experiments.create({ name: 'errors-dup' });
    const error = await caught(client.experiments.create({ name: 'errors-dup' }));
    expect(error).toBeInstanceOf(AlreadyExistsError);
    expect(error.status).toBe(409);
  });

  it('InvalidArgumentError (400) naming the field', async () => {
    const { experimentId } = await client.experiments.create({ name: 'errors-invalid' });
    const run = await client.runs.create({ experimentId });
    const error = await caught(client.runs.logMetric(run.info.runId, 'bad\nkey', 1));
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error).toMatchObject({ status: 400, details: { field: 'metrics[0].key' } });
    const search = await caught(
      client.runs.search({ experimentIds: [experimentId], filter: 'metrics.a >>> 1' }),
    );
    expect(search).toBeInstanceOf(InvalidArgumentError);
    expect(search.details.field).toBe('filter');
  });

  it('FailedPreconditionError (409) when writing to a deleted run', async () => {
    const { experimentId } = await client.experiments.create({ name: 'errors-precondition' });
    const run = await client.runs.create({ experimentId });
    await client.runs.delete(run.info.runId);
    const error = await caught(client.runs.setTag(run.info.runId, 'k', 'v'));
    expect(error).toBeInstanceOf(FailedPreconditionError);
    expect(error.status).toBe(409);
  });
});

describe('errors without a Slipway error body', () => {
  const answering =
    (body: string, status: number): FetchLike =>
    async () =>
      new Response(body, { status, statusText: 'Whatever' });

  it('UnavailableError with status 0 when the server cannot be reached', async () => {
    const offline = new SlipwayClient({ url: 'http://127.0.0.1:1' });
    const error = await caught(offline.experiments.get('0'));
    expect(error).toBeInstanceOf(UnavailableError);
    expect(error.status).toBe(0);
    expect(error.message).toContain('Could not reach Slipway at http://127.0.0.1:1');
  });

  it('UnavailableError for a gateway page, InternalError for other garbage, with the status', async () => {
    const gateway = new SlipwayClient({ url: 'http://x', fetch: answering('<html>Bad Gateway</html>', 502) });
    const down = await caught(gateway.experiments.get('0'));
    expect(down).toBeInstanceOf(UnavailableError);
    expect(down.status).toBe(502);
    expect(down.message).toContain('Bad Gateway');

    const garbled = new SlipwayClient({ url: 'http://x', fetch: answering('{"error": "nope"}', 404) });
    const internal = await caught(garbled.runs.get('abc'));
    expect(internal).toBeInstanceOf(InternalError);
    expect(internal).toMatchObject({ code: 'INTERNAL', status: 404 });

    const unknownCode = JSON.stringify({ error: { code: 'TEAPOT', message: 'short and stout' } });
    const teapot = new SlipwayClient({ url: 'http://x', fetch: answering(unknownCode, 418) });
    expect(await caught(teapot.runs.get('abc'))).toMatchObject({ code: 'INTERNAL', status: 418 });
  });

  it('maps a well-formed body by its code, whatever the status', async () => {
    const body = JSON.stringify({
      error: { code: 'UNAVAILABLE', message: 'maintenance', details: { retryAfter: 5 } },
    });
    const busy = new SlipwayClient({ url: 'http://x', fetch: answering(body, 503) });
    const error = await caught(busy.experiments.search());
    expect(error).toBeInstanceOf(UnavailableError);
    expect(error).toMatchObject({ message: 'maintenance', details: { retryAfter: 5 }, status: 503 });
  });

  it('ResourceExhaustedError for a 429 RESOURCE_EXHAUSTED body, keeping retryAfterSeconds', async () => {
    const body = JSON.stringify({
      error: {
        code: 'RESOURCE_EXHAUSTED',
        message: "Endpoint 'fraud' is over its rate limit",
        details: { retryAfterSeconds: 2 },
      },
    });
    const limited = new SlipwayClient({ url: 'http://x', fetch: answering(body, 429) });
    const error = await caught(limited.endpoints.get('fraud'));
    expect(error).toBeInstanceOf(ResourceExhaustedError);
    expect(error).toBeInstanceOf(SlipwayError);
    expect(error).toMatchObject({
      code: 'RESOURCE_EXHAUSTED',
      name: 'ResourceExhaustedError',
      status: 429,
      details: { retryAfterSeconds: 2 },
    });
  });

  it('sends configured headers and builds URLs under /api/v1 with encoded segments', async () => {
    const seen: { url: string; headers: Headers }[] = [];
    const fetch: FetchLike = async (url, init) => {
      seen.push({ url, headers: new Headers(init?.headers) });
      return new Response(JSON.stringify({ experiment: {} }), { status: 200 });
    };
    const custom = new SlipwayClient({
      url: 'http://host:1234/base/',
      fetch,
      headers: { authorization: 'Bearer t' },
    });
    await custom.experiments.getByName('a/b c?');
    expect(seen[0]?.url).toBe('http://host:1234/base/api/v1/experiments/by-name/a%2Fb%20c%3F');
    expect(seen[0]?.headers.get('authorization')).toBe('Bearer t');
  });
});
