/**
 * Evolving API versions: an endpoint may publish several versions of its contract. When the served
 * model's contract moves on, an adapter (renamed inputs, defaults for new inputs, renamed outputs)
 * keeps an old version working. Whether it does is the registry's own backward-compatibility check,
 * run on the contract the model presents through the adapter. Pure: no I/O.
 */
import {
  SlipwayError,
  type ApiAdapter,
  type ApiVersion,
  type ContractChange,
  type ContractSchema,
  type ModelContract,
} from '@slipway/contracts';
import { compareContracts } from '../registry/contract-compat.js';
import type { InputRow, OutputRow } from '../runtimes/runtime.js';

/** The contract a model presents to callers of an API version: adapter renames applied, defaulted inputs optional. */
export function effectiveContract(model: ModelContract, adapter: ApiAdapter = {}): ModelContract {
  const publishedName = invert(adapter.renameInputs ?? {});
  const defaults = adapter.defaults ?? {};
  const inputs: ContractSchema = {
    kind: model.inputs.kind,
    fields: model.inputs.fields
      .filter((f) => !(f.name in defaults))
      .map((f) => ({ ...f, name: publishedName[f.name] ?? f.name })),
  };
  const renameOutputs = adapter.renameOutputs ?? {};
  const outputs: ContractSchema = {
    kind: model.outputs.kind,
    fields: model.outputs.fields.map((f) => ({ ...f, name: renameOutputs[f.name] ?? f.name })),
  };
  return { inputs, outputs, source: model.source };
}

/**
 * What would break callers of `api` if `model` served it: the breaking changes of the registry's
 * backward check; empty when compatible or when either side has no contract to compare.
 */
export function apiVersionBreaks(api: ApiVersion, model: ModelContract | undefined): ContractChange[] {
  if (model === undefined) return [];
  const report = compareContracts(api.contract, effectiveContract(model, api.adapter), 'backward');
  return report.changes.filter((c) => c.breaking);
}

/** Rows of an API version's callers as the model reads them: inputs renamed, defaults filled in. */
export function adaptRows(rows: readonly InputRow[], adapter: ApiAdapter = {}): InputRow[] {
  const rename = adapter.renameInputs ?? {};
  const defaults = Object.entries(adapter.defaults ?? {});
  if (Object.keys(rename).length === 0 && defaults.length === 0) return [...rows];
  return rows.map((row) => {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(row)) out[rename[key] ?? key] = value;
    for (const [key, value] of defaults) if (out[key] === undefined || out[key] === null) out[key] = value;
    return out;
  });
}

/** Outputs as the API version publishes them: renamed, and only the published fields when it lists any. */
export function adaptOutputs(outputs: readonly OutputRow[], api: ApiVersion): OutputRow[] {
  const rename = api.adapter?.renameOutputs ?? {};
  const published = new Set(api.contract.outputs.fields.map((f) => f.name));
  return outputs.map((row) => {
    const out: OutputRow = {};
    for (const [key, value] of Object.entries(row)) {
      const name = rename[key] ?? key;
      if (published.size === 0 || published.has(name)) out[name] = value;
    }
    return out;
  });
}

/** `Deprecation` (RFC 9745, `@<seconds>`) and `Sunset` (RFC 8594, an HTTP date) headers of an API version. */
export function lifecycleHeaders(api: ApiVersion, now: number): Record<string, string> {
  const headers: Record<string, string> = {};
  if (api.deprecatedAt !== undefined && now >= api.deprecatedAt) {
    headers['deprecation'] = `@${Math.floor(api.deprecatedAt / 1000)}`;
  }
  if (api.sunsetAt !== undefined) headers['sunset'] = new Date(api.sunsetAt).toUTCString();
  return headers;
}

function invert(map: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(map).map(([k, v]) => [v, k]));
}

/** FAILED_PRECONDITION naming the API version and every break. */
export function apiVersionBroken(
  endpoint: string,
  api: string,
  version: { name: string; version: string },
  breaks: ContractChange[],
): SlipwayError {
  return new SlipwayError(
    'FAILED_PRECONDITION',
    `${version.name}/${version.version} breaks API version '${api}' of endpoint '${endpoint}': ` +
      `${breaks.map((b) => b.message).join('; ')}; add an adapter to the API version or keep the old model`,
    { field: 'apiVersions', apiVersion: api, breaks },
  );
}
