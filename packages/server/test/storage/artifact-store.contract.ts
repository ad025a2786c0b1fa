/**
 * The behaviour every `ArtifactStore` backend must share. A backend's test file calls
 * `describeArtifactStoreContract` with a factory; each test gets a fresh, empty store.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SlipwayError, type ErrorCode } from '@slipway/contracts';
import type { ArtifactStore } from '../../src/tracking/artifact-store.js';

/** A fresh empty store plus how to dispose of it. */
export interface ArtifactStoreHarness {
  store: ArtifactStore;
  cleanup?: () => Promise<void>;
}

/** Reads a whole stream into one buffer (tests only: stores must never do this with uploads). */
export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

/** Expects `promise` to reject with a SlipwayError carrying `code`. */
export async function expectCode(promise: Promise<unknown>, code: ErrorCode): Promise<SlipwayError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, `expected ${code}`).toBeInstanceOf(SlipwayError);
  expect((error as SlipwayError).code).toBe(code);
  return error as SlipwayError;
}

/** An upload body the test controls: `first` is available at once, the rest arrives on `finish`. */
export function gatedBody(first: Buffer): { stream: Readable; finish: (rest: Buffer | Error) => void } {
  const stream = new Readable({ read() {} });
  stream.push(first);
  const finish = (rest: Buffer | Error): void => {
    if (rest instanceof Error) {
      stream.destroy(rest);
      return;
    }
    stream.push(rest);
    stream.push(null);
  };
  return { stream, finish };
}

/** Resolves after `ms` milliseconds. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A deterministic pseudo-random stream of `size` bytes, produced chunk by chunk. */
function generatedBody(size: number, chunkSize = 64 * 1024): Readable {
  return Readable.from(
    (function* () {
      for (let offset = 0; offset < size; offset += chunkSize)
        yield chunkAt(offset, Math.min(chunkSize, size - offset));
    })(),
  );
}

function chunkAt(offset: number, length: number): Buffer {
  const chunk = Buffer.alloc(length);
  for (let i = 0; i < length; i++) chunk[i] = ((offset + i) * 2654435761) >>> 24;
  return chunk;
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

// Traversal attempts every backend must refuse before touching storage, whatever the operation.
const ESCAPES = [
  '../escape.txt',
  'a/../../escape.txt',
  '/etc/passwd',
  '%2e%2e/escape.txt',
  '%252e%252e%252fescape',
];

/** Registers the contract tests for one backend. */
export function describeArtifactStoreContract(
  name: string,
  makeStore: () => Promise<ArtifactStoreHarness>,
): void {
  describe(`ArtifactStore contract: ${name}`, () => {
    let harness: ArtifactStoreHarness;
    let store: ArtifactStore;
    const text = async (path: string): Promise<string> =>
      (await readAll((await store.get(path)).stream)).toString();

    beforeEach(async () => {
      harness = await makeStore();
      store = harness.store;
    });

    afterEach(async () => {
      await harness.cleanup?.();
    });

    describe('put and get', () => {
      it('round-trips a Buffer and reports its size', async () => {
        await store.put('1/r/artifacts/hello.txt', Buffer.from('hello world\n'));
        const { stream, size } = await store.get('1/r/artifacts/hello.txt');
        expect(size).toBe(12);
        expect((await readAll(stream)).toString()).toBe('hello world\n');
      });

      it('round-trips a multi-chunk stream', async () => {
        await store.put('s.txt', Readable.from([Buffer.from('ab'), Buffer.from('cd'), Buffer.from('ef')]));
        expect(await text('s.txt')).toBe('abcdef');
      });

      it('stores a stream of string chunks as UTF-8', async () => {
        await store.put('notes/s.txt', Readable.from(['héllo, ', 'wörld ', '模型']));
        const { stream, size } = await store.get('notes/s.txt');
        expect(size).toBe(Buffer.byteLength('héllo, wörld 模型'));
        expect((await readAll(stream)).toString('utf8')).toBe('héllo, wörld 模型');
      });

      it('round-trips every byte value', async () => {
        const blob = Buffer.from(Array.from({ length: 256 * 40 }, (_, i) => i % 256));
        await store.put('sub/dir/blob.bin', blob);
        const { stream, size } = await store.get('sub/dir/blob.bin');
        expect(size).toBe(blob.length);
        expect((await readAll(stream)).equals(blob)).toBe(true);
      });

      it('streams a large upload through intact', async () => {
        const size = 5 * 1024 * 1024 + 123;
        await store.put('big/weights.bin', generatedBody(size));
        const { stream, size: stored } = await store.get('big/weights.bin');
        expect(stored).toBe(size);
        const data = await readAll(stream);
        expect(sha256(data)).toBe(sha256(await readAll(generatedBody(size))));
      });

      it('stores empty files', async () => {
        await store.put('empty.txt', Buffer.alloc(0));
        const { stream, size } = await store.get('empty.txt');
        expect(size).toBe(0);
        expect((await readAll(stream)).length).toBe(0);
        expect(await store.list('')).toStrictEqual([{ path: 'empty.txt', isDir: false, fileSize: 0 }]);
      });

      it('replaces previous content entirely', async () => {
        await store.put('cfg.json', Buffer.from('{"a": "a much longer first version"}'));
        await store.put('cfg.json', Buffer.from('{}'));
        expect(await text('cfg.json')).toBe('{}');
        expect((await store.get('cfg.json')).size).toBe(2);
      });

      it('keeps unusual but legitimate names', async () => {
        const names = [
          'model/name with space.txt',
          'ünïcødé/模型.bin',
          'model.v1..bak',
          '..hidden',
          '.env',
          '...',
          'a%20b.txt',
          '100%.txt',
          '2024-01-01T10:00:00.json',
        ];
        for (const name of names) await store.put(name, Buffer.from(name));
        for (const name of names) expect(await text(name)).toBe(name);
      });

      it('addresses one file through every spelling of its path', async () => {
        await store.put('a//b/./c.txt', Buffer.from('x'));
        expect(await text('a/b/c.txt')).toBe('x');
        expect(await text('./a/b//c.txt')).toBe('x');
        expect(await store.list('a/')).toStrictEqual(await store.list('a'));
      });

      it('answers NOT_FOUND for a missing file, a directory and the root', async () => {
        await store.put('dir/file.txt', Buffer.from('x'));
        await expectCode(store.get('nope.txt'), 'NOT_FOUND');
        await expectCode(store.get('dir/nope/deeper.txt'), 'NOT_FOUND');
        await expectCode(store.get('dir/file.txt/below'), 'NOT_FOUND');
        await expectCode(store.get('dir'), 'NOT_FOUND');
        await expectCode(store.get(''), 'NOT_FOUND');
      });

      it('refuses to write to the root itself', async () => {
        await expectCode(store.put('', Buffer.from('x')), 'INVALID_ARGUMENT');
        await expectCode(store.put('./', Buffer.from('x')), 'INVALID_ARGUMENT');
      });
    });

    describe('atomic replacement', () => {
      it('serves the old content until an upload completes', async () => {
        await store.put('m/weights.bin', Buffer.from('old'));
        const body = gatedBody(Buffer.from('new-part-1;'));
        const pending = store.put('m/weights.bin', body.stream);
        await delay(30);
        expect(await text('m/weights.bin')).toBe('old');
        body.finish(Buffer.from('new-part-2'));
        await pending;
        expect(await text('m/weights.bin')).toBe('new-part-1;new-part-2');
      });

      it('keeps the old content when an upload fails midway', async () => {
        await store.put('keep.txt', Buffer.from('old'));
        const body = gatedBody(Buffer.from('partial'));
        const pending = store.put('keep.txt', body.stream);
        await delay(30);
        body.finish(new Error('client went away'));
        await expect(pending).rejects.toThrow('client went away');
        expect(await text('keep.txt')).toBe('old');
        expect(await store.list('')).toStrictEqual([{ path: 'keep.txt', isDir: false, fileSize: 3 }]);
      });

      it('leaves no file behind when a first upload fails', async () => {
        const body = gatedBody(Buffer.from('partial'));
        const pending = store.put('fresh/x.bin', body.stream);
        await delay(30);
        body.finish(new Error('aborted'));
        await expect(pending).rejects.toThrow('aborted');
        await expectCode(store.get('fresh/x.bin'), 'NOT_FOUND');
        expect(await store.list('fresh')).toStrictEqual([]);
      });

      it('never interleaves two concurrent uploads to one path', async () => {
        const a = Buffer.alloc(300_000, 'a');
        const b = Buffer.alloc(300_000, 'b');
        const chunks = (buf: Buffer): Readable =>
          Readable.from(Array.from({ length: 30 }, (_, i) => buf.subarray(i * 10_000, (i + 1) * 10_000)));
        await Promise.all([store.put('race.bin', chunks(a)), store.put('race.bin', chunks(b))]);
        const stored = await readAll((await store.get('race.bin')).stream);
        expect(stored.equals(a) || stored.equals(b)).toBe(true);
      });
    });

    describe('list', () => {
      beforeEach(async () => {
        await store.put('1/r/artifacts/hello.txt', Buffer.from('hello world\n'));
        await store.put('1/r/artifacts/model/MLmodel', Buffer.from('flavors: {}\n'));
        await store.put('1/r/artifacts/model/deep/er/leaf.bin', Buffer.alloc(70));
        await store.put('1/r/artifacts/sub/dir/blob.bin', Buffer.alloc(10));
      });

      it('lists direct children relative to the listed directory, in MLflow shape', async () => {
        expect(await store.list('1/r/artifacts')).toStrictEqual([
          { path: 'hello.txt', isDir: false, fileSize: 12 },
          { path: 'model', isDir: true },
          { path: 'sub', isDir: true },
        ]);
        expect(await store.list('1/r/artifacts/sub')).toStrictEqual([{ path: 'dir', isDir: true }]);
        expect(await store.list('1/r/artifacts/model')).toStrictEqual([
          { path: 'MLmodel', isDir: false, fileSize: 12 },
          { path: 'deep', isDir: true },
        ]);
      });

      it('lists whole path segments only, never names that merely start alike', async () => {
        await store.put('pre/a/in.txt', Buffer.from('1'));
        await store.put('pre/ab/out.txt', Buffer.from('2'));
        await store.put('pre/a.txt', Buffer.from('3'));
        expect(await store.list('pre/a')).toStrictEqual([{ path: 'in.txt', isDir: false, fileSize: 1 }]);
        expect(await store.list('pre/a.txt')).toStrictEqual([]);
      });

      it('lists the root with the empty path', async () => {
        expect(await store.list('')).toStrictEqual([{ path: '1', isDir: true }]);
      });

      it('answers [] for a missing path and for a file', async () => {
        expect(await store.list('does/not/exist')).toStrictEqual([]);
        expect(await store.list('1/r/artifacts/hello.txt')).toStrictEqual([]);
        expect(await store.list('1/r/artifacts/hello.txt/below')).toStrictEqual([]);
      });

      it('sorts by code point, as MLflow (Python) and S3 do', async () => {
        // UTF-16 order would put the astral 𝒳 (U+1D4B3) before ｘ (U+FF58); code-point order does not.
        const names = ['b', 'a', 'B', 'a.txt', 'a b', 'é', 'z', '_x', 'ｘ', '𝒳', 'c/inner.txt'];
        for (const name of names) await store.put(`order/${name}`, Buffer.from('.'));
        const listed = (await store.list('order')).map((e) => e.path);
        expect(listed).toStrictEqual(['B', '_x', 'a', 'a b', 'a.txt', 'b', 'c', 'z', 'é', 'ｘ', '𝒳']);
      });
    });

    describe('delete', () => {
      beforeEach(async () => {
        await store.put('run/artifacts/a.txt', Buffer.from('a'));
        await store.put('run/artifacts/model/MLmodel', Buffer.from('m'));
        await store.put('run/artifacts/model/deep/leaf.bin', Buffer.from('l'));
      });

      it('deletes a single file and nothing else', async () => {
        await store.delete('run/artifacts/a.txt');
        await expectCode(store.get('run/artifacts/a.txt'), 'NOT_FOUND');
        expect(await text('run/artifacts/model/MLmodel')).toBe('m');
      });

      it('deletes a directory tree', async () => {
        await store.delete('run/artifacts/model');
        await expectCode(store.get('run/artifacts/model/deep/leaf.bin'), 'NOT_FOUND');
        expect(await store.list('run/artifacts')).toStrictEqual([
          { path: 'a.txt', isDir: false, fileSize: 1 },
        ]);
      });

      it('deletes whole path segments only, sparing siblings that merely start alike', async () => {
        await store.put('run/artifacts/a', Buffer.from('file named like the text file'));
        await store.put('run/artifacts/a b/c.txt', Buffer.from('c'));
        await store.put('run/artifacts/ab', Buffer.from('ab'));
        await store.delete('run/artifacts/a');
        expect((await store.list('run/artifacts')).map((e) => e.path)).toStrictEqual([
          'a b',
          'a.txt',
          'ab',
          'model',
        ]);
        await store.delete('run/artifacts/model/deep');
        expect(await store.list('run/artifacts/model')).toStrictEqual([
          { path: 'MLmodel', isDir: false, fileSize: 1 },
        ]);
      });

      it('is silent for what does not exist', async () => {
        await store.delete('run/artifacts/nope.txt');
        await store.delete('no/such/dir');
        await store.delete('run/artifacts/a.txt/below');
        expect(await text('run/artifacts/a.txt')).toBe('a');
      });

      it('refuses to delete the whole store', async () => {
        await expectCode(store.delete(''), 'INVALID_ARGUMENT');
        await expectCode(store.delete('.'), 'INVALID_ARGUMENT');
        expect(await text('run/artifacts/a.txt')).toBe('a');
      });
    });

    describe('path safety', () => {
      it.each(ESCAPES)('refuses %j in every operation', async (path) => {
        await store.put('inside.txt', Buffer.from('x'));
        await expectCode(store.put(path, Buffer.from('pwned')), 'INVALID_ARGUMENT');
        await expectCode(store.get(path), 'INVALID_ARGUMENT');
        await expectCode(store.list(path), 'INVALID_ARGUMENT');
        await expectCode(store.delete(path), 'INVALID_ARGUMENT');
        expect(await store.list('')).toStrictEqual([{ path: 'inside.txt', isDir: false, fileSize: 1 }]);
      });

      it('names the offending field', async () => {
        const error = await expectCode(store.get('../x'), 'INVALID_ARGUMENT');
        expect(error.details.field).toBe('path');
      });

      it('does not consume an upload it refuses', async () => {
        const body = Readable.from([Buffer.from('data')]);
        await expectCode(store.put('../x', body), 'INVALID_ARGUMENT');
        expect(body.readableEnded).toBe(false);
        body.destroy();
      });
    });
  });
}
