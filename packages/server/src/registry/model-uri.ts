/**
 * `models:/` URIs, MLflow's way of naming a registered model version: `models:/fraud/3` (a version),
 * `models:/fraud@champion` (an alias), `models:/fraud/latest` (the newest version) and
 * `models:/fraud/Production` (the newest version in a deprecated stage). Pure: no I/O.
 */
import { MODEL_STAGES, invalidArgument, type ModelStage } from '@slipway/contracts';

/** What a `models:/` URI names. */
export type ModelReference =
  | { name: string; kind: 'version'; version: string }
  | { name: string; kind: 'alias'; alias: string }
  | { name: string; kind: 'latest' }
  | { name: string; kind: 'stage'; stage: ModelStage };

const SCHEME = 'models:/';

/** Parses a `models:/` URI; INVALID_ARGUMENT naming `field` when it is not one. */
export function parseModelUri(uri: string, field = 'model_uri'): ModelReference {
  if (!uri.startsWith(SCHEME)) {
    throw invalidArgument(
      field,
      `Invalid model URI '${uri}': expected models:/<name>/<version> or models:/<name>@<alias>.`,
    );
  }
  const body = uri.slice(SCHEME.length).replace(/\/+$/, '');
  const at = body.lastIndexOf('@');
  if (at > 0 && !body.slice(at).includes('/')) {
    return {
      name: requireName(body.slice(0, at), uri, field),
      kind: 'alias',
      alias: requirePart(body.slice(at + 1), 'alias', uri, field),
    };
  }
  const slash = body.lastIndexOf('/');
  if (slash <= 0) {
    throw invalidArgument(
      field,
      `Invalid model URI '${uri}': name a version (models:/<name>/3) or an alias (models:/<name>@champion).`,
    );
  }
  const name = requireName(body.slice(0, slash), uri, field);
  const selector = requirePart(body.slice(slash + 1), 'version', uri, field);
  if (/^[1-9]\d*$/.test(selector)) return { name, kind: 'version', version: selector };
  if (selector.toLowerCase() === 'latest') return { name, kind: 'latest' };
  const stage = MODEL_STAGES.find((s) => s.toLowerCase() === selector.toLowerCase());
  if (stage) return { name, kind: 'stage', stage };
  throw invalidArgument(
    field,
    `Invalid model URI '${uri}': '${selector}' is neither a version number, 'latest' nor a stage (${MODEL_STAGES.join(', ')}).`,
  );
}

/** Formats a reference back into its canonical `models:/` URI. */
export function formatModelUri(ref: ModelReference): string {
  switch (ref.kind) {
    case 'version':
      return `${SCHEME}${ref.name}/${ref.version}`;
    case 'alias':
      return `${SCHEME}${ref.name}@${ref.alias}`;
    case 'latest':
      return `${SCHEME}${ref.name}/latest`;
    case 'stage':
      return `${SCHEME}${ref.name}/${ref.stage}`;
  }
}

function requireName(name: string, uri: string, field: string): string {
  return requirePart(name, 'model name', uri, field);
}

function requirePart(part: string, what: string, uri: string, field: string): string {
  if (part.trim() === '') throw invalidArgument(field, `Invalid model URI '${uri}': the ${what} is empty.`);
  return part;
}
