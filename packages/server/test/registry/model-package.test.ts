import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { appendFile, mkdir, mkdtemp, readdir, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SlipwayError } from '@slipway/contracts';
import type { ErrorCode, ModelPackage } from '@slipway/contracts';
import {
  copyPackage,
  inspectPackage,
  packageDigest,
  readPackageFile,
  verifyPackage,
} from '../../src/registry/model-package.js';
import type { InspectedPackage } from '../../src/registry/model-package.js';
import { FsArtifactStore } from '../../src/storage/artifacts/fs-artifact-store.js';
import type { ArtifactStore } from '../../src/tracking/artifact-store.js';
import { linearRegressorOnnx, logisticClassifierOnnx } from '../helpers/onnx-models.js';
import { ONNX_MLMODEL, ONNX_MLMODEL_NO_SIGNATURE, SKLEARN_MLMODEL } from './mlflow-fixtures.js';

const SRC = '1/run1/artifacts/model';
const DEST = 'model-packages/0b5e7c1a';
const FIELD = 'source';

let tmp: string;
let root: string;
let store: FsArtifactStore;

beforeEach(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'slipway-model-package-'));
  root = join(tmp, 'root');
  store = await FsArtifactStore.open(root);
});

afterEach(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** Writes files (relative to the store root) straight to disk, as another process would. */
async function writeTree(dir: string, files: Record<string, string | Uint8Array>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    const target = join(root, dir, path);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, content);
  }
}

function sha256(content: string | Uint8Array): string {
  return createHash('sha256').update(content).digest('hex');
}

async function expectCode(promise: Promise<unknown>, code: ErrorCode): Promise<SlipwayError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, `expected ${code}`).toBeInstanceOf(SlipwayError);
  expect((error as SlipwayError).code).toBe(code);
  return error as SlipwayError;
}

/** Expects an INVALID_ARGUMENT refusal naming FIELD whose message matches `message`. */
async function expectRefusal(files: Record<string, string | Uint8Array>, message: RegExp): Promise<void> {
  await writeTree(SRC, files);
  const error = await expectCode(inspectPackage(store, SRC, FIELD), 'INVALID_ARGUMENT');
  expect(error.details.field).toBe(FIELD);
  expect(error.message).toMatch(message);
}

async function treeUnder(dir: string): Promise<string[]> {
  const base = join(root, dir);
  if (!existsSync(base)) return [];
  return (await readdir(base, { recursive: true, withFileTypes: true }))
    .filter((d) => d.isFile())
    .map((d) => join(d.parentPath, d.name).slice(base.length + 1))
    .sort();
}

const MODEL = linearRegressorOnnx([0.5, -1, 2], 0.25);

const DECLARED_CONTRACT = `contract:
  inputs:
    fields:
      - name: x
        type: float32
        shape: [-1, 3]
        range: { min: 0, max: 10 }
        description: three sensor readings
  outputs:
    fields:
      - name: y
        type: float32
        shape: [-1, 1]
        meaning: predicted load in kW
`;

function slipwayYaml(extra = '', files = ''): string {
  return `format_version: 1
runtime: onnx
entry_point: model.onnx
${files}${extra}metadata:
  training_dataset_digest: sha256:abc
  metrics: { rmse: 0.42 }
  library_versions: { onnx: 1.16.0 }
`;
}

describe('inspectPackage: slipway.yaml', () => {
  it('inspects a package: every file hashed, promises checked, declared contract kept', async () => {
    const files = `files:\n  - path: model.onnx\n    size: ${MODEL.length}\n    sha256: ${sha256(MODEL).toUpperCase()}\n`;
    const manifest = slipwayYaml(DECLARED_CONTRACT, files);
    await writeTree(SRC, { 'slipway.yaml': manifest, 'model.onnx': MODEL, 'assets/notes.txt': 'hello' });
    const inspected = await inspectPackage(store, SRC, FIELD);
    expect(inspected).toBeDefined();
    expect(inspected?.manifest).toBe('slipway.yaml');
    expect(inspected?.runtime).toBe('onnx');
    expect(inspected?.entryPoint).toBe('model.onnx');
    expect(inspected?.files).toEqual([
      { path: 'assets/notes.txt', size: 5, sha256: sha256('hello') },
      { path: 'model.onnx', size: MODEL.length, sha256: sha256(MODEL) },
      { path: 'slipway.yaml', size: Buffer.byteLength(manifest), sha256: sha256(manifest) },
    ]);
    expect(inspected?.digest).toBe(packageDigest(inspected?.files ?? []));
    expect(inspected?.contract).toEqual({
      inputs: {
        kind: 'tensors',
        fields: [
          {
            name: 'x',
            type: 'float32',
            shape: [-1, 3],
            nullable: false,
            range: { min: 0, max: 10 },
            description: 'three sensor readings',
          },
        ],
      },
      outputs: {
        kind: 'tensors',
        fields: [
          { name: 'y', type: 'float32', shape: [-1, 1], nullable: false, meaning: 'predicted load in kW' },
        ],
      },
      source: 'declared',
    });
    expect(inspected?.metadata).toEqual({
      training_dataset_digest: 'sha256:abc',
      metrics: { rmse: 0.42 },
      library_versions: { onnx: '1.16.0' },
    });
  });

  it('infers the contract from the ONNX graph when none is declared', async () => {
    await writeTree(SRC, { 'slipway.yaml': slipwayYaml(), 'model.onnx': logisticClassifierOnnx([1, 2], 0) });
    const inspected = await inspectPackage(store, SRC, FIELD);
    expect(inspected?.contract).toEqual({
      inputs: { kind: 'tensors', fields: [{ name: 'x', type: 'float32', shape: [-1, 2], nullable: false }] },
      outputs: {
        kind: 'tensors',
        fields: [
          { name: 'label', type: 'int64', shape: [-1], nullable: false },
          { name: 'probabilities', type: 'float32', shape: [-1, 2], nullable: false },
        ],
      },
      source: 'onnx',
    });
  });

  it('accepts a baseline package with a declared column contract and no ONNX file', async () => {
    const manifest = `format_version: 1
runtime: baseline
entry_point: baseline.json
contract:
  inputs:
    fields: [{ name: amount, type: float64 }]
  outputs:
    fields: [{ name: label, type: int64, categories: [0, 1] }]
`;
    await writeTree(SRC, {
      'slipway.yaml': manifest,
      'baseline.json':
        '{"kind":"constant","task":"classification","strategy":"majority","label":0,"probabilities":{"0":0.7,"1":0.3}}',
    });
    const inspected = await inspectPackage(store, SRC, FIELD);
    expect(inspected?.runtime).toBe('baseline');
    expect(inspected?.contract?.inputs).toEqual({
      kind: 'columns',
      fields: [{ name: 'amount', type: 'float64', nullable: false }],
    });
  });

  it('returns undefined for a directory without any manifest, or no directory at all', async () => {
    await writeTree(SRC, { 'model.pkl': 'pickle', 'conda.yaml': 'name: env' });
    expect(await inspectPackage(store, SRC, FIELD)).toBeUndefined();
    expect(await inspectPackage(store, 'no/such/dir', FIELD)).toBeUndefined();
  });

  it.each<[string, Record<string, string | Uint8Array>, RegExp]>([
    [
      'a listed file that is missing',
      { 'slipway.yaml': slipwayYaml('', 'files:\n  - path: weights.bin\n'), 'model.onnx': MODEL },
      /^slipway\.yaml lists weights\.bin, which is not in the package$/,
    ],
    [
      'a missing entry point',
      { 'slipway.yaml': slipwayYaml() },
      /entry point model\.onnx, which is not in the package/,
    ],
    [
      'a size mismatch',
      { 'slipway.yaml': slipwayYaml('', 'files:\n  - path: model.onnx\n    size: 3\n'), 'model.onnx': MODEL },
      new RegExp(`^model\\.onnx: size is ${MODEL.length} bytes but slipway\\.yaml says 3$`),
    ],
    [
      'a sha256 mismatch',
      {
        'slipway.yaml': slipwayYaml('', `files:\n  - path: model.onnx\n    sha256: ${'0'.repeat(64)}\n`),
        'model.onnx': MODEL,
      },
      new RegExp(`^model\\.onnx: sha256 is ${sha256(MODEL)} but slipway\\.yaml says 0{64}$`),
    ],
    [
      'a corrupt model.onnx',
      { 'slipway.yaml': slipwayYaml(), 'model.onnx': 'definitely not protobuf' },
      /^model\.onnx: Not a valid ONNX model: /,
    ],
    [
      'an unknown key',
      { 'slipway.yaml': `entrypoint: model.onnx\n${slipwayYaml()}` },
      /^slipway\.yaml: unknown key 'entrypoint'$/,
    ],
    [
      'another format version',
      { 'slipway.yaml': slipwayYaml().replace('format_version: 1', 'format_version: 2') },
      /format_version must be 1, got 2/,
    ],
    [
      'a runtime slipway.yaml cannot name',
      { 'slipway.yaml': slipwayYaml().replace('runtime: onnx', 'runtime: python_function') },
      /runtime must be one of onnx, baseline/,
    ],
    [
      'a malformed sha256',
      {
        'slipway.yaml': slipwayYaml('', 'files:\n  - path: model.onnx\n    sha256: abc\n'),
        'model.onnx': MODEL,
      },
      /files\[0\]\.sha256 must be 64 hex digits/,
    ],
    [
      'a file listed twice',
      {
        'slipway.yaml': slipwayYaml('', 'files:\n  - path: model.onnx\n  - path: ./model.onnx\n'),
        'model.onnx': MODEL,
      },
      /lists 'model\.onnx' twice/,
    ],
    [
      'an entry point outside the package',
      { 'slipway.yaml': slipwayYaml().replace('entry_point: model.onnx', 'entry_point: ../model.onnx') },
      /entry_point '\.\.\/model\.onnx'/,
    ],
    [
      'an invalid declared contract',
      {
        'slipway.yaml': slipwayYaml('contract:\n  inputs:\n    fields: [{ name: x, type: float }]\n'),
        'model.onnx': MODEL,
      },
      /^slipway\.yaml: contract\.inputs\.fields\[0\]\.type: Unknown field type 'float'/,
    ],
  ])('refuses %s, naming the file', async (_label, files, message) => {
    await expectRefusal(files, message);
  });

  it.each<[string, string, RegExp]>([
    [
      'an input the graph does not have',
      'contract:\n  inputs:\n    fields: [{ name: features, type: float32, shape: [-1, 3] }]\n',
      /declares input 'features' that the ONNX graph does not have \(graph inputs: 'x'\)/,
    ],
    [
      'a graph input it leaves out',
      'contract:\n  outputs:\n    fields: [{ name: y, type: float32 }]\n',
      /does not declare the ONNX graph's input 'x'/,
    ],
    [
      'an output the graph does not have',
      'contract:\n  inputs:\n    fields: [{ name: x, type: float32 }]\n  outputs:\n    fields: [{ name: score, type: float32 }]\n',
      /declares output 'score' that the ONNX graph does not have/,
    ],
    [
      'another element type',
      'contract:\n  inputs:\n    fields: [{ name: x, type: float64 }]\n',
      /declares input 'x' as float64 but the ONNX graph has float32/,
    ],
    [
      'another fixed dimension',
      'contract:\n  inputs:\n    fields: [{ name: x, type: float32, shape: [-1, 4] }]\n',
      /declares input 'x' with shape \[-1, 4\] but the ONNX graph has \[-1, 3\]/,
    ],
  ])('refuses a declared contract with %s', async (_label, contract, message) => {
    await expectRefusal({ 'slipway.yaml': slipwayYaml(contract), 'model.onnx': MODEL }, message);
  });

  it('accepts a declared contract that pins a dynamic dimension', async () => {
    const pinned = 'contract:\n  inputs:\n    fields: [{ name: x, type: float32, shape: [8, 3] }]\n';
    await writeTree(SRC, { 'slipway.yaml': slipwayYaml(pinned), 'model.onnx': MODEL });
    expect((await inspectPackage(store, SRC, FIELD))?.contract?.inputs.fields[0]?.shape).toEqual([8, 3]);
  });

  it('accepts input columns the runtime can pack into the graph input, and refuses ones it cannot', async () => {
    const packed =
      'contract:\n  inputs:\n    kind: columns\n    fields: [{ name: a, type: float64 }, { name: b, type: float64 }, { name: c, type: int32 }]\n';
    await writeTree(SRC, { 'slipway.yaml': slipwayYaml(packed), 'model.onnx': MODEL });
    expect((await inspectPackage(store, SRC, FIELD))?.contract?.inputs.fields.map((f) => f.name)).toEqual([
      'a',
      'b',
      'c',
    ]);
    const one = 'contract:\n  inputs:\n    kind: columns\n    fields: [{ name: x, type: float64 }]\n';
    await expectRefusal(
      { 'slipway.yaml': slipwayYaml(one), 'model.onnx': MODEL },
      /input columns the ONNX graph cannot be fed from: ONNX input 'x' has shape \[-1, 3\]/,
    );
  });

  it('refuses a directory cycle instead of walking it forever', async () => {
    await writeTree(SRC, { 'slipway.yaml': slipwayYaml(), 'model.onnx': MODEL });
    await symlink('.', join(root, SRC, 'loop'));
    const error = await expectCode(inspectPackage(store, SRC, FIELD), 'INVALID_ARGUMENT');
    expect(error.message).toMatch(/nest deeper than 32 levels/);
  });
});

describe('inspectPackage: MLmodel', () => {
  it('reads an onnx flavor: runtime onnx, contract from the MLflow signature, metadata kept', async () => {
    await writeTree(SRC, { MLmodel: ONNX_MLMODEL, 'model.onnx': MODEL, 'conda.yaml': 'name: mlflow-env\n' });
    const inspected = await inspectPackage(store, SRC, FIELD);
    expect(inspected?.manifest).toBe('MLmodel');
    expect(inspected?.runtime).toBe('onnx');
    expect(inspected?.entryPoint).toBe('model.onnx');
    expect(inspected?.files.map((f) => f.path)).toEqual(['MLmodel', 'conda.yaml', 'model.onnx']);
    expect(inspected?.contract?.source).toBe('mlflow-signature');
    expect(inspected?.contract?.inputs.fields).toEqual([
      { name: 'x', type: 'float32', shape: [-1, 3], nullable: false },
    ]);
    expect(inspected?.metadata).toMatchObject({
      mlflow_version: '2.12.1',
      run_id: '8b7a6c5d4e3f4a1b9c8d7e6f5a4b3c2d',
      utc_time_created: '2024-04-18 10:01:02.123456',
      flavors: ['onnx', 'python_function'],
    });
  });

  it('infers the contract from the graph when the MLmodel has no signature', async () => {
    await writeTree(SRC, { MLmodel: ONNX_MLMODEL_NO_SIGNATURE, 'model.onnx': MODEL });
    expect((await inspectPackage(store, SRC, FIELD))?.contract?.source).toBe('onnx');
  });

  it('reads an sklearn model as python_function with its signature; the pickle is not loaded', async () => {
    await writeTree(SRC, {
      MLmodel: SKLEARN_MLMODEL,
      'model.pkl': Buffer.from([0x80, 0x05, 0x95, 0x00]),
      'conda.yaml': 'name: mlflow-env\n',
      'python_env.yaml': 'python: 3.11.8\n',
      'requirements.txt': 'mlflow==2.12.1\nscikit-learn==1.4.2\n',
    });
    const inspected = await inspectPackage(store, SRC, FIELD);
    expect(inspected?.runtime).toBe('python_function');
    expect(inspected?.entryPoint).toBe('model.pkl');
    expect(inspected?.contract?.inputs.fields.map((f) => f.name)).toEqual([
      'sepal length (cm)',
      'sepal width (cm)',
      'petal length (cm)',
      'petal width (cm)',
    ]);
    expect(inspected?.files).toHaveLength(5);
  });

  it('accepts a python_function entry point that is a directory', async () => {
    const mlmodel =
      'flavors:\n  python_function:\n    data: saved_model\n    loader_module: mlflow.tensorflow\n';
    await writeTree(SRC, {
      MLmodel: mlmodel,
      'saved_model/saved_model.pb': 'pb',
      'saved_model/variables/v.index': 'i',
    });
    expect((await inspectPackage(store, SRC, FIELD))?.entryPoint).toBe('saved_model');
  });

  it('refuses an onnx flavor whose data file is corrupt or missing', async () => {
    await expectRefusal(
      { MLmodel: ONNX_MLMODEL, 'model.onnx': new Uint8Array([8, 1, 2]) },
      /^model\.onnx: Not a valid ONNX model/,
    );
    await rm(join(root, SRC, 'model.onnx'));
    await expectRefusal({}, /^MLmodel names entry point model\.onnx, which is not in the package$/);
  });

  it('refuses a python_function model_path that is missing', async () => {
    await expectRefusal({ MLmodel: SKLEARN_MLMODEL }, /MLmodel names entry point model\.pkl/);
  });
});

describe('inspectPackage: both manifests', () => {
  it('lets slipway.yaml govern and borrows the MLmodel signature when it declares no contract', async () => {
    await writeTree(SRC, { 'slipway.yaml': slipwayYaml(), MLmodel: ONNX_MLMODEL, 'model.onnx': MODEL });
    const inspected = await inspectPackage(store, SRC, FIELD);
    expect(inspected?.manifest).toBe('slipway.yaml');
    expect(inspected?.contract?.source).toBe('mlflow-signature');
    expect(inspected?.metadata).toHaveProperty('training_dataset_digest', 'sha256:abc');
    expect(inspected?.files.map((f) => f.path)).toEqual(['MLmodel', 'model.onnx', 'slipway.yaml']);
  });

  it('does not read the MLmodel at all when slipway.yaml declares a contract', async () => {
    await writeTree(SRC, {
      'slipway.yaml': slipwayYaml(DECLARED_CONTRACT),
      MLmodel: 'flavors: [',
      'model.onnx': MODEL,
    });
    expect((await inspectPackage(store, SRC, FIELD))?.contract?.source).toBe('declared');
  });

  it('falls back to the graph when neither declares a contract', async () => {
    await writeTree(SRC, {
      'slipway.yaml': slipwayYaml(),
      MLmodel: ONNX_MLMODEL_NO_SIGNATURE,
      'model.onnx': MODEL,
    });
    expect((await inspectPackage(store, SRC, FIELD))?.contract?.source).toBe('onnx');
  });
});

describe('packageDigest', () => {
  const files = [
    { path: 'b.txt', size: 1, sha256: 'b'.repeat(64) },
    { path: 'a.txt', size: 2, sha256: 'a'.repeat(64) },
  ];

  it('is sha256 over the sorted (path, size, sha256) list, whatever the input order', () => {
    const rows = JSON.stringify([
      ['a.txt', 2, 'a'.repeat(64)],
      ['b.txt', 1, 'b'.repeat(64)],
    ]);
    expect(packageDigest(files)).toBe(`sha256:${sha256(rows)}`);
    expect(packageDigest([...files].reverse())).toBe(packageDigest(files));
  });

  it('changes with any path, size or hash', () => {
    const base = packageDigest(files);
    expect(packageDigest([{ ...files[0]!, path: 'c.txt' }, files[1]!])).not.toBe(base);
    expect(packageDigest([{ ...files[0]!, size: 9 }, files[1]!])).not.toBe(base);
    expect(packageDigest([{ ...files[0]!, sha256: 'c'.repeat(64) }, files[1]!])).not.toBe(base);
  });
});

describe('copyPackage, verifyPackage, readPackageFile', () => {
  const SOURCE_FILES = {
    'slipway.yaml': slipwayYaml(),
    'model.onnx': MODEL,
    'assets/a.txt': 'aaa',
    'z.txt': 'zzz',
  };

  async function inspectSource(): Promise<InspectedPackage> {
    await writeTree(SRC, SOURCE_FILES);
    const inspected = await inspectPackage(store, SRC, FIELD);
    if (inspected === undefined) throw new Error('expected a package');
    return inspected;
  }

  it('copies every file to the destination and returns the stored package', async () => {
    const inspected = await inspectSource();
    const pkg = await copyPackage(store, inspected, SRC, DEST);
    expect(pkg).toEqual({
      manifest: 'slipway.yaml',
      runtime: 'onnx',
      entryPoint: 'model.onnx',
      digest: inspected.digest,
      storagePath: DEST,
      files: inspected.files,
      metadata: inspected.metadata,
    });
    expect(await treeUnder(DEST)).toEqual(['assets/a.txt', 'model.onnx', 'slipway.yaml', 'z.txt']);
    await verifyPackage(store, pkg);
    expect(await readPackageFile(store, pkg, 'model.onnx')).toEqual(Buffer.from(MODEL));
  });

  it('refuses a source changed between inspection and copy, leaving nothing behind', async () => {
    const inspected = await inspectSource();
    await writeFile(join(root, SRC, 'z.txt'), 'zzZ');
    const error = await expectCode(copyPackage(store, inspected, SRC, DEST), 'FAILED_PRECONDITION');
    expect(error.message).toBe(
      'Model package source changed after inspection: z.txt (its content changed); register it again',
    );
    expect(existsSync(join(root, DEST))).toBe(false);
  });

  it.each<[string, (path: string) => Promise<void>, RegExp]>([
    ['grew', (path) => appendFile(path, 'more'), /model\.onnx \(it grew\)/],
    ['shrank', (path) => writeFile(path, 'x'), /model\.onnx \(it is now 1 bytes/],
    ['vanished', (path) => unlink(path), /model\.onnx \(it was removed\)/],
  ])('refuses a file that %s mid-copy, after earlier files were written', async (_label, change, message) => {
    const inspected = await inspectSource();
    // Files are copied in path order: assets/a.txt is already written when model.onnx is opened.
    const racing: ArtifactStore = {
      put: (path, body) => store.put(path, body),
      list: (path) => store.list(path),
      delete: (path) => store.delete(path),
      get: async (path) => {
        if (path === `${SRC}/model.onnx`) await change(join(root, path));
        return store.get(path);
      },
    };
    const error = await expectCode(copyPackage(racing, inspected, SRC, DEST), 'FAILED_PRECONDITION');
    expect(error.message).toMatch(message);
    expect(existsSync(join(root, DEST))).toBe(false);
    expect(await treeUnder('model-packages')).toEqual([]);
  });

  it('cleans up when the store fails mid-copy', async () => {
    const inspected = await inspectSource();
    let puts = 0;
    const failing: ArtifactStore = {
      get: (path) => store.get(path),
      list: (path) => store.list(path),
      delete: (path) => store.delete(path),
      put: async (path, body) => {
        if (++puts === 3) throw new Error('disk full');
        return store.put(path, body);
      },
    };
    await expect(copyPackage(failing, inspected, SRC, DEST)).rejects.toThrow('disk full');
    expect(existsSync(join(root, DEST))).toBe(false);
  });

  it('refuses a destination that is not empty and leaves it alone', async () => {
    const inspected = await inspectSource();
    await writeTree(DEST, { 'other.txt': 'someone else' });
    const error = await expectCode(copyPackage(store, inspected, SRC, DEST), 'FAILED_PRECONDITION');
    expect(error.message).toMatch(/is not empty/);
    expect(await treeUnder(DEST)).toEqual(['other.txt']);
  });

  describe('tampering with the stored copy', () => {
    let pkg: ModelPackage;

    beforeEach(async () => {
      pkg = await copyPackage(store, await inspectSource(), SRC, DEST);
    });

    it.each<[string, () => Promise<void>, string]>([
      ['a changed file', () => writeFile(join(root, DEST, 'z.txt'), 'zzZ'), 'z.txt (content changed)'],
      [
        'a changed size',
        () => appendFile(join(root, DEST, 'model.onnx'), '!'),
        'model.onnx (content changed)',
      ],
      ['a missing file', () => unlink(join(root, DEST, 'assets/a.txt')), 'assets/a.txt (missing)'],
      [
        'an extra file',
        () => writeFile(join(root, DEST, 'assets/extra.txt'), 'x'),
        'assets/extra.txt (not part of the package)',
      ],
    ])('detects %s', async (_label, tamper, reason) => {
      await tamper();
      const error = await expectCode(verifyPackage(store, pkg), 'FAILED_PRECONDITION');
      expect(error.message).toBe(`Model package ${DEST} digest mismatch: ${reason}`);
    });

    it('detects a file list that no longer yields the recorded digest', async () => {
      const forged = {
        ...pkg,
        files: pkg.files.map((f) => (f.path === 'z.txt' ? { ...f, sha256: sha256('zzZ') } : f)),
      };
      await writeFile(join(root, DEST, 'z.txt'), 'zzZ');
      const error = await expectCode(verifyPackage(store, forged), 'FAILED_PRECONDITION');
      expect(error.message).toMatch(/digest mismatch: \(file list\)/);
    });

    it('readPackageFile refuses tampered bytes and unknown paths', async () => {
      await writeFile(join(root, DEST, 'model.onnx'), Buffer.from(linearRegressorOnnx([9, 9, 9], 9)));
      const error = await expectCode(readPackageFile(store, pkg, 'model.onnx'), 'FAILED_PRECONDITION');
      expect(error.message).toBe(`Model package ${DEST} digest mismatch: model.onnx (content changed)`);
      await expectCode(readPackageFile(store, pkg, 'nope.bin'), 'NOT_FOUND');
      await unlink(join(root, DEST, 'z.txt'));
      await expectCode(readPackageFile(store, pkg, 'z.txt'), 'FAILED_PRECONDITION');
    });
  });
});

describe('inspectPackage: baseline entry points are loaded before registration', () => {
  const manifest = (contract = ''): string =>
    `format_version: 1\nruntime: baseline\nentry_point: baseline.json\n${contract}`;
  const amountContract =
    'contract:\n  inputs:\n    fields: [{ name: amount, type: float64 }]\n' +
    '  outputs:\n    fields: [{ name: label, type: string }]\n';

  it('refuses a spec that is not a baseline, naming the entry point and the spec field', async () => {
    await expectRefusal(
      { 'slipway.yaml': manifest(), 'baseline.json': '{"kind":"constant","value":0}' },
      /baseline\.json \(source\.spec\.task\).*task/,
    );
  });

  it('refuses text that is neither JSON nor YAML', async () => {
    await expectRefusal(
      { 'slipway.yaml': manifest(), 'baseline.json': '{"kind": [' },
      /not valid JSON or YAML/,
    );
  });

  it('refuses a rule over a column the declared contract does not have, with its position', async () => {
    const spec = { kind: 'rules', rules: [{ when: 'amout > 10', then: 'high' }], default: 'low' };
    await expectRefusal(
      { 'slipway.yaml': manifest(amountContract), 'baseline.json': JSON.stringify(spec) },
      /amout/,
    );
  });

  it('refuses SQL that writes', async () => {
    const spec = { kind: 'sql', query: 'DELETE FROM input_rows' };
    await expectRefusal(
      { 'slipway.yaml': manifest(), 'baseline.json': JSON.stringify(spec) },
      /SELECT|read-only|DELETE/i,
    );
  });

  it('accepts a valid rules spec written as YAML', async () => {
    const spec = 'kind: rules\nrules:\n  - when: amount > 10\n    then: high\ndefault: low\noutput: label\n';
    await writeTree(SRC, { 'slipway.yaml': manifest(amountContract), 'baseline.json': spec });
    const inspected = await inspectPackage(store, SRC, FIELD);
    expect(inspected?.runtime).toBe('baseline');
  });
});
