/**
 * Runnable models from the registry: resolve a reference (version or alias) and load a version's
 * package through its runtime, after `loadPackage` has re-verified every byte. Evaluation and
 * serving both load models only through here.
 */
import { invalidArgument, type ModelVersion, type ModelVersionRef } from '@slipway/contracts';
import { loadEntryPoint } from '../runtimes/load-model.js';
import type { LoadedModel } from '../runtimes/runtime.js';
import type { RegistryService } from './registry-service.js';

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
