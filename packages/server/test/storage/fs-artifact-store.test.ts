import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, realpath, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FsArtifactStore, UPLOAD_TEMP_PREFIX } from '../../src/storage/artifacts/fs-artifact-store.js';
import {
  delay,
  describeArtifactStoreContract,
  expectCode,
  gatedBody,
  readAll,
} from './artifact-store.contract.js';

describeArtifactStoreContract('fs', async () => {
  const tmp = await mkdtemp(join(tmpdir(), 'slipway-fs-artifacts-'));
  return {
    store: new FsArtifactStore(join(tmp, 'root')),
    cleanup: () => rm(tmp, { recursive: true, force: true }),
  };
});

/** Files and directories under `dir`, recursively, as sorted relative paths. */
async function tree(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true });
  return entries.map((e) => e.split('\\').join('/')).sort();
}

/** Polls `check` until it returns true, failing after `ms`. */
async function waitFor(check: () => Promise<boolean>, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await delay(5);
  }
}

describe('FsArtifactStore', () => {
  let tmp: string;
  let rootDir: string;
  let store: FsArtifactStore;

  beforeEach(async () => {
    tmp = await realpath(await mkdtemp(join(tmpdir(), 'slipway-fs-artifacts-')));
    rootDir = join(tmp, 'data', 'artifacts');
    store = new FsArtifactStore(rootDir);
  });

  afterEach(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  describe('root and layout', () => {
    it('creates a missing root on first use', async () => {
      expect(existsSync(rootDir)).toBe(false);
      expect(await store.list('')).toStrictEqual([]);
      expect((await stat(rootDir)).isDirectory()).toBe(true);
    });

    it('open() creates the root at once', async () => {
      const other = join(tmp, 'eager');
      await FsArtifactStore.open(other);
      expect((await stat(other)).isDirectory()).toBe(true);
    });

    it('open() fails at once when the root cannot be a directory', async () => {
      await writeFile(join(tmp, 'a-file'), 'x');
      await expect(FsArtifactStore.open(join(tmp, 'a-file'))).rejects.toThrow();
    });

    it('stores artifact a/b/c as the file <root>/a/b/c', async () => {
      await store.put('1/0a1b/artifacts/model/MLmodel', Buffer.from('flavors: {}\n'));
      expect(await readFile(join(rootDir, '1', '0a1b', 'artifacts', 'model', 'MLmodel'), 'utf8')).toBe(
        'flavors: {}\n',
      );
      expect(await tree(rootDir)).toStrictEqual([
        '1',
        '1/0a1b',
        '1/0a1b/artifacts',
        '1/0a1b/artifacts/model',
        '1/0a1b/artifacts/model/MLmodel',
      ]);
    });

    it('works through a root that is itself a symlink', async () => {
      await mkdir(rootDir, { recursive: true });
      await symlink(rootDir, join(tmp, 'link-to-root'));
      const viaLink = new FsArtifactStore(join(tmp, 'link-to-root'));
      await viaLink.put('x/y.txt', Buffer.from('via link'));
      expect(await readAll((await viaLink.get('x/y.txt')).stream)).toStrictEqual(Buffer.from('via link'));
      expect(await readFile(join(rootDir, 'x', 'y.txt'), 'utf8')).toBe('via link');
    });

    it('keeps look-alike names such as ..../..../etc/passwd inside the root', async () => {
      await store.put('..../..../etc/passwd', Buffer.from('mine'));
      expect(await readFile(join(rootDir, '....', '....', 'etc', 'passwd'), 'utf8')).toBe('mine');
    });
  });

  describe('uploads', () => {
    it('streams the body to a temp file beside the target, then renames it into place', async () => {
      const first = Buffer.alloc(256 * 1024, 1);
      const body = gatedBody(first);
      const pending = store.put('run/model.bin', body.stream);
      const dir = join(rootDir, 'run');
      const temps = async (): Promise<string[]> =>
        existsSync(dir) ? (await readdir(dir)).filter((n) => n.startsWith(UPLOAD_TEMP_PREFIX)) : [];
      // Bytes reach the disk while the upload is still open: nothing buffers the whole body.
      await waitFor(async () => {
        const [temp] = await temps();
        return temp !== undefined && (await stat(join(dir, temp))).size >= first.length;
      });
      expect(existsSync(join(dir, 'model.bin'))).toBe(false);
      expect(await store.list('run')).toStrictEqual([]);
      body.finish(Buffer.alloc(10, 2));
      await pending;
      expect(await temps()).toStrictEqual([]);
      expect((await stat(join(dir, 'model.bin'))).size).toBe(first.length + 10);
    });

    it('removes the temp file when the body fails', async () => {
      const body = gatedBody(Buffer.alloc(1024, 1));
      const pending = store.put('run/model.bin', body.stream);
      await waitFor(
        async () => existsSync(join(rootDir, 'run')) && (await readdir(join(rootDir, 'run'))).length > 0,
      );
      body.finish(new Error('connection reset'));
      await expect(pending).rejects.toThrow('connection reset');
      expect(await readdir(join(rootDir, 'run'))).toStrictEqual([]);
    });

    it('refuses to overwrite a directory with a file', async () => {
      await store.put('model/MLmodel', Buffer.from('m'));
      const error = await expectCode(store.put('model', Buffer.from('x')), 'FAILED_PRECONDITION');
      expect(error.details.field).toBe('path');
      expect(await readFile(join(rootDir, 'model', 'MLmodel'), 'utf8')).toBe('m');
    });

    it('refuses to write beneath a file', async () => {
      await store.put('hello.txt', Buffer.from('h'));
      await expectCode(store.put('hello.txt/child.txt', Buffer.from('x')), 'FAILED_PRECONDITION');
      await expectCode(store.put('hello.txt/a/b.txt', Buffer.from('x')), 'FAILED_PRECONDITION');
      expect(await readFile(join(rootDir, 'hello.txt'), 'utf8')).toBe('h');
    });

    it('maps a name too long for the filesystem to INVALID_ARGUMENT', async () => {
      await expectCode(store.put(`d/${'n'.repeat(300)}`, Buffer.from('x')), 'INVALID_ARGUMENT');
      await expectCode(store.get(`d/${'n'.repeat(300)}`), 'INVALID_ARGUMENT');
      expect(await readdir(join(rootDir, 'd'))).toStrictEqual([]);
    });

    it('writes nothing anywhere for refused paths', async () => {
      for (const path of [
        '../escape.txt',
        '../../escape.txt',
        '%2e%2e/escape.txt',
        '%252e%252e%252fescape.txt',
      ]) {
        await expectCode(store.put(path, Buffer.from('pwned')), 'INVALID_ARGUMENT');
      }
      expect(await tree(tmp)).toStrictEqual(['data', 'data/artifacts']);
    });
  });

  describe.skipIf(process.platform === 'win32')('symlinks planted under the root', () => {
    let outside: string;

    beforeEach(async () => {
      outside = join(tmp, 'outside');
      await mkdir(outside, { recursive: true });
      await writeFile(join(outside, 'secret.txt'), 'top secret');
      await mkdir(join(rootDir, 'real'), { recursive: true });
      await writeFile(join(rootDir, 'real', 'file.txt'), 'inside');
      await symlink(outside, join(rootDir, 'evil'));
      await symlink(join(outside, 'secret.txt'), join(rootDir, 'leak.txt'));
      await symlink(join(rootDir, 'real'), join(rootDir, 'good'));
      await symlink(join(rootDir, 'real', 'file.txt'), join(rootDir, 'good.txt'));
    });

    const outsideTree = (): Promise<string[]> => tree(outside);

    it('refuses to read through a link to outside, even to probe for existence', async () => {
      await expectCode(store.get('evil/secret.txt'), 'INVALID_ARGUMENT');
      await expectCode(store.get('evil/missing.txt'), 'INVALID_ARGUMENT');
      await expectCode(store.get('leak.txt'), 'INVALID_ARGUMENT');
      await expectCode(store.list('evil'), 'INVALID_ARGUMENT');
      await expectCode(store.list('evil/missing'), 'INVALID_ARGUMENT');
    });

    it('refuses to write through a link to outside and creates nothing there', async () => {
      await expectCode(store.put('evil/new.txt', Buffer.from('pwned')), 'INVALID_ARGUMENT');
      await expectCode(store.put('evil/sub/deeper/new.txt', Buffer.from('pwned')), 'INVALID_ARGUMENT');
      expect(await outsideTree()).toStrictEqual(['secret.txt']);
    });

    it('refuses to delete through a link to outside', async () => {
      await expectCode(store.delete('evil/secret.txt'), 'INVALID_ARGUMENT');
      expect(await readFile(join(outside, 'secret.txt'), 'utf8')).toBe('top secret');
    });

    it('deleting a link removes the link, never its target', async () => {
      await store.delete('evil');
      await store.delete('leak.txt');
      expect(existsSync(join(rootDir, 'evil'))).toBe(false);
      expect(existsSync(join(rootDir, 'leak.txt'))).toBe(false);
      expect(await readFile(join(outside, 'secret.txt'), 'utf8')).toBe('top secret');
    });

    it('writing over a file link replaces the link, not the file it points to', async () => {
      await store.put('leak.txt', Buffer.from('mine'));
      expect(await readFile(join(outside, 'secret.txt'), 'utf8')).toBe('top secret');
      expect(await readAll((await store.get('leak.txt')).stream)).toStrictEqual(Buffer.from('mine'));
    });

    it('hides links to outside from listings and follows links that stay inside', async () => {
      expect(await store.list('')).toStrictEqual([
        { path: 'good', isDir: true },
        { path: 'good.txt', isDir: false, fileSize: 6 },
        { path: 'real', isDir: true },
      ]);
      expect((await readAll((await store.get('good/file.txt')).stream)).toString()).toBe('inside');
      expect((await readAll((await store.get('good.txt')).stream)).toString()).toBe('inside');
    });

    it('refuses a symlink loop instead of failing obscurely', async () => {
      await symlink(join(rootDir, 'loop'), join(rootDir, 'loop'));
      await expectCode(store.get('loop'), 'INVALID_ARGUMENT');
      await expectCode(store.get('loop/x'), 'INVALID_ARGUMENT');
    });

    it('skips dangling links in listings', async () => {
      await symlink(join(rootDir, 'gone'), join(rootDir, 'dangling'));
      expect((await store.list('')).map((e) => e.path)).not.toContain('dangling');
      await expectCode(store.get('dangling'), 'NOT_FOUND');
    });
  });

  describe.skipIf(process.platform === 'win32')('special files', () => {
    it('answers NOT_FOUND for a FIFO instead of blocking, and does not list it', async () => {
      await mkdir(rootDir, { recursive: true });
      execFileSync('mkfifo', [join(rootDir, 'pipe')]);
      await expectCode(store.get('pipe'), 'NOT_FOUND');
      expect(await store.list('')).toStrictEqual([]);
    });
  });
});
