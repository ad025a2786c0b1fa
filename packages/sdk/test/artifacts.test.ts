import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError, NotFoundError, SlipwayClient } from '@slipway/sdk';
import { startServerProcess, type ServerProcess } from '../../server/test/helpers/server-process.js';

let server: ServerProcess;
let client: SlipwayClient;
let runId: string;

beforeAll(async () => {
  server = await startServerProcess();
  client = new SlipwayClient({ url: server.url });
  const { experimentId } = await client.experiments.create({ name: 'artifacts-sdk' });
  runId = (await client.runs.create({ experimentId })).info.runId;
});
afterAll(async () => {
  await server?.stop();
});

function streamOf(chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
      controller.close();
    },
  });
}

describe('artifacts round trip', () => {
  it('uploads bytes, text and a stream, downloads them identically, and lists them', async () => {
    const bytes = Uint8Array.from({ length: 300 }, (_, i) => (i * 7) % 256);
    expect(await client.artifacts.upload(runId, 'model/weights.bin', bytes)).toEqual({
      path: 'model/weights.bin',
      isDir: false,
      fileSize: 300,
    });
    await client.artifacts.upload(runId, 'notes/read me.txt', 'héllo wörld');
    const chunks = Array.from({ length: 64 }, (_, i) => new Uint8Array(16 * 1024).fill(i));
    const streamed = await client.artifacts.upload(runId, 'data/big.bin', streamOf(chunks));
    expect(streamed.fileSize).toBe(64 * 16 * 1024);

    expect(await client.artifacts.download(runId, 'model/weights.bin')).toEqual(bytes);
    expect(new TextDecoder().decode(await client.artifacts.download(runId, 'notes/read me.txt'))).toBe(
      'héllo wörld',
    );
    const big = await client.artifacts.download(runId, 'data/big.bin');
    expect(big.length).toBe(64 * 16 * 1024);
    expect(big[16 * 1024 * 5]).toBe(5);

    expect(await client.artifacts.list(runId)).toEqual([
      { path: 'data', isDir: true },
      { path: 'model', isDir: true },
      { path: 'notes', isDir: true },
    ]);
    expect(await client.artifacts.list(runId, 'notes')).toEqual([
      { path: 'notes/read me.txt', isDir: false, fileSize: new TextEncoder().encode('héllo wörld').length },
    ]);
  });

  it('replaces a file on re-upload', async () => {
    await client.artifacts.upload(runId, 'v.txt', 'one');
    await client.artifacts.upload(runId, 'v.txt', 'two!');
    expect(new TextDecoder().decode(await client.artifacts.download(runId, 'v.txt'))).toBe('two!');
  });

  it('throws NotFoundError for a missing file and InvalidArgumentError for traversal', async () => {
    await expect(client.artifacts.download(runId, 'missing.txt')).rejects.toBeInstanceOf(NotFoundError);
    await expect(client.artifacts.download(runId, '../other/secret')).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
    await expect(client.artifacts.upload(runId, '%2e%2e/x', 'x')).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      status: 400,
      details: { field: 'path' },
    });
    await expect(client.artifacts.list(runId, '../..')).rejects.toBeInstanceOf(InvalidArgumentError);
  });
});

describe('peek and downloadUrl', () => {
  const big = Uint8Array.from({ length: 3 * 1024 * 1024 }, (_, i) => (i * 13) % 251);

  beforeAll(async () => {
    await client.artifacts.upload(runId, 'peek/big.bin', big);
    await client.artifacts.upload(runId, 'peek/ten.txt', '0123456789');
  });

  it('reads only the start of a large file and reports its full size', async () => {
    const peek = await client.artifacts.peek(runId, 'peek/big.bin', 1000);
    expect(peek.bytes).toEqual(big.slice(0, 1000));
    expect(peek.size).toBe(big.length);
    expect(peek.truncated).toBe(true);
  });

  it('returns a file no larger than the limit whole, and tells exactly-the-limit from one byte more', async () => {
    expect(await client.artifacts.peek(runId, 'peek/ten.txt', 4096)).toEqual({
      bytes: new TextEncoder().encode('0123456789'),
      size: 10,
      truncated: false,
    });
    expect((await client.artifacts.peek(runId, 'peek/ten.txt', 10)).truncated).toBe(false);
    const nine = await client.artifacts.peek(runId, 'peek/ten.txt', 9);
    expect(new TextDecoder().decode(nine.bytes)).toBe('012345678');
    expect(nine.truncated).toBe(true);
  });

  it('refuses a bad limit and a missing file with the typed errors', async () => {
    await expect(client.artifacts.peek(runId, 'peek/ten.txt', -1)).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
    await expect(client.artifacts.peek(runId, 'peek/none.txt', 10)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('gives a URL the file downloads from', async () => {
    const url = client.artifacts.downloadUrl(runId, 'notes/read me.txt');
    expect(url).toBe(`${server.url}/api/v1/runs/${runId}/artifacts/notes/read%20me.txt`);
    expect(await (await fetch(url)).text()).toBe('héllo wörld');
  });
});
