/**
 * Resolves the model versions an evaluation names (by version or alias) and loads each through
 * the registry, which re-verifies the package digest before a single byte is trusted.
 */
import {
  invalidArgument,
  type EvaluatedModelRef,
  type EvaluationModel,
  type ModelVersion,
  type ModelVersionRef,
} from '@slipway/contracts';
import type { RegistryService } from '../registry/registry-service.js';
import { loadEntryPoint } from '../runtimes/load-model.js';
import type { LoadedModel } from '../runtimes/runtime.js';

/** A resolved, loaded model of an evaluation. */
export interface ResolvedModel extends EvaluationModel {
  model: LoadedModel;
}

/** The version `ref` names: exactly one of version and alias. */
export async function resolveVersion(
  registry: RegistryService,
  ref: ModelVersionRef,
  field: string,
): Promise<ModelVersion> {
  if ((ref.version === undefined) === (ref.alias === undefined)) {
    throw invalidArgument(field, `${field} needs exactly one of version and alias`);
  }
  return ref.alias === undefined
    ? registry.getModelVersion(ref.name, ref.version ?? '')
    : registry.getVersionByAlias(ref.name, ref.alias);
}

/** The id a version has in reports (and metric keys): `name/version`. */
export function modelId(name: string, version: string): string {
  return `${name}/${version}`;
}

/** Loads one version's package as a runnable model. */
export async function loadVersion(
  registry: RegistryService,
  version: ModelVersion,
  field: string,
): Promise<LoadedModel> {
  const loaded = await registry.loadPackage(version.name, version.version, { readEntryPoint: true });
  const entryPoint = loaded.package.entryPoint;
  if (loaded.entryPoint === undefined || entryPoint === undefined) {
    throw invalidArgument(field, `${modelId(version.name, version.version)} has no entry point to load`);
  }
  return loadEntryPoint(
    {
      runtime: loaded.package.runtime,
      path: entryPoint,
      bytes: loaded.entryPoint,
      ...(version.contract === undefined ? {} : { contract: version.contract }),
    },
    field,
  );
}

/**
 * Resolves and loads every model, in order; on any failure the models already loaded are closed.
 * A version named twice is refused: its metrics would be indistinguishable in the report.
 */
export async function loadModels(
  registry: RegistryService,
  refs: readonly EvaluatedModelRef[],
  field: string,
): Promise<ResolvedModel[]> {
  const loaded: ResolvedModel[] = [];
  try {
    for (const [i, ref] of refs.entries()) {
      const at = `${field}[${i}]`;
      const version = await resolveVersion(registry, ref, at);
      const id = modelId(version.name, version.version);
      if (loaded.some((m) => m.id === id)) throw invalidArgument(at, `${id} is listed twice`);
      const model = await loadVersion(registry, version, at);
      loaded.push({ id, name: version.name, version: version.version, role: ref.role ?? 'candidate', model });
    }
    return loaded;
  } catch (error) {
    await closeModels(loaded);
    throw error;
  }
}

/** Closes every model, even when one close fails. */
export async function closeModels(models: readonly { model: LoadedModel }[]): Promise<void> {
  await Promise.allSettled(models.map((m) => m.model.close()));
}
