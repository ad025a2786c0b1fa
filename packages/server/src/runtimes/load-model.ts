/**
 * Turns a registered version's verified entry point into a LoadedModel, whatever its runtime. The
 * registry proves the bytes are the registered ones; this only knows how each runtime reads them.
 */
import { parse as parseYaml } from 'yaml';
import { invalidArgument, type ModelContract, type ModelRuntime } from '@slipway/contracts';
import { loadBaseline, parseBaselineSpec, type BaselineSpec } from './baseline/baseline-spec.js';
import { loadOnnxModel } from './onnx/onnx-model.js';
import type { LoadedModel } from './runtime.js';

/** A loadable entry point: the runtime that reads it and its bytes. */
export interface EntryPoint {
  runtime: ModelRuntime;
  /** The entry point's package-relative path, named in errors. */
  path: string;
  bytes: Uint8Array;
  contract?: ModelContract;
}

/** Parses a baseline entry point (JSON or YAML text) into a validated spec. */
export function readBaselineSpec(bytes: Uint8Array, path: string, field: string): BaselineSpec {
  let json: unknown;
  try {
    // JSON is YAML, so one parser reads both spellings of a spec.
    json = parseYaml(Buffer.from(bytes).toString('utf8'), { maxAliasCount: 100 });
  } catch (error) {
    throw invalidArgument(field, `${path} is not valid JSON or YAML: ${(error as Error).message}`);
  }
  return parseBaselineSpec(json, `${field}.spec`);
}

/** Loads an entry point; runtimes Slipway cannot run (python_function, unknown) are refused. */
export async function loadEntryPoint(entry: EntryPoint, field: string): Promise<LoadedModel> {
  switch (entry.runtime) {
    case 'onnx':
      return loadOnnxModel(entry.bytes, entry.contract, { field });
    case 'baseline':
      return loadBaseline(readBaselineSpec(entry.bytes, entry.path, field), entry.contract);
    default:
      throw invalidArgument(
        field,
        `Slipway cannot run models of runtime '${entry.runtime}' (${entry.path}); onnx and baseline are supported`,
      );
  }
}
