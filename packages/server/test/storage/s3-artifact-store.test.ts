/**
 * The S3 backend against a real S3-protocol server: s3rver, started in this process on 127.0.0.1
 * with a temporary data directory. The shared contract runs twice (bucket root and under a prefix),
 * then the S3-specific behaviour: multipart uploads, listing pages, prefix isolation and outages.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SlipwayError } from '@slipway/contracts';
import {
  DEFAULT_PART_SIZE,
  MIN_PART_SIZE,
  parseS3Uri,
  S3ArtifactStore,
  type S3ArtifactStoreOptions,
} from '../../src/storage/artifacts/s3-artifact-store.js';
import { openArtifactStore } from '../../src/storage/open-stores.js';
import {
  delay,
  describeArtifactStoreContract,
  expectCode,
  gatedBody,
  readAll,
} from './artifact-store.contract.js';

/** The fixed credentials s3rver checks signatures against. */
const CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
const MiB = 1024 * 1024;

/** One request as s3rver received it. */
interface LoggedRequest {
  method: string;
  /** URL path: `/<bucket>/<key>` (path-style), still percent-encoded. */
  path: string;
  query: Record<string, unknown>;
}

/** The slice of a Koa context the test middleware touches. */
interface KoaContext {
  method: string;
  path: string;
  query: Record<string, unknown>;
  status: number;
  type: string;
  body: unknown;
}

type KoaMiddleware = (ctx: KoaContext, next: () => Promise<void>) => Promise<void>;

/** The slice of s3rver's (untyped) API used here. */
interface S3rverInstance {
  middleware: KoaMiddleware[];
  httpServer?: Server;
  run(): Promise<{ port: number }>;
  close(): Promise<void>;
}

type S3rverClass = new (options: Record<string, unknown>) => S3rverInstance;

/** A running s3rver plus what the tests observe and inject. */
interface FakeS3 {
  endpoint: string;
  /** A plain SDK client on the server, for arranging what the store under test must cope with. */
  admin: S3Client;
  requests: LoggedRequest[];
  /** When set, every request is answered with this S3 error instead of being served. */
  fault: { status: number; code: string } | undefined;
  /** A new, empty bucket. */
  createBucket(): Promise<string>;
  stop(): Promise<void>;
}

const require = createRequire(import.meta.url);
const S3rver = loadPatchedS3rver();

/**
 * s3rver 3.7.1 departs from S3 in three ways the tests notice. Each is corrected here, in the test
 * server only, so that it behaves as S3 documents; the store has no workaround for any of them.
 */
function loadPatchedS3rver(): S3rverClass {
  walkWholeTree();
  makePutsAtomic();
  allowDesTokens();
  return require('s3rver') as S3rverClass;
}

/**
 * Its delimiter listing prunes the directory walk below the first level, so a "directory" holding
 * only sub-directories never appears in CommonPrefixes (S3 reports it). Walking without the filter
 * is correct, only slower: listObjects still checks every key's prefix and delimiter itself.
 */
function walkWholeTree(): void {
  const utils = require('s3rver/lib/utils') as { walk: (dir: string, filter?: unknown) => unknown };
  const walk = utils.walk;
  // Runs before the store module loads, because that module copies `walk` when it loads.
  utils.walk = (dir: string) => walk(dir);
}

/**
 * A PUT streams straight into the object's file, so two concurrent PUTs to one key interleave their
 * bytes; an S3 PUT is atomic. Queueing the writes to each key restores last-writer-wins.
 */
function makePutsAtomic(): void {
  const FilesystemStore = require('s3rver/lib/stores/filesystem') as {
    prototype: { putObject: (object: { bucket: string; key: string }) => Promise<unknown> };
  };
  const putObject = FilesystemStore.prototype.putObject;
  const writes = new Map<string, Promise<unknown>>();
  FilesystemStore.prototype.putObject = function (this: unknown, object) {
    const id = `${object.bucket}/${object.key}`;
    const write = (writes.get(id) ?? Promise.resolve())
      .catch(() => undefined)
      .then(() => putObject.call(this, object));
    writes.set(id, write);
    return write;
  };
}

/**
 * ListObjectsV2 continuation tokens are DES-encrypted, and OpenSSL 3 (Node 17+) no longer offers
 * single DES, so every truncated listing fails with a 500. Triple DES with one key repeated three
 * times is the very same cipher (encrypt, decrypt, encrypt with one key), and OpenSSL 3 has it.
 */
function allowDesTokens(): void {
  const crypto = require('node:crypto') as {
    createCipheriv: (algorithm: string, key: Buffer, iv: Buffer) => unknown;
    createDecipheriv: (algorithm: string, key: Buffer, iv: Buffer) => unknown;
  };
  for (const name of ['createCipheriv', 'createDecipheriv'] as const) {
    const original = crypto[name];
    crypto[name] = (algorithm, key, iv) =>
      algorithm === 'des'
        ? original('des-ede3-cbc', Buffer.concat([key, key, key]), iv)
        : original(algorithm, key, iv);
  }
}

/** Starts s3rver on a free port of 127.0.0.1 with its own temporary directory. */
async function startFakeS3(): Promise<FakeS3> {
  const directory = await mkdtemp(join(tmpdir(), 'slipway-s3rver-'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory });
  const requests: LoggedRequest[] = [];
  let fault: FakeS3['fault'];
  // First in the chain, so it sees every request and can answer in s3rver's place.
  server.middleware.unshift(async (ctx, next) => {
    requests.push({ method: ctx.method, path: ctx.path, query: { ...ctx.query } });
    if (fault === undefined) return next();
    ctx.status = fault.status;
    ctx.type = 'application/xml';
    ctx.body = `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${fault.code}</Code><Message>injected</Message></Error>`;
  });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const admin = new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: CREDENTIALS,
  });
  return {
    endpoint,
    admin,
    requests,
    get fault() {
      return fault;
    },
    set fault(value) {
      fault = value;
    },
    async createBucket() {
      const bucket = `b-${randomUUID()}`;
      await admin.send(new CreateBucketCommand({ Bucket: bucket }));
      return bucket;
    },
    async stop() {
      // Idle keep-alive sockets of the stores' clients would hold close() open until they time out.
      server.httpServer?.closeAllConnections();
      await server.close();
      admin.destroy();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

/** A store on `fake`; region is left out on purpose, to exercise the fallback. */
function storeOn(fake: FakeS3, uri: string, options: S3ArtifactStoreOptions = {}): S3ArtifactStore {
  return new S3ArtifactStore(uri, {
    endpoint: fake.endpoint,
    forcePathStyle: true,
    credentials: CREDENTIALS,
    ...options,
  });
}

/** Requests that carried one multipart upload's parts to `key` (path-encoded). */
function partUploads(fake: FakeS3, bucket: string, key: string): LoggedRequest[] {
  return fake.requests.filter(
    (r) => r.method === 'PUT' && r.path === `/${bucket}/${key}` && 'partNumber' in r.query,
  );
}

/** A deterministic `size`-byte stream, plus its SHA-256. */
function patternBody(size: number): { stream: () => Readable; sha256: string } {
  const chunkSize = 256 * 1024;
  const chunk = (offset: number): Buffer => {
    const bytes = Buffer.alloc(Math.min(chunkSize, size - offset));
    for (let i = 0; i < bytes.length; i++) bytes[i] = ((offset + i) * 31 + (offset >> 10)) & 0xff;
    return bytes;
  };
  const hash = createHash('sha256');
  for (let offset = 0; offset < size; offset += chunkSize) hash.update(chunk(offset));
  const stream = (): Readable =>
    Readable.from(
      (function* () {
        for (let offset = 0; offset < size; offset += chunkSize) yield chunk(offset);
      })(),
    );
  return { stream, sha256: hash.digest('hex') };
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Polls `check` until it holds, failing after `ms`. */
async function waitFor(check: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await delay(5);
  }
}

let shared: Promise<FakeS3> | undefined;
/** The s3rver most tests share, started on first use. */
const sharedFake = (): Promise<FakeS3> => (shared ??= startFakeS3());

afterAll(async () => {
  await (await shared)?.stop();
});

describeArtifactStoreContract('s3 (bucket root)', async () => {
  const fake = await sharedFake();
  return { store: storeOn(fake, `s3://${await fake.createBucket()}`) };
});

describeArtifactStoreContract('s3 (under a prefix)', async () => {
  const fake = await sharedFake();
  return { store: storeOn(fake, `s3://${await fake.createBucket()}/tenant/artifacts`) };
});

describe('S3ArtifactStore', () => {
  let fake: FakeS3;
  let bucket: string;

  beforeAll(async () => {
    fake = await sharedFake();
  });

  beforeEach(async () => {
    bucket = await fake.createBucket();
    fake.requests.length = 0;
  });

  describe('configuration', () => {
    it.each([
      ['s3://bkt', { bucket: 'bkt', prefix: '' }],
      ['s3://bkt/', { bucket: 'bkt', prefix: '' }],
      ['s3://my.bucket-1/a/b', { bucket: 'my.bucket-1', prefix: 'a/b' }],
      ['s3://bkt/a//./b/', { bucket: 'bkt', prefix: 'a/b' }],
    ])('parses %s', (uri, expected) => {
      expect(parseS3Uri(uri)).toStrictEqual(expected);
    });

    it.each([
      's3://',
      's3:///prefix',
      's3://ab',
      's3://Upper',
      's3://-bkt',
      's3://a..b',
      's3://bkt?x=1',
      's3://bkt/../escape',
      's3://bkt//absolute',
      's3://bkt/a/%2e%2e/b',
      'file:/x',
    ])('refuses %s, naming the artifacts-uri setting', (uri) => {
      expect(() => parseS3Uri(uri)).toThrow(SlipwayError);
      try {
        parseS3Uri(uri);
      } catch (error) {
        expect((error as SlipwayError).code).toBe('INVALID_ARGUMENT');
        expect((error as SlipwayError).details.field).toBe('artifacts-uri');
      }
    });

    it.each([
      [{ partSize: MIN_PART_SIZE - 1 }, 'partSize'],
      [{ partSize: MIN_PART_SIZE + 0.5 }, 'partSize'],
      [{ listPageSize: 0 }, 'listPageSize'],
      [{ listPageSize: 1001 }, 'listPageSize'],
    ])('refuses options %o', (options, field) => {
      try {
        new S3ArtifactStore('s3://bkt', options);
        expect.unreachable();
      } catch (error) {
        expect((error as SlipwayError).code).toBe('INVALID_ARGUMENT');
        expect((error as SlipwayError).details.field).toBe(field);
      }
    });

    it('is what openArtifactStore opens for s3:// URIs, with the options passed on', async () => {
      const store = await openArtifactStore(`s3://${bucket}/via/open`, {
        s3: { endpoint: fake.endpoint, forcePathStyle: true, credentials: CREDENTIALS },
      });
      expect(store).toBeInstanceOf(S3ArtifactStore);
      expect(store).toMatchObject({ bucket, prefix: 'via/open' });
      await store.put('x.txt', Buffer.from('x'));
      expect(fake.requests.some((r) => r.path === `/${bucket}/via/open/x.txt`)).toBe(true);
    });

    it('contacts nothing until first use', () => {
      storeOn(fake, `s3://${bucket}`);
      expect(fake.requests).toStrictEqual([]);
    });
  });

  describe('layout', () => {
    it('stores artifact a/b/c as the object <prefix>/a/b/c', async () => {
      const store = storeOn(fake, `s3://${bucket}/team/artifacts`);
      await store.put('1/0a1b/artifacts/model/MLmodel', Buffer.from('flavors: {}\n'));
      const root = storeOn(fake, `s3://${bucket}`);
      expect(await root.list('')).toStrictEqual([{ path: 'team', isDir: true }]);
      const object = await root.get('team/artifacts/1/0a1b/artifacts/model/MLmodel');
      expect((await readAll(object.stream)).toString()).toBe('flavors: {}\n');
    });

    it('ignores zero-byte folder markers that other tools write', async () => {
      const root = storeOn(fake, `s3://${bucket}`);
      await root.put('data/file.txt', Buffer.from('f'));
      // What the S3 console's "Create folder" leaves behind: an empty object named `data/`.
      await fake.admin.send(new PutObjectCommand({ Bucket: bucket, Key: 'data/', Body: '' }));
      expect(await root.list('data')).toStrictEqual([{ path: 'file.txt', isDir: false, fileSize: 1 }]);
      await expectCode(root.get('data'), 'NOT_FOUND');
    });
  });

  describe('uploads', () => {
    it('sends a body larger than one part as a real multipart upload, streamed', async () => {
      const store = storeOn(fake, `s3://${bucket}`, { partSize: MIN_PART_SIZE });
      const { stream, sha256: expected } = patternBody(11 * MiB);
      await store.put('big/weights.bin', stream());
      const parts = partUploads(fake, bucket, 'big/weights.bin');
      expect(parts.map((r) => r.query['partNumber']).sort()).toStrictEqual(['1', '2', '3']);
      const initiated = fake.requests.filter((r) => r.method === 'POST' && 'uploads' in r.query);
      const completed = fake.requests.filter((r) => r.method === 'POST' && 'uploadId' in r.query);
      expect([initiated.length, completed.length]).toStrictEqual([1, 1]);
      const { stream: body, size } = await store.get('big/weights.bin');
      expect(size).toBe(11 * MiB);
      expect(sha256(await readAll(body))).toBe(expected);
    });

    it('sends parts while the body is still arriving, and publishes only when complete', async () => {
      const store = storeOn(fake, `s3://${bucket}`, { partSize: MIN_PART_SIZE });
      await store.put('m/weights.bin', Buffer.from('old'));
      const first = Buffer.alloc(6 * MiB, 1);
      const body = gatedBody(first);
      const pending = store.put('m/weights.bin', body.stream);
      // Part 1 reaches S3 before the body ends: the store does not buffer the whole upload.
      await waitFor(() => partUploads(fake, bucket, 'm/weights.bin').length > 0);
      expect((await readAll((await store.get('m/weights.bin')).stream)).toString()).toBe('old');
      body.finish(Buffer.alloc(10, 2));
      await pending;
      expect((await store.get('m/weights.bin')).size).toBe(first.length + 10);
      expect(partUploads(fake, bucket, 'm/weights.bin')).toHaveLength(2);
    });

    it('sends a body within one part as a single PUT, with the default part size', async () => {
      const store = storeOn(fake, `s3://${bucket}`);
      await store.put('one.bin', patternBody(DEFAULT_PART_SIZE - 1).stream());
      expect(partUploads(fake, bucket, 'one.bin')).toStrictEqual([]);
      expect(fake.requests.filter((r) => r.method === 'PUT' && r.path === `/${bucket}/one.bin`)).toHaveLength(
        1,
      );
      expect((await store.get('one.bin')).size).toBe(DEFAULT_PART_SIZE - 1);
    });

    it('keeps the old object and reports the body error when a multipart upload fails', async () => {
      const store = storeOn(fake, `s3://${bucket}`, { partSize: MIN_PART_SIZE });
      await store.put('keep.bin', Buffer.from('old'));
      const body = gatedBody(Buffer.alloc(6 * MiB, 1));
      const pending = store.put('keep.bin', body.stream);
      await waitFor(() => partUploads(fake, bucket, 'keep.bin').length > 0);
      body.finish(new Error('client went away'));
      await expect(pending).rejects.toThrow('client went away');
      expect((await readAll((await store.get('keep.bin')).stream)).toString()).toBe('old');
      // The store asked S3 to drop the parts. (s3rver does not implement AbortMultipartUpload and
      // answers 405; the store ignores that, which is what lets the body's error through.)
      const aborts = fake.requests.filter((r) => r.method === 'DELETE' && 'uploadId' in r.query);
      expect(aborts).toHaveLength(1);
    });
  });

  describe('listing and deleting beyond one page', () => {
    const files = ['f0.txt', 'f1.txt', 'f2.txt', 'f3.txt', 'f4.txt'];
    const dirs = ['d0', 'd1', 'd2'];

    async function fill(store: S3ArtifactStore): Promise<void> {
      for (const name of files) await store.put(`run/${name}`, Buffer.from(name));
      for (const dir of dirs) {
        await store.put(`run/${dir}/a.txt`, Buffer.from('a'));
        await store.put(`run/${dir}/b/c.txt`, Buffer.from('c'));
      }
    }

    it('follows continuation tokens through every page', async () => {
      const store = storeOn(fake, `s3://${bucket}/p`, { listPageSize: 2 });
      await fill(store);
      fake.requests.length = 0;
      expect(await store.list('run')).toStrictEqual([
        ...dirs.map((path) => ({ path, isDir: true })),
        ...files.map((path) => ({ path, isDir: false, fileSize: 6 })),
      ]);
      const pages = fake.requests.filter((r) => r.query['list-type'] === '2');
      expect(pages.length).toBeGreaterThanOrEqual(3);
      expect(pages.slice(1).every((r) => typeof r.query['continuation-token'] === 'string')).toBe(true);
      expect(pages.every((r) => r.query['max-keys'] === '2' && r.query['delimiter'] === '/')).toBe(true);
    });

    it('deletes a tree spanning several pages', async () => {
      const store = storeOn(fake, `s3://${bucket}/p`, { listPageSize: 2 });
      await fill(store);
      await store.put('keep.txt', Buffer.from('k'));
      fake.requests.length = 0;
      await store.delete('run');
      expect(await store.list('run')).toStrictEqual([]);
      expect(await store.list('')).toStrictEqual([{ path: 'keep.txt', isDir: false, fileSize: 1 }]);
      const batches = fake.requests.filter((r) => r.method === 'POST' && 'delete' in r.query);
      expect(batches.length).toBeGreaterThanOrEqual(1);
      const listings = fake.requests.filter((r) => r.query['list-type'] === '2');
      expect(listings.length).toBeGreaterThanOrEqual(Math.ceil((files.length + 2 * dirs.length) / 2));
    });
  });

  describe('prefix isolation', () => {
    it('keeps stores on one bucket apart, even when one prefix starts the other', async () => {
      const one = storeOn(fake, `s3://${bucket}/shared/one`);
      const oneTwo = storeOn(fake, `s3://${bucket}/shared/one-two`);
      await one.put('model/MLmodel', Buffer.from('one'));
      await oneTwo.put('model/MLmodel', Buffer.from('one-two'));
      await oneTwo.put('only-here.txt', Buffer.from('x'));
      expect((await readAll((await one.get('model/MLmodel')).stream)).toString()).toBe('one');
      expect((await readAll((await oneTwo.get('model/MLmodel')).stream)).toString()).toBe('one-two');
      expect(await one.list('')).toStrictEqual([{ path: 'model', isDir: true }]);
      await expectCode(one.get('only-here.txt'), 'NOT_FOUND');
      await one.delete('model');
      expect(await one.list('')).toStrictEqual([]);
      expect(await oneTwo.list('')).toStrictEqual([
        { path: 'model', isDir: true },
        { path: 'only-here.txt', isDir: false, fileSize: 1 },
      ]);
    });
  });

  describe('failures', () => {
    it('answers UNAVAILABLE without internals once the server has stopped', async () => {
      const own = await startFakeS3();
      const ownBucket = await own.createBucket();
      const store = storeOn(own, `s3://${ownBucket}/p`);
      await store.put('a.txt', Buffer.from('a'));
      await own.stop();
      for (const attempt of [
        () => store.get('a.txt'),
        () => store.list(''),
        () => store.put('b.txt', Buffer.from('b')),
        () => store.put('c.txt', Readable.from([Buffer.from('c')])),
        () => store.delete('a.txt'),
      ]) {
        const error = await expectCode(attempt(), 'UNAVAILABLE');
        expect(error.message).toBe('Artifact storage is unavailable; try again later.');
        expect(error.details).toStrictEqual({});
        expect(error.cause).toBeInstanceOf(Error);
      }
    });

    it('answers UNAVAILABLE when S3 throttles', async () => {
      const store = storeOn(fake, `s3://${bucket}`, { maxAttempts: 2 });
      await store.put('a.txt', Buffer.from('a'));
      fake.fault = { status: 503, code: 'SlowDown' };
      try {
        await expectCode(store.get('a.txt'), 'UNAVAILABLE');
        await expectCode(store.list(''), 'UNAVAILABLE');
      } finally {
        fake.fault = undefined;
      }
      expect((await readAll((await store.get('a.txt')).stream)).toString()).toBe('a');
    });

    it('does not mistake a missing bucket for a missing artifact', async () => {
      const store = storeOn(fake, `s3://${bucket}-missing`);
      const error: unknown = await store.get('a.txt').then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(Error);
      expect(error instanceof SlipwayError && error.code === 'NOT_FOUND').toBe(false);
    });
  });
});
