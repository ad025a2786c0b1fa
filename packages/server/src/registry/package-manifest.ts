/**
 * Parsing of the two manifests a model package may carry: Slipway's own `slipway.yaml` and
 * MLflow's `MLmodel`. Pure: text in, a validated manifest out; refusals are INVALID_ARGUMENT errors
 * naming the caller's field and, in the message, the manifest file. Format: docs/model-format.md.
 */
import { isScalar, parseDocument, visit } from 'yaml';
import { invalidArgument, SlipwayError } from '@slipway/contracts';
import type {
  ContractField,
  ContractSchema,
  ModelContract,
  ModelRuntime,
  SchemaKind,
} from '@slipway/contracts';
import { normalizeArtifactPath } from '../tracking/artifact-paths.js';
import { assertValidContract } from './contract-compat.js';
import { parseMlflowSignature } from './mlflow-signature.js';
import type { OnnxInterface } from '../runtimes/onnx/onnx-inspect.js';
import { planFeeds } from '../runtimes/onnx/onnx-feeds.js';

/** File name of Slipway's manifest at a package's root. */
export const SLIPWAY_MANIFEST = 'slipway.yaml';
/** File name of MLflow's manifest at a package's root. */
export const MLMODEL_MANIFEST = 'MLmodel';
/** The only `format_version` of slipway.yaml this code reads. */
export const SLIPWAY_FORMAT_VERSION = 1;
/** Runtimes a slipway.yaml may name (python_function only ever comes from an MLmodel). */
export const SLIPWAY_RUNTIMES = ['onnx', 'baseline'] as const;

/** One file a slipway.yaml lists, with the size and hash it promises when given. */
export interface ManifestFile {
  path: string;
  size?: number;
  /** Lowercase hex. */
  sha256?: string;
}

/** What a manifest says about its package. */
export interface PackageManifest {
  manifest: typeof SLIPWAY_MANIFEST | typeof MLMODEL_MANIFEST;
  runtime: ModelRuntime;
  /** Package-relative path the runtime loads; for python_function it may name a directory. */
  entryPoint?: string;
  /** Files slipway.yaml promises (empty for an MLmodel, which lists none). */
  files: ManifestFile[];
  /** Declared in slipway.yaml (source `declared`) or read from an MLmodel signature. */
  contract?: ModelContract;
  metadata: Record<string, unknown>;
}

const SLIPWAY_KEYS = new Set(['format_version', 'runtime', 'entry_point', 'files', 'contract', 'metadata']);
const FILE_KEYS = new Set(['path', 'size', 'sha256']);
const SHA256_HEX = /^[0-9a-fA-F]{64}$/;
const TEXT_KEYS = new Set(['sha256', 'run_id', 'model_uuid']);
/** Aliases expand to copies: a small file could otherwise unfold into gigabytes ("billion laughs"). */
const MAX_YAML_ALIASES = 100;

/** Parses and validates a slipway.yaml. */
export function parseSlipwayManifest(text: string, field: string): PackageManifest {
  const file = SLIPWAY_MANIFEST;
  const doc = asMapping(loadYaml(text, file, field), file, field, 'the document');
  const unknown = Object.keys(doc).find((key) => !SLIPWAY_KEYS.has(key));
  if (unknown !== undefined) throw refuse(field, file, `unknown key '${unknown}'`);
  if (doc.format_version !== SLIPWAY_FORMAT_VERSION) {
    throw refuse(
      field,
      file,
      `format_version must be ${SLIPWAY_FORMAT_VERSION}, got ${show(doc.format_version)}`,
    );
  }
  const runtime = doc.runtime;
  if (typeof runtime !== 'string' || !(SLIPWAY_RUNTIMES as readonly string[]).includes(runtime)) {
    throw refuse(field, file, `runtime must be one of ${SLIPWAY_RUNTIMES.join(', ')}, got ${show(runtime)}`);
  }
  if (typeof doc.entry_point !== 'string') throw refuse(field, file, 'entry_point must be a file path');
  const manifest: PackageManifest = {
    manifest: file,
    runtime: runtime as ModelRuntime,
    entryPoint: packagePath(doc.entry_point, 'entry_point', file, field),
    files: parseFileList(doc.files, field),
    metadata: doc.metadata === undefined ? {} : asMapping(doc.metadata, file, field, 'metadata'),
  };
  if (doc.contract !== undefined) {
    manifest.contract = parseDeclaredContract(
      doc.contract,
      runtime === 'onnx' ? 'tensors' : 'columns',
      field,
    );
  }
  return manifest;
}

/**
 * Parses an MLflow MLmodel. Runtime: an `onnx` flavor with `data` → onnx (entry point = data);
 * else a `python_function` flavor → python_function (entry point = its model_path or data, which
 * may be a directory); else unknown. The signature becomes the contract.
 */
export function parseMlmodel(text: string, field: string): PackageManifest {
  const file = MLMODEL_MANIFEST;
  const doc = asMapping(loadYaml(text, file, field), file, field, 'the document');
  if (doc.flavors === undefined) throw refuse(field, file, 'has no flavors mapping');
  const flavors = asMapping(doc.flavors, file, field, 'flavors');
  const { runtime, entry } = chooseRuntime(flavors, field);
  const manifest: PackageManifest = {
    manifest: file,
    runtime,
    files: [],
    metadata: mlmodelMetadata(doc, flavors),
  };
  if (entry !== undefined) manifest.entryPoint = packagePath(entry.value, entry.key, file, field);
  const contract = parseMlflowSignature(doc.signature, field);
  if (contract !== undefined) manifest.contract = validated(contract, file, field);
  return manifest;
}

/** Only the signature of an MLmodel (read when slipway.yaml governs but declares no contract). */
export function parseMlmodelSignature(text: string, field: string): ModelContract | undefined {
  const doc = asMapping(loadYaml(text, MLMODEL_MANIFEST, field), MLMODEL_MANIFEST, field, 'the document');
  const contract = parseMlflowSignature(doc.signature, field);
  return contract === undefined ? undefined : validated(contract, MLMODEL_MANIFEST, field);
}

/**
 * Why `contract` cannot describe the ONNX graph, or undefined when it can. Every declared input and
 * output must be in the graph and every graph input must be declared (ONNX inputs are all needed to
 * run). Tensor contracts must also match element types and fixed dimensions; column contracts are
 * checked by name only, because serving converts columns to the graph's tensors.
 */
export function contractGraphMismatch(contract: ModelContract, graph: OnnxInterface): string | undefined {
  const inputs =
    contract.inputs.kind === 'columns'
      ? columnFeedMismatch(contract, graph)
      : (sideMismatch('input', contract.inputs, graph.inputs.fields) ??
        missingGraphInput(contract.inputs, graph.inputs.fields));
  return inputs ?? sideMismatch('output', contract.outputs, graph.outputs.fields);
}

/** Input columns fit the graph when the runtime can feed it from them (by name, or packed into one input). */
function columnFeedMismatch(contract: ModelContract, graph: OnnxInterface): string | undefined {
  const tensors = graph.inputs.fields.map((f) => ({ name: f.name, type: f.type, shape: f.shape ?? [] }));
  try {
    planFeeds(tensors, contract, 'contract');
    return undefined;
  } catch (error) {
    if (error instanceof SlipwayError)
      return `has input columns the ONNX graph cannot be fed from: ${error.message}`;
    throw error;
  }
}

function sideMismatch(side: string, schema: ContractSchema, graph: ContractField[]): string | undefined {
  const byName = new Map(graph.map((f) => [f.name, f]));
  const names = graph.map((f) => `'${f.name}'`).join(', ') || 'none';
  for (const declared of schema.fields) {
    const actual = byName.get(declared.name);
    if (actual === undefined)
      return `declares ${side} '${declared.name}' that the ONNX graph does not have (graph ${side}s: ${names})`;
    if (schema.kind !== 'tensors') continue;
    if (actual.type !== 'object' && actual.type !== declared.type) {
      return `declares ${side} '${declared.name}' as ${declared.type} but the ONNX graph has ${actual.type}`;
    }
    if (!shapesAgree(declared.shape, actual.shape)) {
      return `declares ${side} '${declared.name}' with shape ${showShape(declared.shape)} but the ONNX graph has ${showShape(actual.shape)}`;
    }
  }
  return undefined;
}

function missingGraphInput(schema: ContractSchema, graph: ContractField[]): string | undefined {
  const declared = new Set(schema.fields.map((f) => f.name));
  const missing = graph.find((f) => !declared.has(f.name));
  return missing === undefined ? undefined : `does not declare the ONNX graph's input '${missing.name}'`;
}

/** Same rank and no two fixed dimensions that differ; a declared shape may pin a dynamic one. */
function shapesAgree(declared: number[] | undefined, actual: number[] | undefined): boolean {
  if (declared === undefined || actual === undefined) return true;
  if (declared.length !== actual.length) return false;
  return declared.every((dim, i) => dim === -1 || actual[i] === -1 || actual[i] === dim);
}

function chooseRuntime(
  flavors: Record<string, unknown>,
  field: string,
): { runtime: ModelRuntime; entry?: { key: string; value: string } } {
  const onnx = flavorMapping(flavors, 'onnx', field);
  if (typeof onnx?.data === 'string')
    return { runtime: 'onnx', entry: { key: 'flavors.onnx.data', value: onnx.data } };
  const pyfunc = flavorMapping(flavors, 'python_function', field);
  if (pyfunc === undefined) return { runtime: 'unknown' };
  for (const key of ['model_path', 'data']) {
    const value = pyfunc[key];
    if (typeof value === 'string')
      return { runtime: 'python_function', entry: { key: `flavors.python_function.${key}`, value } };
  }
  return { runtime: 'python_function' };
}

function flavorMapping(
  flavors: Record<string, unknown>,
  name: string,
  field: string,
): Record<string, unknown> | undefined {
  const flavor = flavors[name];
  if (flavor === undefined || flavor === null) return undefined;
  return asMapping(flavor, MLMODEL_MANIFEST, field, `flavors.${name}`);
}

/** The MLmodel facts worth keeping with a version; MLflow's own `metadata` stays under that key. */
function mlmodelMetadata(
  doc: Record<string, unknown>,
  flavors: Record<string, unknown>,
): Record<string, unknown> {
  const metadata: Record<string, unknown> = { flavors: Object.keys(flavors).sort() };
  for (const key of ['mlflow_version', 'run_id', 'utc_time_created', 'model_uuid', 'artifact_path']) {
    const value = doc[key];
    if (typeof value === 'string' || typeof value === 'number') metadata[key] = String(value);
  }
  if (typeof doc.metadata === 'object' && doc.metadata !== null) metadata.metadata = doc.metadata;
  return metadata;
}

function parseFileList(value: unknown, field: string): ManifestFile[] {
  const file = SLIPWAY_MANIFEST;
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw refuse(field, file, 'files must be a list');
  const seen = new Set<string>();
  return value.map((item: unknown, i: number) => {
    const where = `files[${i}]`;
    const entry = asMapping(item, file, field, where);
    const unknown = Object.keys(entry).find((key) => !FILE_KEYS.has(key));
    if (unknown !== undefined) throw refuse(field, file, `${where} has unknown key '${unknown}'`);
    if (typeof entry.path !== 'string') throw refuse(field, file, `${where}.path must be a file path`);
    const listed: ManifestFile = { path: packagePath(entry.path, `${where}.path`, file, field) };
    if (seen.has(listed.path)) throw refuse(field, file, `lists '${listed.path}' twice`);
    seen.add(listed.path);
    if (entry.size !== undefined) {
      if (!Number.isSafeInteger(entry.size) || (entry.size as number) < 0) {
        throw refuse(field, file, `${where}.size must be a non-negative integer`);
      }
      listed.size = entry.size as number;
    }
    if (entry.sha256 !== undefined) {
      if (typeof entry.sha256 !== 'string' || !SHA256_HEX.test(entry.sha256)) {
        throw refuse(field, file, `${where}.sha256 must be 64 hex digits`);
      }
      listed.sha256 = entry.sha256.toLowerCase();
    }
    return listed;
  });
}

/** A declared contract: `inputs`/`outputs` each `{kind?, fields: [...]}` in ContractField's shape. */
function parseDeclaredContract(value: unknown, defaultKind: SchemaKind, field: string): ModelContract {
  const file = SLIPWAY_MANIFEST;
  const contract = asMapping(value, file, field, 'contract');
  const unknown = Object.keys(contract).find((key) => key !== 'inputs' && key !== 'outputs');
  if (unknown !== undefined) throw refuse(field, file, `contract has unknown key '${unknown}'`);
  const schema = (side: 'inputs' | 'outputs'): ContractSchema => {
    const raw = contract[side];
    if (raw === undefined) return { kind: defaultKind, fields: [] };
    const mapping = asMapping(raw, file, field, `contract.${side}`);
    const fields = Array.isArray(mapping.fields)
      ? mapping.fields.map((f: unknown) => withDefaults(f))
      : mapping.fields;
    return { ...mapping, kind: mapping.kind ?? defaultKind, fields } as ContractSchema;
  };
  return validated({ inputs: schema('inputs'), outputs: schema('outputs'), source: 'declared' }, file, field);
}

/** `nullable` may be left out of a declared field: it defaults to false (required). */
function withDefaults(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  return { nullable: false, ...value };
}

/** Runs the contract validator, restating its error under the caller's field and the file's name. */
function validated(contract: unknown, file: string, field: string): ModelContract {
  try {
    assertValidContract(contract, 'contract');
  } catch (error) {
    if (error instanceof SlipwayError) {
      throw refuse(field, file, `${String(error.details.field)}: ${error.message}`);
    }
    throw error;
  }
  return contract;
}

/** A package-relative path from a manifest, normalized; unsafe ones (`..`, absolute) are refused. */
function packagePath(raw: string, key: string, file: string, field: string): string {
  let path: string;
  try {
    path = normalizeArtifactPath(raw, field);
  } catch (error) {
    if (error instanceof SlipwayError) throw refuse(field, file, `${key} '${raw}': ${error.message}`);
    throw error;
  }
  if (path === '') throw refuse(field, file, `${key} must name a file inside the package`);
  return path;
}

function loadYaml(text: string, file: string, field: string): unknown {
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false });
  const [error] = doc.errors;
  if (error !== undefined) throw refuse(field, file, `is not valid YAML: ${error.message}`);
  visit(doc, {
    Pair(_key, pair) {
      if (!isScalar(pair.key) || !isScalar(pair.value) || typeof pair.value.value !== 'number') return;
      if (isTextKey(pair.key.value) && typeof pair.value.source === 'string')
        pair.value.value = pair.value.source;
    },
  });
  try {
    return doc.toJS({ maxAliasCount: MAX_YAML_ALIASES });
  } catch (e) {
    throw refuse(field, file, `is not valid YAML: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/**
 * Keys whose values are identifiers, not quantities: an unquoted `2.10` or an all-digit hash would
 * otherwise become a number (and `2.10` print as `2.1`), so their plain text is kept as written.
 */
function isTextKey(key: unknown): boolean {
  if (typeof key !== 'string') return false;
  return TEXT_KEYS.has(key) || (key.endsWith('_version') && key !== 'format_version');
}

function asMapping(value: unknown, file: string, field: string, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw refuse(field, file, `${what} must be a mapping`);
  }
  return value as Record<string, unknown>;
}

function refuse(field: string, file: string, reason: string): SlipwayError {
  return invalidArgument(field, `${file}: ${reason}`);
}

function show(value: unknown): string {
  return value === undefined ? 'nothing' : JSON.stringify(value);
}

function showShape(shape: number[] | undefined): string {
  return shape === undefined ? 'scalar' : `[${shape.join(', ')}]`;
}
